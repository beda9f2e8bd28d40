"""Adopting the gate on a live site: `init` on a Material site with plugins, the rollout
setting, the build's one summary, and the command line's quiet about MkDocs' own warnings.

Real parts only: real git repositories, the real command line (in-process and as the
installed console script), real `mkdocs build`s, a real `git commit` running the hook
`init` wrote, from a shell whose PATH has no virtual environment.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import PEOPLE, ROSTER, Site, page
from test_init import _approve_inputs, _build, _fill_roster, _sign_all, git, make_site, run

BIN = Path(sys.executable).parent

pytest.importorskip("material")

MATERIAL_YML = """\
site_name: 算法笔记
theme:
  name: material
  language: zh
  features: [content.code.annotate]
plugins:
  - search
  - tags
markdown_extensions:
  - admonition
  - pymdownx.highlight
  - pymdownx.superfences
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
      emoji_generator: !!python/name:material.extensions.emoji.to_svg
"""

SIGNED_TEXT = "已审查的排序算法讲解甲乙。"
UNSIGNED = {  # existing pages of the live site, no record yet: code, English tables, URLs
    "bisect.md": "# 二分查找\n\n未审查的二分查找讲解丙丁。\n\n```python\ndef search(a, x):\n    return a.index(x)\n```\n",
    # (Single common words as whole cells, e.g. `| function |`, are the leak scan's false
    # positives of issue 10 part 1, judged in the leak-scan tests.)
    "table.md": "# 术语\n\n| term | 含义 |\n|---|---|\n| rollout example term | 未定义的术语戊己 |\n",
    "links.md": "---\ntags: [草稿]\nicon: material/book\n---\n\n# 链接\n\n未审查的链接页庚辛 https://example.org/a\n",
}


def _install_line(workflow: str) -> str:
    jobs = yaml.safe_load(workflow)["jobs"]
    return next(s["run"] for s in jobs["build"]["steps"] if s.get("name") == "Install")


def _all_output(root: Path) -> str:
    return "".join(p.read_text("utf-8", "replace") for p in (root / "site").rglob("*") if p.is_file())


# -- init: the CI file installs what the site uses ----------------------------------

def test_ci_installs_material_and_the_sites_extensions(tmp_path):
    site = make_site(tmp_path / "book", MATERIAL_YML)
    code, out = run("init", "--site", str(site), "--ci", "github")
    assert code == 0, out
    text = (site / ".github" / "workflows" / "secrecy-gate.yml").read_text(encoding="utf-8")
    install = _install_line(text)
    line = next(x for x in install.splitlines() if x.startswith("pip install mkdocs-secrecy-gate"))
    assert line.split()[2:] == ["mkdocs-secrecy-gate", "mkdocs-material", "pymdown-extensions"]
    assert "TODO" not in install  # everything the site uses was found
    assert "--strict" not in yaml.safe_load(text)["jobs"]["build"]["steps"][3]["run"]
    # The verification job installs the same packages by name — their own files are public
    # text to verify-site as to the build — and still nothing from the repository.
    verify = " ".join(s.get("run", "") for s in yaml.safe_load(text)["jobs"]["verify"]["steps"])
    assert "pip install mkdocs-secrecy-gate mkdocs-material pymdown-extensions" in verify
    assert "requirements.txt" not in verify

    gl = make_site(tmp_path / "gl", MATERIAL_YML + "strict: true\n")
    run("init", "--site", str(gl), "--ci", "gitlab")
    job = yaml.safe_load((gl / ".gitlab-ci.yml").read_text(encoding="utf-8"))["secrecy-gate-build"]
    assert "pip install mkdocs-secrecy-gate mkdocs-material pymdown-extensions" in job["script"]
    verify = yaml.safe_load((gl / ".gitlab-ci.yml").read_text(encoding="utf-8"))["secrecy-gate-verify"]
    assert "pip install mkdocs-secrecy-gate mkdocs-material pymdown-extensions" in verify["script"]
    assert "strict: true" in (gl / ".gitlab-ci.yml").read_text(encoding="utf-8")


def test_unknown_plugin_becomes_a_todo_not_a_guess(tmp_path):
    site = make_site(tmp_path / "s", MATERIAL_YML.replace("  - tags\n", "  - tags\n  - no-such-plugin-xyz\n"))
    run("init", "--site", str(site), "--ci", "github")
    install = _install_line((site / ".github/workflows/secrecy-gate.yml").read_text(encoding="utf-8"))
    assert "# TODO: plugin no-such-plugin-xyz is not installed" in install
    assert "no-such-plugin-xyz" not in install.splitlines()[-1]


# -- init: what the first build does, and rollout -------------------------------------

def test_first_build_after_init_in_rollout_mode_publishes_only_signed_pages(tmp_path, caplog):
    site = make_site(tmp_path / "book", MATERIAL_YML)
    for rel, text in UNSIGNED.items():
        (site / "docs" / rel).write_text(text, encoding="utf-8")
    git(site, "add", "-A")
    git(site, "commit", "-q", "-m", "existing pages")
    code, out = run("init", "--site", str(site), "--lang", "en")
    assert code == 0, out
    # init says what the first build will do and how to roll out.
    assert "4 page(s) in docs_dir (0 with a review record)" in out
    assert "rollout: true" in out and "secrecy-gate adopt" in out

    _fill_roster(site)
    (site / "docs" / "index.md").write_text(page(f"# 首页\n\n{SIGNED_TEXT}\n"), encoding="utf-8")
    git(site, "add", "-A")
    git(site, "commit", "-q", "-m", "接入 secrecy-gate")
    _approve_inputs(site)
    _sign_all(site, "index.md")

    # As init left it: the unsigned pages fail the build, with the summary printed first.
    from mkdocs.exceptions import Abort, PluginError
    with caplog.at_level(logging.INFO), pytest.raises((PluginError, Abort)):
        _build(site)
    assert "发布 1 页，删减后发布 0 页，不发布 3 页" in caplog.text
    assert "rollout: true" in caplog.text
    caplog.clear()

    # Rollout, as init's next steps say: the same build succeeds, signed pages only.
    yml = (site / "mkdocs.yml").read_text(encoding="utf-8")
    (site / "mkdocs.yml").write_text(re.sub(r"  - secrecy-gate: \{signatures: (\w+)\}\n",
                                            r"  - secrecy-gate: {signatures: \1, rollout: true}\n", yml),
                                     encoding="utf-8")
    git(site, "commit", "-q", "-am", "试行接入")
    _approve_inputs(site)
    with caplog.at_level(logging.INFO):
        _build(site)
    out = _all_output(site)
    assert SIGNED_TEXT.rstrip("。") in out
    for rel, text in UNSIGNED.items():
        for distinctive in ("二分查找讲解丙丁", "未定义的术语戊己", "未审查的链接页庚辛"):
            assert distinctive not in out, distinctive
        assert not (site / "site" / rel[:-3]).exists()
    assert "尚待审查 3 页" in caplog.text and "试行接入（rollout: true）" in caplog.text
    # Page by page (-v) the pages awaiting review are told at INFO too: --strict passes.
    strict = subprocess.run([str(BIN / "mkdocs"), "build", "--strict", "-v"], cwd=site,
                            capture_output=True, text=True)
    assert strict.returncode == 0, strict.stderr[-3000:]
    assert "signature.missing" in strict.stderr or "front-matter.missing" in strict.stderr

    # Rollout forgives only "not reviewed yet": a marking still fails the build.
    (site / "docs" / "marked.md").write_text(page("# 内部\n\n秘密★1年\n\n内容壬癸。\n"), encoding="utf-8")
    git(site, "add", "-A")
    git(site, "commit", "-q", "-m", "marked", "--no-verify")
    caplog.clear()
    with caplog.at_level(logging.INFO), pytest.raises((PluginError, Abort)):
        _build(site)
    assert "content.marking" in caplog.text
    assert not (site / "site").exists() or "内容壬癸" not in _all_output(site)


def test_docs_dir_that_git_ignores_is_reported_not_added(tmp_path):
    site = make_site(tmp_path / "gen", "site_name: x\ndocs_dir: build/docs\n", docs="src")
    (site / ".gitignore").write_text("build/\n", encoding="utf-8")
    (site / "build" / "docs").mkdir(parents=True)
    (site / "build" / "docs" / "index.md").write_text("# 生成的副本\n", encoding="utf-8")
    git(site, "add", ".gitignore")
    git(site, "commit", "-q", "-m", "ignore generated docs")
    code, out = run("init", "--site", str(site), "--lang", "en")
    assert code == 1, out  # something to do by hand
    assert "docs_dir is ignored by git" in out and "generated copy" in out
    assert "git add -A" not in out and "build/docs" not in re.findall(r"git add [^)]*", out)[0]


# -- the pre-commit hook without an activated virtual environment ----------------------

@pytest.mark.skipif(not (BIN / "pre-commit").exists(), reason="pre-commit is a test extra")
def test_hook_runs_from_a_shell_without_the_virtual_environment(tmp_path):
    site = make_site(tmp_path / "s")
    run("init", "--site", str(site))
    (site / "reviews" / "roster.yml").write_text(ROSTER, encoding="utf-8")
    git(site, "add", "-A")
    git(site, "commit", "-q", "-m", "接入 secrecy-gate")
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    subprocess.run([str(BIN / "pre-commit"), "install"], cwd=site, env=env, check=True, capture_output=True)
    # A shell as a user opens it: no venv on PATH, no VIRTUAL_ENV.
    bare = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    bare["PATH"] = "/usr/bin:/bin"
    name, email = PEOPLE["editor"]
    bare.update(GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME=name,
                GIT_COMMITTER_EMAIL=email)
    assert subprocess.run(["sh", "-c", "command -v secrecy-gate"], env=bare).returncode != 0

    def commit(text: str) -> subprocess.CompletedProcess:
        (site / "docs" / "notice.md").write_text(text, encoding="utf-8")
        subprocess.run(["git", "add", "docs/notice.md"], cwd=site, env=bare, check=True)
        return subprocess.run(["git", "commit", "-q", "-m", "notice"], cwd=site, env=bare,
                              capture_output=True, text=True)

    refused = commit("# 通知\n\n绝密★长期\n\n内容。\n")
    assert refused.returncode != 0
    assert "content.marking" in refused.stdout + refused.stderr
    accepted = commit("# 通知\n\n自下月起办公时间调整。\n")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


# -- the build's one summary -----------------------------------------------------------

def _big_site(tmp_path) -> Site:
    """120 pages (10 signed), 300 images nobody listed, a stylesheet passed by an asset glob."""
    site = Site(tmp_path / "big", plugin_options="      assets: ['css/*.css']\n")
    for i in range(120):
        site.write(f"ch{i // 10}/p{i}.md", f"# 第{i}节\n\n内容{i}。\n\n![图](img{i}.png)\n", commit=False)
    for i in range(300):
        site.write(f"ch{i % 12}/img{i}.png", b"\x89PNG" + bytes([i % 256]) * 40, commit=False)
    site.write("css/site.css", "body { color: #333 }\n", commit=False)
    site.write("index.md", page("# 首页\n\n公开的首页。\n"), commit=False)
    site.commit_all("existing book")
    site.sign_all("index.md")
    return site


def test_summary_is_a_few_dozen_lines_and_agrees_with_check(tmp_path, caplog):
    site = _big_site(tmp_path)
    with caplog.at_level(logging.INFO, logger="mkdocs.plugins.secrecy_gate"):
        site.build()
    lines = [r.getMessage() for r in caplog.records if r.name == "mkdocs.plugins.secrecy_gate"]
    text = "\n".join(lines)
    assert len(text.splitlines()) <= 30, text
    count = next(x for x in lines if x.startswith("secrecy-gate 保密审查"))
    assert count == "secrecy-gate 保密审查：发布 1 页，删减后发布 0 页，不发布 120 页；复制文件 1 个，不复制 300 个"
    assert "front-matter.missing（第二条）：120 页" in text and "file.unlisted（第二条）：300 个" in text
    assert "p17.md" not in text.replace("ch0/p0.md", "")  # no page by page

    # `check` counts the same, and lists every page and file.
    old = os.getcwd()
    os.chdir(site.root)
    try:
        code, out = run("check")
        jcode, jout = run("check", "--format", "json")
    finally:
        os.chdir(old)
    assert count in out.splitlines()
    assert "ch1/p17.md: 不发布" in out and "ch5/img17.png: 不复制" in out
    data = json.loads(jout)
    assert data["summary"] == {"published": 1, "published_redacted": 0, "withheld": 120,
                               "withheld_by_decision": 0, "awaiting_review": 120,
                               "files_copied": 1, "files_withheld": 300}
    assert len(data["pages"]) == 121 and len(data["files"]) == 301


def test_verbose_lists_every_page(tmp_path, caplog):
    site = Site(tmp_path / "v", plugin_options="      verbose: true\n")
    site.write("index.md", page("# 首页\n\n公开。\n"))
    site.sign_all("index.md")
    site.write("draft.md", "# 草稿\n")
    site.write("a.png", b"\x89PNG")
    with caplog.at_level(logging.INFO, logger="mkdocs.plugins.secrecy_gate"):
        site.build()
    assert "+ index.md" in caplog.text and "- draft.md" in caplog.text and "- a.png" in caplog.text


def test_summary_appears_when_fail_on_withheld_stops_the_build(make_site, caplog):
    from mkdocs.exceptions import Abort, PluginError
    site = make_site(fail_on_withheld=True)
    for i in range(40):
        site.write(f"old{i}.md", f"# 旧页面{i}\n\n旧内容{i}。\n", commit=False)
    site.commit_all("old pages")
    with caplog.at_level(logging.INFO), pytest.raises((PluginError, Abort)) as err:
        site.build()
    assert "不发布 40 页" in caplog.text and "front-matter.missing（第二条）：40 页" in caplog.text
    message = str(err.value) if isinstance(err.value, PluginError) else caplog.text.split("40 个页面因审查问题")[-1]
    assert "… (+35)" in message and "old39.md" not in message
    assert "rollout: true" in message


# -- the command line: MkDocs' own warnings are not echoed -----------------------------

def test_commands_do_not_echo_mkdocs_warnings_but_keep_errors(site):
    (site.root / "mkdocs.yml").write_text((site.root / "mkdocs.yml").read_text(encoding="utf-8")
                                         + "unknown_key: 1\nnav:\n  - 缺失: missing.md\n", encoding="utf-8")
    site.write("index.md", "# 首页\n", commit=False)
    site.write("README.md", "# 说明\n", commit=False)  # MkDocs: excluded, conflicts with index.md
    site.commit_all("pages")
    cli = str(BIN / "secrecy-gate")
    for args in (["check"], ["status"], ["audit"], ["inputs"]):
        proc = subprocess.run([cli, *args], cwd=site.root, capture_output=True, text=True)
        assert "Excluding" not in proc.stderr and "conflicts with" not in proc.stderr, (args, proc.stderr)
        assert "unknown_key" not in proc.stderr and "missing.md" not in proc.stderr, (args, proc.stderr)
    # A real error still says what is wrong.
    (site.root / "mkdocs.yml").write_text("site_name: [未闭合\n", encoding="utf-8")
    proc = subprocess.run([cli, "check"], cwd=site.root, capture_output=True, text=True)
    assert proc.returncode != 0 and "mkdocs.yml" in proc.stderr
