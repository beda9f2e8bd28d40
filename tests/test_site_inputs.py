"""The site's build inputs are reviewed like pages (第二条 先审核后公开, 第十八条).

mkdocs.yml, theme overrides and hooks put text and code on every page; an
editor who changes them without the administrators' approval publishes nothing,
and ``verify-site`` — which runs nothing from the repository — fails such a site
whatever an approved or unapproved hook did inside the build.
"""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner
from mkdocs.exceptions import Abort, PluginError

from conftest import PEOPLE, Site, identity, page

from secrecy_gate.cli import main

BODY = "已发布页面的正文申酉戌。"
SECRET = "不予公开页面的正文亥子丑，不得出现在网站上。"
LATE_HOOK = f"""\
from pathlib import Path
from mkdocs.plugins import event_priority

@event_priority(-200)  # after the gate's own leak scan
def on_post_build(config):
    Path(config.site_dir, "late.html").write_text("<p>{SECRET}</p>", encoding="utf-8")
"""


def cli(site: Site, *args: str, who: str | None = None):
    old = os.getcwd()
    os.chdir(site.root)
    try:
        if who is None:
            return CliRunner().invoke(main, list(args))
        with identity(site.env(who)):
            return CliRunner().invoke(main, list(args))
    finally:
        os.chdir(old)


@pytest.fixture
def gated(make_site):
    site = make_site(auto_inputs=False)
    site.write("index.md", page(f"# 首页\n\n{BODY}\n"))
    site.sign_all("index.md")
    site.write("secret.md", page(f"# 内部\n\n{SECRET}\n", disclosure="不予公开"))
    site.sign_all("secret.md", "不予公开")
    assert site.verdict("index.md").published
    return site


def codes(site: Site) -> set[str]:
    return {f.code for f in site.review().site_findings}


@pytest.mark.parametrize("change", [
    lambda t: t.replace("site_name: 测试站点", "site_name: 测试站点\ncopyright: 编辑自拟的版权声明"),
    lambda t: t.replace("site_name: 测试站点", "site_name: 测试站点\nextra:\n  announcement: 未经审核的公告"),
    lambda t: t.replace("fail_on_withheld: false", "fail_on_withheld: false\n      include_on_request: true"),
])
def test_an_unapproved_configuration_publishes_nothing(gated, change):
    gated.set_mkdocs_yml(change((gated.root / "mkdocs.yml").read_text(encoding="utf-8")), approve=False)
    gated.commit_all("改配置")
    assert "site-inputs.changed" in codes(gated)
    assert not gated.verdict("index.md").published
    with pytest.raises((PluginError, Abort)):
        gated.build()
    assert not gated.output_files()


def test_an_unapproved_hook_is_refused_and_verify_site_fails_an_approved_one(gated):
    gated.add_hook(LATE_HOOK, approve=False)
    assert "site-inputs.changed" in codes(gated)
    with pytest.raises((PluginError, Abort)):
        gated.build()
    gated.assert_absent(SECRET)
    # Administrators approve the hook: the in-build scan ran before it wrote, but the
    # deployment step's verify-site (nothing of the repository runs in it) catches it.
    gated.approve_inputs()
    gated.build()
    assert (gated.root / "site" / "late.html").is_file()
    result = cli(gated, "verify-site", "site", "--format", "json")
    assert result.exit_code == 1
    assert any(h["path"] == "late.html" for h in json.loads(result.stdout))


def test_verify_site_runs_no_hook(gated):
    """A hook that would disarm the check when imported is never imported by verify-site."""
    marker = gated.root / "hook-was-imported"
    gated.add_hook(f"from pathlib import Path\nPath({str(marker)!r}).write_text('x')\n", approve=False)
    marker.unlink(missing_ok=True)
    (gated.root / "site").mkdir(exist_ok=True)
    (gated.root / "site" / "index.html").write_text(f"<p>{BODY}</p>", encoding="utf-8")
    result = cli(gated, "verify-site", "site")
    assert not marker.exists()
    assert result.exit_code == 1 and "site-inputs.changed" in result.output


def test_approve_inputs_needs_an_administrator_and_a_current_record(gated):
    gated.add_hook("# 一个无害的钩子\n", approve=False)
    result = cli(gated, "approve", "inputs", who="secrecy_office")
    assert result.exit_code != 0 and "inputs --record" in result.output
    assert cli(gated, "inputs", "--record").exit_code == 0
    gated.commit_all("记录构建输入")
    result = cli(gated, "approve", "inputs", who="editor")
    assert result.exit_code != 0 and "管理员" in result.output
    for who in ("secrecy_office", "leader"):
        result = cli(gated, "approve", "inputs", who=who)
        assert result.exit_code == 0, result.output
    assert not codes(gated) & {"site-inputs.changed", "site-inputs.unapproved"}
    assert gated.verdict("index.md").published


def test_hand_written_approvals_count_for_nothing(gated):
    gated.add_hook("# 一个无害的钩子\n", approve=False)
    assert cli(gated, "inputs", "--record").exit_code == 0
    record = gated.root / "reviews" / "site.yml"
    from secrecy_gate.review import inputs
    recorded, _ = inputs.load_record(record)
    digest = inputs.record_digest(recorded)
    text = record.read_text(encoding="utf-8").replace("approvals: []", "approvals:\n" + "".join(
        f"  - {{name: {PEOPLE[w][0]}, date: 2026-11-30, digest: '{digest}'}}\n"
        for w in ("secrecy_office", "leader")))
    record.write_text(text, encoding="utf-8")
    gated.commit_all("构建输入已批准（编辑代写）")
    assert "site-inputs.unapproved" in codes(gated)
    assert not gated.verdict("index.md").published


def test_an_old_approved_record_brought_back_does_not_count(gated):
    """Administrators approved a record, then a new one; the editor restores the old
    configuration and the old record with its approvals (the resurrection rule)."""
    yml = gated.root / "mkdocs.yml"
    old_yml = yml.read_text(encoding="utf-8")
    old_record = (gated.root / "reviews" / "site.yml").read_text(encoding="utf-8")
    gated.set_mkdocs_yml(old_yml.replace("site_name: 测试站点", "site_name: 新站名"))
    assert gated.verdict("index.md").published
    yml.write_text(old_yml, encoding="utf-8")
    (gated.root / "reviews" / "site.yml").write_text(old_record, encoding="utf-8")
    gated.commit_all("恢复旧配置")
    assert "site-inputs.unapproved" in codes(gated)
    assert not gated.verdict("index.md").published


def test_trust_reports_the_root_and_the_approvals(gated):
    result = cli(gated, "trust", "--lang", "en")
    assert result.exit_code == 0, result.output
    root = gated.git("rev-list", "--max-parents=0", "HEAD").strip()
    assert f"SECRECY_GATE_TRUST_ROOT={root}" in result.output
    assert "approved by: 赵保密、陈领导" in result.output


def test_a_withheld_page_quoting_the_approved_site_name_is_no_leak(make_site):
    """The site name is on every page: a withheld page that repeats it proves nothing."""
    site = make_site(mkdocs_extra="copyright: 示例市人民政府办公室主办的政府信息公开网站\n")
    site.write("index.md", page(f"# 首页\n\n{BODY}\n"))
    site.sign_all("index.md")
    site.write("draft.md", page("# 草稿\n\n示例市人民政府办公室主办的政府信息公开网站\n\n草稿正文寅卯辰巳。\n"))
    site.build()
    assert BODY in site.output_text()
    site.assert_absent("草稿正文寅卯辰巳")


# -- routes a red team found (2026-11-30) ------------------------------------------------

WITHHELD_TITLE = "关于一起信访事项办理情况的报告"


@pytest.mark.parametrize("target", [
    "/secret.md?", "secret.md?x=1", "/secret.md#top", "secret%2Emd", "./secret.md", "/secret.md",
])
def test_a_nav_entry_for_a_withheld_page_is_pruned_whatever_its_spelling(make_site, target):
    """A nav entry titled as the withheld page's own title needs no approval — so it must be
    pruned with the page however the target is written (a query, a fragment, escapes)."""
    _build_withheld_in_nav(make_site, f"  - '{WITHHELD_TITLE}': '{target}'\n")


def _build_withheld_in_nav(make_site, entries: str) -> None:
    """Build a site whose nav (after the home page) is ``entries`` naming a withheld page
    titled ``WITHHELD_TITLE``: the home page is published, the withheld title and text are
    nowhere in the output."""
    site = make_site(mkdocs_extra="nav:\n  - 首页: index.md\n" + entries)
    site.write("index.md", page(f"# 首页\n\n{BODY}\n", title="首页"))
    site.sign_all("index.md")
    site.write("secret.md", page(f"# {WITHHELD_TITLE}\n\n{SECRET}\n", disclosure="不予公开",
                                 title=WITHHELD_TITLE))
    site.sign_all("secret.md", "不予公开")
    site.build()
    assert BODY in site.output_text()
    site.assert_absent(WITHHELD_TITLE, SECRET)


def test_verify_site_does_not_take_a_withheld_pages_nav_title_for_public_text(make_site):
    """The approved configuration's strings are public text — not the title of a nav entry
    that is pruned with its withheld page."""
    site = make_site(mkdocs_extra=f"nav:\n  - 首页: index.md\n  - '{WITHHELD_TITLE}': secret.md\n")
    site.write("index.md", page(f"# 首页\n\n{BODY}\n", title="首页"))
    site.sign_all("index.md")
    site.write("secret.md", page(f"# {WITHHELD_TITLE}\n\n{SECRET}\n", disclosure="不予公开",
                                 title=WITHHELD_TITLE))
    site.sign_all("secret.md", "不予公开")
    site.build()
    (site.root / "site" / "planted.html").write_text(f"<p>{WITHHELD_TITLE}</p>", encoding="utf-8")
    result = cli(site, "verify-site", "site")
    assert result.exit_code == 1 and "planted.html" in result.output


# An untitled nav entry MkDocs cannot match to a file is a link whose address is written,
# unescaped, into every page (red team, second round).
INJECTED = '"><b>编辑自拟的公告青龙计划</b><a href="'


@pytest.mark.parametrize("target", [
    f"/x.md#{INJECTED}", f"/x.md?{INJECTED}", f"/index.md#{INJECTED}", f"index.md#{INJECTED}",
    f"index.md?{INJECTED}", f"./index.md#{INJECTED}", f"sub/../index.md#{INJECTED}",
])
def test_a_nav_address_that_matches_no_page_is_text_to_approve(gated, target):
    text = (gated.root / "mkdocs.yml").read_text(encoding="utf-8")
    gated.set_mkdocs_yml(text.replace("site_name: 测试站点", "site_name: 测试站点\nnav:\n"
                                      f"  - index.md\n  - '{target}'\n"), approve=False)
    gated.commit_all("导航")
    assert "site-inputs.changed" in codes(gated)
    assert not gated.verdict("index.md").published
    with pytest.raises((PluginError, Abort)):
        gated.build()
    gated.assert_absent("青龙计划")


@pytest.mark.parametrize("target", ["drafts/编辑自拟的公告青龙计划.md", "青龙计划/x.md",
                                    "secret.md", "secret.md/"])
def test_a_nav_entry_for_a_page_that_is_not_published_is_pruned(make_site, target):
    """A page path names no text of its own, so it needs no approval — and so it must not
    reach the site as a link when no such page is published (MkDocs would print the path)."""
    site = make_site(mkdocs_extra=f"nav:\n  - 首页: index.md\n  - '{target}'\n")
    site.write("index.md", page(f"# 首页\n\n{BODY}\n", title="首页"))
    site.sign_all("index.md")
    site.write("secret.md", page(f"# 内部\n\n{SECRET}\n", disclosure="不予公开"))
    site.sign_all("secret.md", "不予公开")
    site.build()
    assert BODY in site.output_text()
    site.assert_absent("青龙计划", "secret.md", SECRET)


@pytest.mark.parametrize("name, text", [
    ("requirements.txt", "mkdocs-macros-plugin\n"),
    ("main.py", "def define_env(env):\n    pass\n"),
    (".gitattributes", "content/internal/*.md working-tree-encoding=UTF-16\n"),
])
def test_code_and_checkout_rules_the_build_runs_are_inputs(gated, name, text):
    (gated.root / name).write_text(text, encoding="utf-8")
    gated.commit_all(f"add {name}")
    assert "site-inputs.changed" in codes(gated)
    assert not gated.verdict("index.md").published


def test_a_local_package_the_requirements_install_is_an_input(gated):
    pkg = gated.root / "tools" / "extras"
    pkg.mkdir(parents=True)
    (pkg / "setup.py").write_text("from setuptools import setup\nsetup(name='extras')\n", encoding="utf-8")
    (gated.root / "requirements.txt").write_text("./tools/extras\n", encoding="utf-8")
    gated.commit_all("requirements")
    gated.approve_inputs()
    assert gated.verdict("index.md").published
    (pkg / "extras.py").write_text("import atexit\n", encoding="utf-8")  # new code in the package
    gated.commit_all("extras")
    assert "site-inputs.changed" in codes(gated)


def test_a_file_a_plugin_option_names_is_an_input(gated):
    """macros' module (main.py by default, or module_name) is code the build runs."""
    (gated.root / "site_macros.py").write_text("def define_env(env):\n    pass\n", encoding="utf-8")
    yml = (gated.root / "mkdocs.yml").read_text(encoding="utf-8")
    gated.set_mkdocs_yml(yml.replace("plugins:\n  - search\n",
                                     "plugins:\n  - search\n  - macros:\n      module_name: site_macros\n"))
    assert gated.verdict("index.md").published
    (gated.root / "site_macros.py").write_text("def define_env(env):\n    env.variables['x'] = 1\n",
                                               encoding="utf-8")
    gated.commit_all("macros")
    assert "site-inputs.changed" in codes(gated)


def test_line_endings_of_a_text_input_do_not_change_it(gated):
    """A Windows runner (core.autocrlf) checks registers out with CRLF: the same inputs."""
    cal = gated.root / "reviews" / "calendar.yml"
    cal.write_text("years: {}\n", encoding="utf-8")
    gated.commit_all("calendar")
    gated.approve_inputs()
    cal.write_bytes(cal.read_bytes().replace(b"\n", b"\r\n"))
    from secrecy_gate.review import inputs
    recorded, _ = inputs.load_record(gated.gate_config().inputs_record)
    assert gated._inputs_now()[0] == recorded


def test_check_of_one_page_judges_the_inputs_as_the_whole_site(gated):
    gated.set_mkdocs_yml((gated.root / "mkdocs.yml").read_text(encoding="utf-8").replace(
        "site_name: 测试站点", "site_name: 测试站点\ncopyright: 未经批准"), approve=False)
    gated.commit_all("改配置")
    whole = cli(gated, "check")
    one = cli(gated, "check", "content/index.md")
    assert "site-inputs.changed" in whole.output and "site-inputs.changed" in one.output
    assert one.exit_code == 1


def test_a_package_beside_mkdocs_yml_is_an_input(gated):
    """`markdown_extensions: [myext]` or `!!python/name:myext.x` imports it."""
    pkg = gated.root / "myext"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    gated.commit_all("package")
    gated.approve_inputs()
    assert gated.verdict("index.md").published
    (pkg / "core.py").write_text("import atexit\n", encoding="utf-8")
    gated.commit_all("package code")
    assert "site-inputs.changed" in codes(gated)


@pytest.mark.parametrize("layout", ["duplicate", "bom"])
def test_a_configuration_that_parsers_read_differently_is_refused(gated, layout):
    """Red team (issue 13 round): libyaml skipped a line starting with U+FEFF that MkDocs'
    pure-Python parser reads, so mkdocs.yml could be approved as one configuration and built
    as another (a later duplicate `plugins:` moving `ssh_since`).  The gate reads it as MkDocs
    does, and refuses a file the two parsers read differently or that repeats a key."""
    text = (gated.root / "mkdocs.yml").read_text(encoding="utf-8")
    changed = text.replace("fail_on_withheld: false", "fail_on_withheld: false\n      include_on_request: true")
    if layout == "duplicate":
        bad = text + "\n" + changed[changed.index("plugins:"):]
    else:
        # libyaml: extra = {a: [1]}; MkDocs' parser: an announcement nobody approved as well.
        bad = text.replace("plugins:", 'extra: {"a": [1,\n\ufeff#], "announcement": [未经审核的公告,\n]}\n'
                           "plugins:", 1)
    gated.set_mkdocs_yml(bad, approve=False)
    gated.commit_all("改配置")
    result = cli(gated, "check")
    assert result.exit_code != 0
    assert ("appears twice" in result.output) or ("different YAML parsers" in result.output) or (
        "does not parse" in result.output), result.output
    with pytest.raises((PluginError, Abort)):
        gated.build()
    assert not gated.output_files()


def test_a_nav_section_written_as_a_mapping_is_pruned_too(make_site):
    """Red team (issue 13, round 2): MkDocs reads a section given as a mapping; pruning read
    only lists, so a withheld page's title stayed in every page's navigation."""
    _build_withheld_in_nav(make_site, f"  - 政策文件: {{首页副本: index.md, '{WITHHELD_TITLE}': secret.md}}\n")
