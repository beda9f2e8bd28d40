"""The build reads an approved-only view of docs_dir: withheld content is unreachable.

Templates and plugins that read docs_dir themselves (mkdocs-macros-plugin's
``include`` with a computed name, its ``files`` variable) find only what
passed review; plugins that ask git about a page still get its real history;
files MkDocs never publishes are never judged, by the build and ``check``
alike; the staging directory never outlives the build.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort

from conftest import page

pytest.importorskip("mkdocs_macros")

SECRET = "暂存测试的不予公开正文丁戊"
SECRET_TITLE = "暂存测试的内部标题"


def with_plugin(site, name: str, options: str = "") -> None:
    """Put another plugin before the gate in mkdocs.yml, as a site would."""
    cfg = (site.root / "mkdocs.yml").read_text(encoding="utf-8")
    cfg = cfg.replace("plugins:\n  - search\n", f"plugins:\n  - search\n  - {name}{options}\n")
    site.set_mkdocs_yml(cfg)
    site.commit_all(f"plugin {name}")


def withheld_draft(site, rel: str = "drafts/secret.md") -> None:
    site.write(rel, page(f"# {SECRET_TITLE}\n\n{SECRET}。\n", title=SECRET_TITLE))


@pytest.fixture(autouse=True)
def own_stage_dirs(tmp_path, monkeypatch):
    """This test's own memory and temporary directories, so that stages of builds
    running beside it on the same machine are not counted as left behind."""
    import tempfile

    import secrecy_gate.build.stage as stage_module
    for name in ("shm", "tmp"):
        (tmp_path / name).mkdir()
    monkeypatch.setattr(stage_module, "MEMORY_DIR", str(tmp_path / "shm"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    return tmp_path


def stages(root: Path) -> list[Path]:
    """Staging directories left beside docs_dir, in memory or in the temporary directory."""
    import tempfile

    from secrecy_gate.build.stage import MEMORY_DIR
    found = list(root.glob(".secrecy-gate-stage-*"))
    for d in (tempfile.gettempdir(), MEMORY_DIR):
        found += [p for p in Path(d).glob("secrecy-gate-stage-*")]
    return found


# -- mkdocs-macros-plugin ---------------------------------------------------------------

MACRO_PAGES = {
    "set-include.md": '{% set p = "drafts/secret.md" %}{% include p %}',
    "urlencode.md": '{% set p = "drafts/secret.md" %}{% include p|urlencode %}',
    "concat.md": '{% set d = "drafts/" %}{% include d ~ "sec" ~ "ret.md" %}',
    "join.md": '{% include ["drafts", "secret.md"]|join("/") %}',
    "content-strings.md": "{% for f in files %}{% if f.src_uri.endswith('.md') %}"
                          "{{ f.content_string }}{% endif %}{% endfor %}",
    "all-content.md": "{% for f in files %}{{ f.content_string }}{% endfor %}",
    "enumerate.md": "{{ files | map(attribute='abs_src_path') | list }}"
                    " {{ files | map(attribute='src_uri') | list }}",
}


@pytest.mark.parametrize("name", sorted(MACRO_PAGES))
def test_macros_cannot_reach_a_withheld_page(make_site, name):
    site = make_site()
    with_plugin(site, "macros")
    withheld_draft(site)
    site.write("index.md", page("# 首页\n\n首页公开正文。\n"))
    site.sign_all("index.md")
    site.write(name, page(f"# 宏页面\n\n宏页面公开正文。\n\n{MACRO_PAGES[name]}\n"))
    site.sign_all(name)
    # A clean build: the withheld text never reached a page, so the leak scan (which
    # would fail the build and delete the output) finds nothing to catch.
    site.build()
    # The page is built: with the text macros rendered, or with macros' own error
    # (TemplateNotFound; the theme's fonts for every content_string).
    assert (site.root / "site" / Path(name).stem / "index.html").is_file()
    assert "首页公开正文" in site.output_text()
    site.assert_absent(SECRET, SECRET_TITLE)
    if name == "enumerate.md":
        assert "drafts/secret.md" not in site.output_text()  # not even its name


def test_macros_files_lists_only_approved_files(make_site):
    """What a template enumerates is exactly the approved view: published pages, approved files."""
    site = make_site(plugin_options="      assets: ['img/*.png']\n")
    with_plugin(site, "macros")
    withheld_draft(site)
    site.write("img/ok.png", b"\x89PNG-approved")
    site.write("notes.txt", "未审查的杂项文件丙\n")
    site.write("index.md", page(
        "# 首页\n\n清单：{{ files | map(attribute='src_uri') | join(',') }}。\n"))
    site.sign_all("index.md")
    site.build()
    html = (site.root / "site" / "index.html").read_text(encoding="utf-8")
    listed = html.split("清单：", 1)[1].split("。", 1)[0]
    listed = set(listed.split(","))
    assert {"index.md", "img/ok.png"} <= listed
    assert "notes.txt" not in listed and "drafts/secret.md" not in listed
    site.assert_absent(SECRET, "未审查的杂项文件丙")


def test_a_redacted_page_is_included_only_with_its_secret_points_replaced(make_site):
    """删减后公开: what a template includes is the redacted text, not the source."""
    site = make_site()
    with_plugin(site, "macros")
    site.write("redacted.md", page("# 删减页\n\n公开部分，<!-- 密点 -->删减测试的密点己庚<!-- /密点 -->其余公开。\n",
                                   disclosure="删减后公开", review_extra="redactions: 1\n"))
    site.sign_all("redacted.md")
    site.write("index.md", page('# 首页\n\n{% include "redacted.md" %}\n'))
    site.sign_all("index.md")
    site.build()
    site.assert_absent("删减测试的密点己庚")
    assert "公开部分" in (site.root / "site" / "index.html").read_text(encoding="utf-8")


# -- mkdocs-git-revision-date-localized-plugin --------------------------------------------------

def test_git_revision_date_is_the_pages_real_last_commit(make_site):
    pytest.importorskip("mkdocs_git_revision_date_localized_plugin")
    site = make_site()
    with_plugin(site, "git-revision-date-localized",
                ":\n      type: iso_datetime\n      timezone: UTC\n")
    # Shows the commit the plugin found, beside the date it renders.
    site.add_hook("from mkdocs.plugins import event_priority\n"
                  "@event_priority(-50)\n"
                  "def on_page_markdown(markdown, page, config, files):\n"
                  "    return markdown + '\\n\\n提交：' + page.meta['git_revision_date_localized_hash'] + '\\n'\n")
    site.write("p.md", page("# 修订日期\n\n日期：{{ git_revision_date_localized }}\n"))
    site.sign_all("p.md")
    time.sleep(1.1)  # a build-date fallback would show a later second than the commit
    site.build()
    sha, stamp = site.git("log", "-1", "--format=%H %at", "--", "content/p.md").split()
    expected = _dt.datetime.fromtimestamp(int(stamp), tz=_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    html = (site.root / "site" / "p" / "index.html").read_text(encoding="utf-8")
    assert f">{expected}</span>" in html
    assert f"提交：{sha}" in html


# -- files MkDocs never publishes ------------------------------------------------------------

def test_excluded_draft_and_hidden_pages_are_ignored_by_check_and_build(make_site):
    from secrecy_gate.cli import main
    site = make_site(fail_on_withheld=True,
                     mkdocs_extra="exclude_docs: |\n  internal/\ndraft_docs: |\n  wip-*.md\n")
    site.write("index.md", page("# 首页\n\n公开首页正文。\n"))
    site.sign_all("index.md")
    site.write("internal/memo.md", "# 排除目录中的备忘甲\n")  # no front matter at all
    site.write("wip-plan.md", page("# 草稿计划乙\n\n未签署的草稿计划正文。\n"))
    site.write(".hidden/old.md", "---\n[broken\n---\n隐藏目录中的旧页丙\n")
    site.write("README.md", "# 与 index.md 冲突的说明丁\n")
    result = CliRunner().invoke(main, ["check", "--format", "json", "-f", str(site.root / "mkdocs.yml")])
    assert result.exit_code == 0, result.output
    judged = {p["page"] for p in json.loads(result.output)["pages"]}
    assert judged == {"index.md"}, judged
    directory = CliRunner().invoke(main, ["check", "-f", str(site.root / "mkdocs.yml"), str(site.docs)])
    assert directory.exit_code == 0, directory.output
    site.build()  # fail_on_withheld: true, and nothing MkDocs publishes is withheld
    assert "公开首页正文" in site.output_text()
    site.assert_absent("排除目录中的备忘甲", "未签署的草稿计划正文", "隐藏目录中的旧页丙", "冲突的说明丁")


def test_a_draft_is_judged_under_serve_on_a_public_address(make_site):
    """`mkdocs serve` renders draft_docs pages: there they are judged, and withheld unless signed."""
    site = make_site(mkdocs_extra="draft_docs: |\n  wip-*.md\n")
    site.write("index.md", page("# 首页\n\n公开首页正文。\n"))
    site.sign_all("index.md")
    site.write("wip-plan.md", page("# 草稿\n\n服务中未签署的草稿正文戊。\n"))
    cfg = load_config(config_file=str(site.root / "mkdocs.yml"), dev_addr="0.0.0.0:8000")
    cfg.plugins.on_startup(command="serve", dirty=False)
    try:
        build(cfg, serve_url="http://0.0.0.0:8000/")
        gate = cfg.plugins["secrecy-gate"]
        assert "wip-plan.md" in gate.review.pages and not gate.review.pages["wip-plan.md"].published
    finally:
        cfg.plugins.on_shutdown()
    site.assert_absent("服务中未签署的草稿正文戊")


# -- the staging directory ------------------------------------------------------------------

def test_stage_is_outside_site_and_docs_and_gone_after_a_build(make_site):
    site = make_site()
    seen = site.root / "seen.json"
    # A hook records where the build read from, and what was there.
    site.add_hook(
        "import json, os\n"
        "def on_files(files, config):\n"
        f"    docs = config.docs_dir\n"
        "    listing = sorted(os.path.relpath(os.path.join(d, f), docs)\n"
        "                     for d, _, fs in os.walk(docs) for f in fs)\n"
        f"    open({str(seen)!r}, 'w').write(json.dumps([docs, config.site_dir, listing]))\n"
        "    return files\n")
    withheld_draft(site)
    site.write("index.md", page("# 首页\n\n公开首页正文。\n"))
    site.sign_all("index.md")
    site.write("attachment.pdf", b"%PDF-unlisted")
    site.build()
    docs, site_dir, listing = json.loads(seen.read_text(encoding="utf-8"))
    real_docs = os.path.abspath(site.docs)
    assert os.path.abspath(docs) != real_docs
    for inside in (real_docs, os.path.abspath(site_dir)):
        assert not os.path.abspath(docs).startswith(inside + os.sep)
    assert listing == ["index.md"]
    assert not Path(docs).exists() and stages(site.root) == []
    assert "secret" not in site.git("status", "--porcelain", "--ignored")


@pytest.mark.parametrize("memory", [True, False])
def test_nested_pages_and_files_build_with_the_stage_in_memory_or_on_disk(make_site, monkeypatch, memory):
    """Subdirectories of the stage live in memory (symbolic links) where there is room, else on disk."""
    import secrecy_gate.build.stage as stage_module
    if not memory:
        monkeypatch.setattr(stage_module, "MEMORY_DIR", "/nonexistent/secrecy-gate-test")
    site = make_site(plugin_options="      assets: ['col/img/*.png']\n")
    with_plugin(site, "macros")
    site.write("col/sub/deep.md", page("# 深层页面\n\n深层公开正文。\n", title="深层"))
    site.sign_all("col/sub/deep.md")
    site.write("col/img/logo.png", b"\x89PNG-logo-bytes")
    withheld_draft(site, "col/sub/secret.md")
    site.write("index.md", page('# 首页\n\n{% include "col/sub/deep.md" %}\n\n![logo](col/img/logo.png)\n'))
    site.sign_all("index.md")
    site.build()
    out = site.root / "site"
    assert (out / "col" / "img" / "logo.png").read_bytes() == b"\x89PNG-logo-bytes"
    assert "深层公开正文" in (out / "index.html").read_text(encoding="utf-8")
    assert "深层公开正文" in (out / "col" / "sub" / "deep" / "index.html").read_text(encoding="utf-8")
    site.assert_absent(SECRET, SECRET_TITLE)
    assert stages(site.root) == []


def test_staged_page_keeps_front_matter_without_the_review_record(make_site):
    from secrecy_gate.build.stage import page_text
    site = make_site()
    site.write("p.md", page("# 正文标题\n\n正文。\n", title="前置标题"))
    site.sign_all("p.md")
    review = site.review()
    text = page_text(review.pages["p.md"])
    assert text.startswith("---\ntitle: 前置标题\n---\n")
    assert "review" not in text and "signatures" not in text
    assert text.endswith("# 正文标题\n\n正文。\n")


def test_stage_is_gone_after_a_failed_build(make_site):
    site = make_site(fail_on_withheld=False)
    site.write("index.md", page("# 首页\n\n公开首页正文。\n"))
    site.sign_all("index.md")
    site.add_hook("def on_page_markdown(markdown, page, config, files):\n"
                  "    raise RuntimeError('钩子故意失败')\n")
    with pytest.raises(RuntimeError):
        site.build()
    assert stages(site.root) == []
    assert site.git("status", "--porcelain") == ""


def test_a_plugin_swapping_a_published_pages_text_gets_the_judged_text_back(make_site):
    site = make_site()
    withheld_draft(site)
    site.write("index.md", page("# 首页\n\n公开首页正文。\n"))
    site.sign_all("index.md")
    site.add_hook("from pathlib import Path\n"
                  "from mkdocs.structure.files import File\n"
                  "def on_files(files, config):\n"
                  "    real = str(Path(config.config_file_path).parent / 'content')\n"
                  "    old = files.get_file_from_path('index.md')\n"
                  "    files.remove(old)\n"
                  "    files.append(File('index.md', real, config.site_dir, config.use_directory_urls))\n"
                  "    files.get_file_from_path('index.md').content_string = "
                  "(Path(real) / 'drafts' / 'secret.md').read_text(encoding='utf-8')\n"
                  "    return files\n")
    site.build()
    assert "公开首页正文" in (site.root / "site" / "index.html").read_text(encoding="utf-8")
    site.assert_absent(SECRET, SECRET_TITLE)


def test_a_plugin_pointing_docs_dir_back_is_refused(make_site):
    site = make_site()
    withheld_draft(site)
    site.write("index.md", page("# 首页\n\n公开首页正文。\n"))
    site.sign_all("index.md")
    site.add_hook("import os\n"
                  "def on_pre_build(config):\n"
                  "    config.docs_dir = os.path.join(os.path.dirname(config.config_file_path), 'content')\n")
    with pytest.raises(Abort):
        site.build()
    assert stages(site.root) == []
    site.assert_absent(SECRET)


# -- mkdocs serve ---------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _wait_for(predicate, timeout=90.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_serve_rebuilds_from_the_real_docs_dir(make_site):
    """A staged `mkdocs serve` watches the real docs_dir: a page signed later appears."""
    site = make_site(plugin_options="      serve_preview: false\n")
    site.write("index.md", page("# 首页\n\n服务首页正文。\n"))
    site.sign_all("index.md")
    withheld_draft(site)
    port = _free_port()
    # Ctrl-C must reach serve even when the tests run in the background of a script, where
    # the shell starts them with SIGINT ignored (and a child inherits that).
    proc = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
                            cwd=site.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        base = f"http://127.0.0.1:{port}/"
        assert _wait_for(lambda: "服务首页正文" in _get(base)), "serve did not start"
        assert SECRET not in _get(base + "drafts/secret/")
        site.write("later.md", page("# 后来\n\n后来签署的页面正文。\n"))
        site.sign_all("later.md")
        assert _wait_for(lambda: "后来签署的页面正文" in _get(base + "later/")), "no rebuild"
        assert SECRET not in _get(base + "drafts/secret/")
    finally:
        proc.send_signal(signal.SIGINT)  # as Ctrl-C: serve shuts down and runs on_shutdown
        out, _ = proc.communicate(timeout=60)
    assert "Watching paths for changes: 'content'" in out, out
    # Beside docs_dir: the stage's root, whose removal removes its memory part too.
    assert stages(site.root) == [], out
