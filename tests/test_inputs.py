"""The site's build inputs (第二条 先审核后公开, 第十八条): review/inputs.py and `secrecy-gate inputs`.

Every test writes a real MkDocs project to a temporary directory and loads
it with MkDocs' own ``load_config`` (which imports the hooks and resolves the
Material theme), then lists the inputs as the build would.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Site, page
from mkdocs.config import load_config

from secrecy_gate.cli import main
from secrecy_gate.review import inputs as si

MKDOCS_YML = """\
INHERIT: base.yml
site_name: !ENV [SITE_NAME, 示例市人民政府]
site_url: https://example.gov.cn/
docs_dir: content
copyright: 版权所有 © 示例市人民政府办公室
theme:
  name: material
  custom_dir: overrides
  features: [announce.dismiss]
extra:
  announcement: 关于春节放假的通知
hooks:
  - hooks/banner.py
markdown_extensions:
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
      emoji_generator: !!python/name:material.extensions.emoji.to_svg
nav:
  - index.md
  - 政务公开:
      - a.md
plugins:
  - search
  - secrecy-gate:
      assets: ["images/*", "stylesheets/*.css"]
"""

BASE_YML = """\
extra:
  social:
    - icon: fontawesome/brands/weixin
      link: https://weixin.example.gov.cn/
"""

TITLES = {"index.md": "首页", "a.md": "页面甲", "b.md": "页面乙"}


def make_project(root: Path, mkdocs_yml: str = MKDOCS_YML) -> Path:
    files = {
        "mkdocs.yml": mkdocs_yml,
        "base.yml": BASE_YML,
        "overrides/main.html": '{% extends "base.html" %}\n{% block announce %}通知{% endblock %}\n',
        "overrides/partials/copyright.html": "<div>{{ config.copyright }}</div>\n",
        "overrides/.icons/gov/logo.svg": "<svg/>\n",
        "hooks/banner.py": "import helper\n\ndef on_post_build(config):\n    return None\n",
        "hooks/helper.py": "BANNER = '横幅'\n",
        "hooks/pkg/__init__.py": "",
        "hooks/pkg/mod.py": "VALUE = 1\n",
        "hooks/notes/readme.py": "# not a package (no __init__.py): not importable as hooks.notes\n",
        "reviews/roster.yml": "agencies: {}\n",
        "reviews/calendar.yml": "years: {}\n",
        "reviews/lexicon.yml": "pending_cases:\n  words: [信访]\n",
        "content/index.md": "---\ntitle: 首页\n---\n\n# 首页\n",
        "content/a.md": "---\ntitle: 页面甲\n---\n\n# 页面甲\n",
        "content/b.md": "---\ntitle: 页面乙\n---\n\n# 页面乙\n",
        "content/images/logo.png": b"\x89PNG\r\n\x1a\nlogo",
        "content/images/notes.md": "---\ntitle: 图片说明\n---\n",
        "content/stylesheets/extra.css": "body { color: black }\n",
        "content/files/report.pdf": b"%PDF-1.4 unreviewed",
    }
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            p.write_bytes(data)
        else:
            p.write_text(data, encoding="utf-8")
    return root


def load(root: Path):
    cfg = load_config(config_file=str(root / "mkdocs.yml"))
    return cfg, cfg.plugins["secrecy-gate"].config


def inputs_of(root: Path, titles=None) -> dict[str, str]:
    cfg, opts = load(root)
    return si.site_inputs(cfg, opts, TITLES if titles is None else titles)


def edit(root: Path, rel: str, old: str, new: str) -> None:
    p = root / rel
    text = p.read_text(encoding="utf-8")
    assert old in text, (old, rel)
    p.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def project(tmp_path) -> Path:
    return make_project(tmp_path / "site")


# -- what is an input -------------------------------------------------------------------

def test_every_kind_of_input_is_listed(project):
    found = si.collect(*load(project), TITLES)
    assert {p: i.kind for p, i in found.items()} == {
        "mkdocs.yml": "config",
        "base.yml": "inherit",
        "overrides/main.html": "theme",
        "overrides/partials/copyright.html": "theme",
        "overrides/.icons/gov/logo.svg": "theme",
        "hooks/banner.py": "hook",
        "hooks/helper.py": "hook-module",
        "hooks/pkg/__init__.py": "hook-module",
        "hooks/pkg/mod.py": "hook-module",
        "reviews/calendar.yml": "register",
        "reviews/lexicon.yml": "register",
        "content/images/logo.png": "asset",
        "content/stylesheets/extra.css": "asset",
    }
    # A page matching an asset glob is judged as a page; an unmatched file is not copied at all.
    for path, item in found.items():
        assert item.digest.startswith("sha256:") and len(item.digest) == 71
    data = (project / "content/images/logo.png").read_bytes()
    assert found["content/images/logo.png"].digest == "sha256:" + hashlib.sha256(data).hexdigest()


CHANGES = {
    "copyright": ("mkdocs.yml", "版权所有 ©", "版权所有（内部）©", "mkdocs.yml"),
    "announcement": ("mkdocs.yml", "关于春节放假的通知", "关于春节放假的通知（内部）", "mkdocs.yml"),
    "plugin option": ("mkdocs.yml", '"stylesheets/*.css"]', '"stylesheets/*.css"]\n      sensitive_hints: withhold',
                      "mkdocs.yml"),
    "theme option": ("mkdocs.yml", "features: [announce.dismiss]", "features: []", "mkdocs.yml"),
    "partial": ("overrides/partials/copyright.html", "<div>", "<div class=x>", "overrides/partials/copyright.html"),
    "override": ("overrides/main.html", "通知", "内部通知", "overrides/main.html"),
    "hook": ("hooks/banner.py", "return None", "return config", "hooks/banner.py"),
    "hook sibling": ("hooks/helper.py", "横幅", "内部横幅", "hooks/helper.py"),
    "hook package": ("hooks/pkg/mod.py", "1", "2", "hooks/pkg/mod.py"),
    "INHERIT parent": ("base.yml", "weixin.example", "weibo.example", "base.yml"),
    "asset": ("content/stylesheets/extra.css", "black", "red", "content/stylesheets/extra.css"),
    "calendar": ("reviews/calendar.yml", "years: {}", "years: {2027: {holidays: [2027-01-01]}}",
                 "reviews/calendar.yml"),
    "lexicon": ("reviews/lexicon.yml", "[信访]", "[信访, 立案]", "reviews/lexicon.yml"),
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_change_to_any_input_changes_its_digest(project, name):
    rel, old, new, key = CHANGES[name]
    before = inputs_of(project)
    edit(project, rel, old, new)
    after = inputs_of(project)
    assert after[key] != before[key]
    assert [p for p in after if after[p] != before.get(p)] == [key]
    assert si.record_digest(after) != si.record_digest(before)
    assert [(c.path, c.state) for c in si.compare(before, after)] == [(key, "changed")]


def test_new_and_removed_files_are_added_and_removed_inputs(project):
    before = inputs_of(project)
    (project / "overrides/partials/announce.html").write_text("<b>公告</b>", encoding="utf-8")
    (project / "content/images/new.png").write_bytes(b"new image")
    (project / "hooks/helper.py").unlink()
    (project / "hooks/banner.py").write_text("def on_config(config):\n    return config\n", encoding="utf-8")
    (project / "content/files/other.pdf").write_bytes(b"not an asset")
    after = inputs_of(project)
    assert [(c.path, c.state) for c in si.compare(before, after)] == [
        ("content/images/new.png", "added"),
        ("hooks/banner.py", "changed"),
        ("hooks/helper.py", "removed"),
        ("overrides/partials/announce.html", "added"),
    ]


def test_a_new_asset_glob_admits_its_files_as_inputs(project):
    before = inputs_of(project)
    edit(project, "mkdocs.yml", '"stylesheets/*.css"]', '"stylesheets/*.css", "files/*"]')
    after = inputs_of(project)
    assert [(c.path, c.state) for c in si.compare(before, after)] == [
        ("content/files/report.pdf", "added"), ("mkdocs.yml", "changed")]


def test_without_registers_or_custom_dir_or_hooks_only_the_config_is_an_input(tmp_path):
    root = tmp_path / "plain"
    (root / "docs").mkdir(parents=True)
    (root / "docs/index.md").write_text("# x\n", encoding="utf-8")
    (root / "mkdocs.yml").write_text("site_name: 简单站点\nplugins:\n  - secrecy-gate\n", encoding="utf-8")
    assert list(inputs_of(root)) == ["mkdocs.yml"]


def test_layout_and_comments_of_mkdocs_yml_do_not_matter(project):
    before = inputs_of(project)["mkdocs.yml"]
    reformatted = """\
# 站点配置（注释不影响摘要）
docs_dir:   content
site_url: 'https://example.gov.cn/'
site_name: !ENV [SITE_NAME, "示例市人民政府"]   # 站点名称
INHERIT: base.yml
copyright: "版权所有 © 示例市人民政府办公室"
theme: {name: material, custom_dir: overrides, features: [announce.dismiss]}
extra: {announcement: 关于春节放假的通知}
hooks: [hooks/banner.py]
markdown_extensions:
- pymdownx.emoji:
    emoji_generator: !!python/name:material.extensions.emoji.to_svg
    emoji_index: !!python/name:material.extensions.emoji.twemoji

nav:
- index.md
- 政务公开: [a.md]
plugins:
- search
- secrecy-gate: {assets: ['images/*', 'stylesheets/*.css']}
"""
    (project / "mkdocs.yml").write_text(reformatted, encoding="utf-8")
    assert inputs_of(project)["mkdocs.yml"] == before
    # The order of a list is a value: plugins run in that order.
    edit(project, "mkdocs.yml", "- search\n- secrecy-gate: {assets: ['images/*', 'stylesheets/*.css']}",
         "- secrecy-gate: {assets: ['images/*', 'stylesheets/*.css']}\n- search")
    assert inputs_of(project)["mkdocs.yml"] != before


# -- nav: structure free, titles reviewed --------------------------------------------------

@pytest.mark.parametrize("nav, same", [
    ("  - index.md\n  - 政务公开:\n      - a.md\n      - b.md\n", True),           # a reviewed page, no title
    ("  - index.md\n  - 政务公开:\n      - a.md\n      - 页面乙: b.md\n", True),   # its own reviewed title
    ("  - 政务公开:\n      - a.md\n  - index.md\n", True),                          # reordered
    ("  - 首页: index.md\n  - 政务公开:\n      - 页面甲: a.md\n", True),           # own titles
    ("  - 首页: index.md\n  - 政务公开:\n      - 页面甲: ./a.md\n", True),         # as MkDocs matches it
    # MkDocs matches no file: a link whose address (any text after `#`) is on every page.
    ("  - 首页: index.md\n  - 政务公开:\n      - 页面甲: a.md#part\n", False),
    ("  - index.md\n", False),                                                     # a section title removed
    ("  - index.md\n  - 政务公开:\n      - a.md\n  - 内部资料:\n      - b.md\n", False),   # new section title
    ("  - index.md\n  - 政务公开:\n      - a.md\n      - 另一个标题: b.md\n", False),     # differs from the page's
    ("  - index.md\n  - 政务公开:\n      - a.md\n      - 页面乙: a.md\n", False),         # b's title on a
    ("  - index.md\n  - 政务公开:\n      - a.md\n      - https://evil.example/\n", False),  # a link
    ("  - index.md\n  - 政务公开:\n      - a.md\n      - 征求意见: missing.md\n", False),  # no such page
])
def test_nav_titles_not_nav_structure(project, nav, same):
    before = inputs_of(project)["mkdocs.yml"]
    text = (project / "mkdocs.yml").read_text(encoding="utf-8")
    head, rest = text.split("nav:\n", 1)
    rest = rest.split("plugins:", 1)[1]
    (project / "mkdocs.yml").write_text(head + "nav:\n" + nav + "plugins:" + rest, encoding="utf-8")
    assert (inputs_of(project)["mkdocs.yml"] == before) is same


def test_a_nav_entry_is_judged_alike_whatever_its_pages_review_state(project):
    """Whether b.md is published or still in review, a nav title other than its own is
    text to approve, and its own title is not: a page moving through review never changes
    the inputs (and so never stops the whole site)."""
    edit(project, "mkdocs.yml", "      - a.md\n", "      - a.md\n      - 页面乙: b.md\n")
    in_review = {"index.md": "首页", "a.md": "页面甲", "b.md": "页面乙"}  # b.md withheld, readable
    assert inputs_of(project, in_review)["mkdocs.yml"] == inputs_of(project, TITLES)["mkdocs.yml"]
    before = inputs_of(project, in_review)["mkdocs.yml"]
    edit(project, "mkdocs.yml", "      - 页面乙: b.md\n", "      - 任意文字: b.md\n")
    assert inputs_of(project, in_review)["mkdocs.yml"] != before


def test_nav_titles_lists_exactly_the_new_text(tmp_path):
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    for rel in ("a.md", "sub/b.md", "c.md", "file.pdf"):
        (docs / rel).write_text("x", encoding="utf-8")
    nav = [
        "a.md",
        {"页面甲": "a.md"},
        {"栏目": [{"页面乙": "/sub/b.md"}, {"改名": "sub/b.md"}, "c.md", {"附件": "file.pdf"}]},
        {"外链": "https://example.org/x"},
        {"页面甲": "gone.md"},
        {"环境": si.Tagged("!ENV", "LINK")},
    ]
    titles = {"a.md": "页面甲", "sub/b.md": "页面乙"}
    assert si.nav_titles(nav, titles, str(docs)) == [
        ["link", "外链", "https://example.org/x"],
        ["link", "页面乙", "/sub/b.md"],  # a leading `/`: MkDocs writes the address as it is
        ["other", "环境", '{"!tag":"!ENV","value":"LINK"}'],
        ["section", "栏目"],
        ["title", "改名"],
        ["title", "附件"],
        ["title", "页面甲"],  # gone.md: a page entry whose page is not there (yet)
    ]


# -- MkDocs' YAML tags ------------------------------------------------------------------

def test_env_and_python_name_tags_are_kept_not_resolved(project, monkeypatch):
    data = si.load_config_yaml((project / "mkdocs.yml").read_bytes(), "mkdocs.yml")
    assert data["site_name"] == si.Tagged("!ENV", ["SITE_NAME", "示例市人民政府"])
    emoji = data["markdown_extensions"][0]["pymdownx.emoji"]
    assert emoji["emoji_generator"] == si.Tagged(
        "tag:yaml.org,2002:python/name:material.extensions.emoji.to_svg", "")
    before = inputs_of(project)["mkdocs.yml"]
    # The environment is the CI's business: the approved text is the tag, not its value.
    monkeypatch.setenv("SITE_NAME", "另一个名称")
    cfg, opts = load(project)
    assert cfg.site_name == "另一个名称"
    assert si.site_inputs(cfg, opts, TITLES)["mkdocs.yml"] == before
    edit(project, "mkdocs.yml", "!ENV [SITE_NAME,", "!ENV [OTHER_NAME,")
    assert inputs_of(project)["mkdocs.yml"] != before
    edit(project, "mkdocs.yml", "emoji_generator: !!python/name:material.extensions.emoji.to_svg",
         "emoji_generator: !!python/name:material.extensions.emoji.twemoji")
    assert inputs_of(project)["mkdocs.yml"] != before


def test_relative_tag_loads(project):
    edit(project, "mkdocs.yml", "markdown_extensions:\n",
         "markdown_extensions:\n  - pymdownx.snippets:\n      base_path: !relative $config_dir\n")
    data = si.load_config_yaml((project / "mkdocs.yml").read_bytes(), "mkdocs.yml")
    assert data["markdown_extensions"][0]["pymdownx.snippets"]["base_path"] == si.Tagged(
        "!relative", "$config_dir")
    assert "mkdocs.yml" in inputs_of(project)


# -- refused ------------------------------------------------------------------------------

@pytest.mark.parametrize("custom_dir", ["content/overrides", "content", "."])
def test_custom_dir_inside_equal_or_around_docs_dir_is_refused(project, custom_dir):
    (project / "content/overrides").mkdir(exist_ok=True)
    (project / "content/overrides/main.html").write_text("{{ 1 }}", encoding="utf-8")
    edit(project, "mkdocs.yml", "custom_dir: overrides", f"custom_dir: {custom_dir}")
    cfg, opts = load(project)
    with pytest.raises(si.InputsError) as exc:
        si.site_inputs(cfg, opts, TITLES)
    assert "docs_dir" in exc.value.en and "docs_dir" in exc.value.zh
    review = si.review_inputs(cfg, opts, TITLES)
    assert review.current is None
    assert [f.code for f in review.findings] == ["site-inputs.invalid"]
    assert review.findings[0].article == si.ARTICLE and not review.matches


def test_symlink_from_custom_dir_to_a_page_is_refused_other_files_hashed_by_content(project):
    link = project / "overrides/partials/logo.png"
    link.symlink_to(project / "content/images/logo.png")
    before = inputs_of(project)
    assert "overrides/partials/logo.png" in before
    (project / "content/images/logo.png").write_bytes(b"another logo")
    assert inputs_of(project)["overrides/partials/logo.png"] != before["overrides/partials/logo.png"]
    (project / "overrides/partials/page.md").symlink_to(project / "content/a.md")
    with pytest.raises(si.InputsError):
        inputs_of(project)


def test_symlinked_directory_is_followed_and_a_loop_is_not(project, tmp_path):
    shared = project / "shared-partials"
    shared.mkdir()
    (shared / "footer.html").write_text("<footer>页脚</footer>", encoding="utf-8")
    (project / "overrides/partials/shared").symlink_to(shared, target_is_directory=True)
    (shared / "loop").symlink_to(project / "overrides", target_is_directory=True)
    found = inputs_of(project)
    assert "overrides/partials/shared/footer.html" in found
    assert not any("/loop/partials/shared/loop/" in p for p in found)
    (project / "overrides/partials/docs").symlink_to(project / "content", target_is_directory=True)
    with pytest.raises(si.InputsError):
        inputs_of(project)


@pytest.mark.parametrize("line, new", [
    ("custom_dir: overrides", "custom_dir: ../outside"),
    ("INHERIT: base.yml", "INHERIT: ../outside/base.yml"),
])
def test_inputs_outside_the_site_are_refused(project, line, new):
    outside = project.parent / "outside"
    outside.mkdir()
    (outside / "main.html").write_text("x", encoding="utf-8")
    (outside / "base.yml").write_text(BASE_YML, encoding="utf-8")
    edit(project, "mkdocs.yml", line, new)
    cfg, opts = load(project)
    with pytest.raises(si.InputsError) as exc:
        si.site_inputs(cfg, opts, TITLES)
    assert "outside the directory of mkdocs.yml" in exc.value.en


# -- the record ---------------------------------------------------------------------------

def test_record_digest_is_sha256_of_canonical_json():
    inputs = {"mkdocs.yml": "sha256:" + "1" * 64, "a/中文.css": "sha256:" + "2" * 64}
    canonical = '{"a/中文.css":"sha256:' + "2" * 64 + '","mkdocs.yml":"sha256:' + "1" * 64 + '"}'
    assert si.record_digest(inputs) == "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    assert si.record_digest(dict(reversed(list(inputs.items())))) == si.record_digest(inputs)


def test_write_record_creates_keeps_comments_and_drops_stale_approvals(tmp_path):
    path = tmp_path / "reviews/site.yml"
    first = {"mkdocs.yml": "sha256:" + "a" * 64, "hooks/x.py": "sha256:" + "b" * 64}
    result = si.write_record(path, first, {"mkdocs.yml": "config"})
    assert result.created and result.dropped == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Build inputs approved by the roster's administrators (第二条")
    assert "# configuration; nav structure excluded, nav titles included" in text
    assert si.load_record(path) == (first, [])
    old_digest = si.record_digest(first)
    # Approvals as the trust code writes them, and a maintainer's comments.
    text = text.replace("inputs:\n", "inputs:  # 构建输入\n").replace(
        "approvals: []\n",
        "approvals:   # 批准记录\n"
        f"  - {{name: 赵保密, date: 2026-11-30, digest: \"{old_digest}\"}}\n"
        f"  - {{name: 陈领导, date: 2026-12-01, digest: \"{old_digest}\"}}\n"
        f"  - {{name: 旧批准, date: 2026-01-01, digest: \"sha256:{'c' * 64}\"}}\n")
    path.write_text(text, encoding="utf-8")
    again = si.write_record(path, first)
    assert (again.kept, again.dropped) == (2, 1)  # same inputs: its approvals stay
    inputs, approvals = si.load_record(path)
    assert [a["name"] for a in approvals] == ["赵保密", "陈领导"]
    second = {**first, "hooks/x.py": "sha256:" + "d" * 64, "overrides/main.html": "sha256:" + "e" * 64}
    del second["mkdocs.yml"]
    result = si.write_record(path, second, {"overrides/main.html": "theme"})
    assert (result.kept, result.dropped) == (0, 2)
    text = path.read_text(encoding="utf-8")
    assert "# Written by `secrecy-gate inputs --record`" in text
    assert "inputs:  # 构建输入" in text and "# 批准记录" in text
    assert "# theme.custom_dir file" in text
    assert "mkdocs.yml" not in text.split("inputs:", 1)[1]
    assert si.load_record(path) == (second, [])
    assert result.digest == si.record_digest(second)


def test_write_record_refuses_to_overwrite_an_invalid_record(tmp_path):
    path = tmp_path / "site.yml"
    broken = "inputs:\n  mkdocs.yml: \"sha256:" + "a" * 64 + "\"\n<<<<<<< HEAD\n"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(si.RecordError):
        si.write_record(path, {"mkdocs.yml": "sha256:" + "b" * 64})
    assert path.read_text(encoding="utf-8") == broken
    with pytest.raises(si.RecordError):
        si.write_record(tmp_path / "new.yml", {"../mkdocs.yml": "sha256:" + "b" * 64})
    assert not (tmp_path / "new.yml").exists()


GOOD = "sha256:" + "a" * 64


@pytest.mark.parametrize("text, words", [
    (f"inputs:\n  mkdocs.yml: \"{GOOD}\"\n  mkdocs.yml: \"{GOOD}\"\n", "duplicate key"),
    ("inputs:\n  mkdocs.yml: \"sha256:xyz\"\n", "sha256:<64 hex>"),
    (f"inputs:\n  ../outside.yml: \"{GOOD}\"\n", "must not contain .."),
    (f"inputs:\n  /etc/passwd: \"{GOOD}\"\n", "must be relative"),
    (f"inputs:\n  a/./b: \"{GOOD}\"\n", "must not contain .."),
    (f"inputs: {{}}\nsignatures: []\n", "unknown keys"),
    ("inputs: [mkdocs.yml]\n", "must map paths"),
    (f"inputs: {{}}\napprovals: {{name: x}}\n", "list of approval entries"),
    ("- just a list\n", "must be a mapping"),
    (f"inputs: &a\n  mkdocs.yml: \"{GOOD}\"\napprovals: *a\n", "anchors are not allowed"),
])
def test_load_record_is_strict(tmp_path, text, words):
    path = tmp_path / "site.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(si.RecordError) as exc:
        si.load_record(path)
    assert words in exc.value.en
    assert exc.value.zh


def test_load_record_missing_and_non_utf8(tmp_path):
    with pytest.raises(si.RecordMissing):
        si.load_record(tmp_path / "nothing.yml")
    (tmp_path / "gbk.yml").write_bytes("inputs: {}  # 注释".encode("gbk"))
    with pytest.raises(si.RecordError) as exc:
        si.load_record(tmp_path / "gbk.yml")
    assert "UTF-8" in exc.value.en


def test_findings_name_each_input_and_say_what_to_do():
    current = {"mkdocs.yml": GOOD, "overrides/main.html": "sha256:" + "b" * 64,
               "content/images/new.png": "sha256:" + "c" * 64}
    recorded = {"mkdocs.yml": GOOD, "overrides/main.html": "sha256:" + "9" * 64,
                "hooks/old.py": "sha256:" + "d" * 64}
    assert si.inputs_findings(current, current, "reviews/site.yml") == []
    [f] = si.inputs_findings(recorded, current, "reviews/site.yml")
    assert (f.code, f.article, f.page, f.withholds) == ("site-inputs.changed", "第二条、第十八条",
                                                         "reviews/site.yml", True)
    for text in (f.message_zh, f.message_en):
        assert "overrides/main.html" in text and "content/images/new.png" in text and "hooks/old.py" in text
        assert "mkdocs.yml" not in text
    assert "已变更" in f.message_zh and "新增" in f.message_zh and "已删除" in f.message_zh
    for fix in (f.fix_zh, f.fix_en):
        assert "secrecy-gate inputs --record" in fix and "secrecy-gate approve inputs" in fix
    [u] = si.inputs_findings(None, current, "reviews/site.yml")
    assert u.code == "site-inputs.unrecorded" and "secrecy-gate inputs --record" in u.fix_en
    [i] = si.inputs_findings(si.RecordError("坏", "broken"), current, "reviews/site.yml")
    assert i.code == "site-inputs.record-invalid" and "broken" in i.message_en and "坏" in i.message_zh


def test_review_inputs_is_one_call(project):
    cfg, opts = load(project)
    review = si.review_inputs(cfg, opts, TITLES)
    assert review.record_path == project / "reviews/site.yml"
    assert [f.code for f in review.findings] == ["site-inputs.unrecorded"]
    assert review.findings[0].page == "reviews/site.yml"
    si.write_record(review.record_path, review.current, review.kinds)
    review = si.review_inputs(cfg, opts, TITLES)
    assert review.findings == [] and review.matches
    assert review.digest == si.record_digest(si.load_record(review.record_path)[0])
    assert all(state == "ok" for _, state in review.states())
    edit(project, "overrides/main.html", "通知", "内部通知")
    review = si.review_inputs(cfg, opts, TITLES)
    assert [f.code for f in review.findings] == ["site-inputs.changed"] and not review.matches
    assert ("overrides/main.html", "changed") in review.states()
    (project / "reviews/site.yml").write_text("inputs: [", encoding="utf-8")
    review = si.review_inputs(cfg, opts, TITLES)
    assert [f.code for f in review.findings] == ["site-inputs.record-invalid"]


def test_record_beside_a_custom_roster(project):
    edit(project, "mkdocs.yml", 'assets: ["images/*",', 'roster: admin/people.yml\n      assets: ["images/*",')
    cfg, opts = load(project)
    assert si.record_path(cfg, opts) == project / "admin/site.yml"


# -- the command -------------------------------------------------------------------------

def run(site: Site, *args: str):
    return CliRunner().invoke(main, ["inputs", *args, "-f", str(site.root / "mkdocs.yml")],
                              env=site.env("editor"), catch_exceptions=False)


def test_cli_lists_records_and_detects_changes(make_site):
    site = make_site(mkdocs_extra="hooks:\n  - hooks/banner.py\nnav:\n  - 首页: index.md\n",
                     plugin_options='      assets: ["images/*"]\n')
    (site.root / "hooks").mkdir()
    (site.root / "hooks/banner.py").write_text("def on_post_build(config):\n    pass\n", encoding="utf-8")
    site.write("index.md", page("正文\n", title="首页"), commit=False)
    site.write("images/logo.png", b"logo", commit=False)
    site.commit_all("站点")
    site.sign_all("index.md")

    out = run(site)
    assert out.exit_code == 1
    lines = out.output.splitlines()
    for path in ("mkdocs.yml", "hooks/banner.py", "content/images/logo.png"):
        assert f"added  {path}" in lines
    assert "site-inputs.unrecorded" in out.output

    out = run(site, "--record")
    assert out.exit_code == 0, out.output
    assert "secrecy-gate approve inputs" in out.output
    recorded, approvals = si.load_record(site.root / "reviews/site.yml")
    assert set(recorded) == {"mkdocs.yml", "hooks/banner.py", "content/images/logo.png"}
    assert approvals == []

    out = run(site)
    assert out.exit_code == 0, out.output
    assert "ok  hooks/banner.py" in out.output.splitlines()

    # A second published page joins the nav under its own title: no new approval needed.
    site.write("b.md", page("乙\n", title="页面乙"))
    site.sign_all("b.md")
    site.set_mkdocs_yml(site.root.joinpath("mkdocs.yml").read_text(encoding="utf-8").replace(
        "  - 首页: index.md\n", "  - 首页: index.md\n  - 页面乙: b.md\n"))
    assert run(site).exit_code == 0

    (site.root / "hooks/banner.py").write_text("def on_post_build(config):\n    print(1)\n", encoding="utf-8")
    site.write("images/new.png", b"new", commit=False)
    out = run(site, "--format", "json", "--lang", "en")
    assert out.exit_code == 1
    data = json.loads(out.output)
    states = {row["path"]: row["state"] for row in data["inputs"]}
    assert states == {"mkdocs.yml": "ok", "hooks/banner.py": "changed",
                      "content/images/logo.png": "ok", "content/images/new.png": "added"}
    assert data["recorded_digest"] == si.record_digest(recorded)
    assert data["digest"] != data["recorded_digest"]
    assert [f["code"] for f in data["findings"]] == ["site-inputs.changed"]

    out = run(site, "--record", "--lang", "en")
    assert out.exit_code == 0 and "recorded 4 build inputs" in out.output
    assert run(site).exit_code == 0


def test_cli_refuses_unsafe_inputs(make_site):
    site = make_site(mkdocs_extra="theme:\n  name: mkdocs\n  custom_dir: content/theme\n")
    site.write("theme/main.html", "{% extends 'base.html' %}")
    out = run(site)
    assert out.exit_code == 1
    assert "site-inputs.invalid" in out.output and "docs_dir" in out.output
    out = run(site, "--record")
    assert out.exit_code == 1 and not (site.root / "reviews/site.yml").exists()


def test_nothing_of_the_record_reaches_the_site(make_site):
    """reviews/site.yml sits outside docs_dir: a build never copies it."""
    site = make_site()
    site.write("index.md", page("正文\n", title="首页"))
    site.sign_all("index.md")
    assert run(site, "--record").exit_code == 0
    site.commit_all("记录构建输入")
    site.build()
    assert "index.html" in site.output_files()
    digest = si.load_record(site.root / "reviews/site.yml")[0]["mkdocs.yml"]
    site.assert_absent(digest, "approvals:")


def test_paths_are_posix_and_relative(project):
    for path in inputs_of(project):
        assert not os.path.isabs(path) and "\\" not in path and ".." not in path.split("/")
        si.check_relative(path)
