"""Adopting an existing site: `adopt`, `attachments`, signing many pages, `diff`.

Real git repositories with the roster's identities, the real CLI through
click's CliRunner, and real MkDocs builds (Material for MkDocs where the test
is about a real site's pages).
"""

from __future__ import annotations

import hashlib
import re

import pytest
from click.testing import CliRunner
import docfiles
from conftest import STEPS, Site, page

from secrecy_gate.cli import main
from secrecy_gate.core.frontmatter import parse
from secrecy_gate.desk.adopt import record_block


def run(site: Site, who: str, *args: str):
    return CliRunner().invoke(main, [*args, "-f", str(site.root / "mkdocs.yml")],
                              env=site.env(who), catch_exceptions=False)


def head(site: Site) -> str:
    return site.git("rev-parse", "HEAD").strip()


MATERIAL_PAGE = """\
---
# Material 的页面设置：这些注释、键序和两行的流式序列都必须原样保留
title: 二叉树   # 页面标题
icon: material/graph-outline
status: new
comments: true
tags: [数据结构,
  树]
hide:
    - navigation      # 缩进与模板不同
description: "二叉树的基本概念"
---

# 二叉树

!!! note "说明"

    行尾有空格的段落。   
\t制表符开头的行

```python
def visit(node):  # 代码块
    return node
```
"""


def without_block(after: bytes, nl: str = "\n") -> bytes:
    block = record_block("").replace("\n", nl).encode()
    assert after.count(block) == 1
    return after.replace(block, b"", 1)


@pytest.mark.parametrize("variant", ["lf", "crlf", "bom"])
def test_adopt_keeps_material_front_matter_byte_for_byte(site, variant):
    nl = "\r\n" if variant == "crlf" else "\n"
    original = MATERIAL_PAGE.replace("\n", nl).encode()
    if variant == "bom":
        original = b"\xef\xbb\xbf" + original
    p = site.write("algo/tree.md", original)
    result = run(site, "editor", "adopt", str(p))
    assert result.exit_code == 0, result.output
    assert "1 page(s) got a blank review record, 0 had one already (unchanged), 0 refused" in result.output
    after = p.read_bytes()
    assert without_block(after, nl) == original
    # The record goes in last, just before the closing fence.
    assert after.split(f"{nl}---{nl}".encode())[0].endswith(
        f"  signatures: []                  # written by `secrecy-gate sign` (第十条)".encode())
    before_meta, after_doc = parse(original), parse(after)
    assert {k: v for k, v in after_doc.meta.items() if k != "review"} == before_meta.meta
    assert list(after_doc.meta) == [*before_meta.meta, "review"]
    assert after_doc.body == before_meta.body
    assert after_doc.meta["review"]["signatures"] == []
    # What the gate says now: a blank record to fill in, no longer a missing one.
    codes = {f.code for f in site.verdict("algo/tree.md").findings}
    assert "record.absent" not in codes and "record.empty-field" in codes


def test_adopt_folder_dry_run_then_write(site):
    site.write("book/plain.md", "# 没有前置信息的页面\n\n正文。\n", commit=False)
    site.write("book/sub/material.md", MATERIAL_PAGE, commit=False)
    site.write("book/reviewed.md", page("# 已有记录\n"), commit=False)
    site.write("book/image.png", b"\x89PNG\r\n\x1a\n", commit=False)
    site.write("other.md", "# 文件夹以外\n", commit=False)
    site.commit_all("已有页面")
    files = {p: p.read_bytes() for p in site.docs.rglob("*") if p.is_file()}
    dry = run(site, "editor", "adopt", "--dry-run", str(site.docs / "book"))
    assert dry.exit_code == 0, dry.output
    assert {p: p.read_bytes() for p in site.docs.rglob("*") if p.is_file()} == files
    assert "would add a blank review record" in dry.output and "book/plain.md" in dry.output
    assert "has a review record already, left as it is" in dry.output and "reviewed.md" in dry.output
    assert "    review:" in dry.output  # the lines it would add
    assert "2 page(s) would get a blank review record, 1 had one already (unchanged), 0 refused" in dry.output
    result = run(site, "editor", "adopt", "--agency", "city-office", str(site.docs / "book"))
    assert result.exit_code == 0, result.output
    plain = (site.docs / "book/plain.md").read_bytes()
    assert plain == ("---\n" + record_block("city-office") + "---\n").encode() + files[site.docs / "book/plain.md"]
    assert parse(plain).meta["review"]["lead_agency"] == "city-office"
    assert (site.docs / "book/reviewed.md").read_bytes() == files[site.docs / "book/reviewed.md"]
    assert (site.docs / "other.md").read_bytes() == files[site.docs / "other.md"]
    assert (site.docs / "book/image.png").read_bytes() == files[site.docs / "book/image.png"]
    again = run(site, "editor", "adopt", str(site.docs / "book"))
    assert "0 page(s) got a blank review record, 3 had one already (unchanged), 0 refused" in again.output


def test_adopt_refuses_what_it_cannot_add_as_text(site):
    cases = {
        "mmd.md": "Title: 多行页头\nAuthor: 某人\n\n# 正文\n",
        "flow.md": "---\n{title: 流式的前置信息}\n---\n\n# 正文\n",
        "broken.md": "---\ntitle: [没有闭合\n---\n\n# 正文\n",
    }
    for rel, text in cases.items():
        site.write(rel, text, commit=False)
    site.commit_all("难以加入记录的页面")
    result = run(site, "editor", "adopt", *(str(site.docs / rel) for rel in cases))
    assert result.exit_code == 1
    assert "MultiMarkdown header" in result.output
    assert "cannot be added as text" in result.output
    assert "does not parse" in result.output
    assert "0 page(s) got a blank review record, 0 had one already (unchanged), 3 refused" in result.output
    for rel, text in cases.items():
        assert (site.docs / rel).read_text(encoding="utf-8") == text


def test_fix_texts_and_new_point_to_adopt(site):
    site.write("bare.md", "# 没有前置信息\n", commit=False)
    site.write("norecord.md", "---\ntitle: 没有记录\n---\n\n# 正文\n", commit=False)
    site.commit_all("页面")
    review = site.review()
    for rel, code in (("bare.md", "front-matter.missing"), ("norecord.md", "record.absent")):
        (finding,) = [f for f in review.pages[rel].verdict.findings if f.code == code]
        assert f"`secrecy-gate adopt content/{rel}`" in finding.fix_en
        assert f"secrecy-gate adopt content/{rel}" in finding.fix_zh
        assert "secrecy-gate new" not in finding.fix_zh + finding.fix_en
    result = CliRunner().invoke(main, ["new", str(site.docs / "bare.md")])
    assert result.exit_code == 1
    assert f"secrecy-gate adopt {site.docs / 'bare.md'}" in result.output


# -- attachments ----------------------------------------------------------------------

PNG_A = b"\x89PNG\r\n\x1a\n" + b"image-a" * 10
PNG_B = b"\x89PNG\r\n\x1a\n" + b"image-b" * 10
PDF = docfiles.pdf(["report"])  # a real PDF: attachments are read (a corrupt one is withheld)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fill(text: str, agency: str = "city-office") -> str:
    """Fill in a blank record as its editor would (the values of conftest's ``record``)."""
    values = {"classification": "非密", "disclosure": "主动公开",
              "basis": "《中华人民共和国政府信息公开条例》第二十条",
              "reason": "本机关制定的规范性文件，应当主动公开", "lead_agency": agency,
              **{k: "false" for k in ("economic_data", "historical_events", "pending_cases",
                                      "cautious_matters", "other_risks")}}
    for key, value in values.items():
        text, n = re.subn(rf"^( +{key}:)[ \t]*(?=#|$)", rf"\1 {value}   ", text, count=1, flags=re.M)
        assert n == 1 or key == "lead_agency", key  # `adopt --agency` fills that one in
    return text


GUIDE = """\
# 指南

![示意图](../images/a.png){ width="300" }

<img src="../images/b.png" alt="第二张图">

下载[报告][r]，另见[首页](../index.md)与[外部链接](https://example.org/x.png)。

<link rel="stylesheet" href="../stylesheets/extra.css">

[r]: ../files/report.pdf "报告"
"""


def guide_site(make_site) -> Site:
    site = make_site(plugin_options='      assets: ["stylesheets/*.css"]\n')
    site.write("images/a.png", PNG_A, commit=False)
    site.write("images/b.png", PNG_B, commit=False)
    site.write("files/report.pdf", PDF, commit=False)
    site.write("stylesheets/extra.css", "body { color: black; }\n", commit=False)
    site.write("index.md", page("# 首页\n"), commit=False)
    site.write("guide/a.md", page(GUIDE), commit=False)
    site.commit_all("指南与附件")
    return site


def test_attachments_lists_linked_files_and_writes_them(make_site):
    site = guide_site(make_site)
    p = site.docs / "guide/a.md"
    listing = run(site, "editor", "attachments", str(p))
    assert listing.exit_code == 1
    out = listing.output
    for target, data in (("images/a.png", PNG_A), ("images/b.png", PNG_B), ("files/report.pdf", PDF)):
        assert f"not listed: {target}  sha256:{sha(data)}" in out
    assert "asset glob, needs no listing: stylesheets/extra.css" in out
    assert "index.md" not in out.split(str(p))[1] and "example.org" not in out
    assert "3 linked file(s) not listed, 0 changed" in out
    before = p.read_bytes()
    written = run(site, "editor", "attachments", "--write", str(p))
    assert written.exit_code == 0, written.output
    assert "3 added, 0 sha256 updated" in written.output
    after = p.read_bytes()
    assert parse(after).body == parse(before).body
    assert parse(after).meta["review"]["attachments"] == [
        {"path": "../images/a.png", "sha256": sha(PNG_A)},
        {"path": "../images/b.png", "sha256": sha(PNG_B)},
        {"path": "../files/report.pdf", "sha256": sha(PDF)}]
    # Only lines were added, before the record's signatures.
    assert [line for line in after.decode().splitlines()
            if line not in before.decode().splitlines()][0] == "  attachments:"
    again = run(site, "editor", "attachments", str(p))
    assert again.exit_code == 0 and "not listed:" not in again.output
    site.commit_all("列入附件")
    site.sign_all("guide/a.md")
    site.sign_all("index.md")
    site.build()
    out_files = site.output_files()
    assert {"images/a.png", "images/b.png", "files/report.pdf", "stylesheets/extra.css"} <= set(out_files)
    assert (site.root / "site/images/a.png").read_bytes() == PNG_A


def test_attachments_write_refuses_on_signed_pages_unless_forced(make_site):
    site = guide_site(make_site)
    p = site.docs / "guide/a.md"
    assert run(site, "editor", "attachments", "--write", str(p)).exit_code == 0
    site.commit_all("列入附件")
    site.sign_all("guide/a.md")
    assert site.verdict("guide/a.md").published
    site.write("images/a.png", PNG_A + b"changed")  # the image changed after the review
    listing = run(site, "editor", "attachments", str(p))
    assert listing.exit_code == 1
    assert f"listed, file changed: images/a.png  sha256:{sha(PNG_A + b'changed')}" in listing.output
    before, commit = p.read_bytes(), head(site)
    refused = run(site, "editor", "attachments", "--write", str(p))
    assert refused.exit_code == 1
    assert "the page has 4 signature(s) or consent(s); changing review.attachments voids them all" in refused.output
    assert "nothing written" in refused.output
    assert p.read_bytes() == before and head(site) == commit
    forced = run(site, "editor", "attachments", "--write", "--force", str(p))
    assert forced.exit_code == 0, forced.output
    assert "are now void; the originator starts over" in forced.output
    assert parse(p.read_bytes()).meta["review"]["attachments"][0]["sha256"] == sha(PNG_A + b"changed")
    site.commit_all("更新附件摘要")
    codes = {f.code for f in site.verdict("guide/a.md").findings if f.withholds}
    assert "digest.stale" in codes


def test_link_to_an_unlisted_file_says_what_to_do(make_site):
    site = guide_site(make_site)
    site.sign_all("guide/a.md")
    (finding, *_) = [f for f in site.verdict("guide/a.md").findings
                     if f.code == "link.to-withheld" and f.field == "images/a.png"]
    assert "`secrecy-gate attachments content/guide/a.md --write`" in finding.fix_en
    assert "assets:" in finding.fix_en and "secrecy-gate approve inputs" in finding.fix_en
    assert "secrecy-gate attachments content/guide/a.md --write" in finding.fix_zh
    assert "target page" not in finding.fix_en and "目标页面" not in finding.fix_zh
    assert "not listed in any published page's review.attachments" in finding.message_en


# -- a Material site adopted, from existing pages to published ones ----------------------

BOOK_INDEX = """\
---
# 本书首页（Material 的页面设置）
icon: material/book-open-page-variant
status: new
comments: true
tags: [算法,
  数据结构]
hide:
  - toc
---

# 算法图书

!!! tip "阅读建议"

    先读第一章，再读后面的章节。本书首页公开段落子丑寅。

![封面图](../images/cover.png)

```python
def hello():  # (1)!
    print("hello")
```

1. 代码注释：这是公开的代码说明。
"""

BOOK_CH1 = """\
# 第一章 复杂度

| 英文 | 中文 |
| --- | --- |
| time complexity | 时间复杂度 |

第一章公开段落卯辰巳。见 <https://example.org/algo>。
"""

DRAFT = """\
# 尚未审查的草稿

草稿里尚未审查的独特句子午未申酉。

![草稿配图](../images/draft.png)
"""


def test_material_site_adopted_signed_in_bulk_and_built(make_site):
    pytest.importorskip("material")  # installed by ./scripts/test (the test extra)
    site = make_site(mkdocs_extra="theme:\n  name: material\n  language: zh\n"
                                  "markdown_extensions:\n  - admonition\n  - attr_list\n"
                                  "  - pymdownx.superfences\n  - tables\n")
    cover, draft_png = b"\x89PNG\r\n\x1a\ncover-image", b"\x89PNG\r\n\x1a\ndraft-image"
    site.write("index.md", "# 首页\n\n站点首页公开段落戌亥。\n", commit=False)
    site.write("book/index.md", BOOK_INDEX, commit=False)
    site.write("book/ch1.md", BOOK_CH1, commit=False)
    site.write("drafts/wip.md", DRAFT, commit=False)
    site.write("images/cover.png", cover, commit=False)
    site.write("images/draft.png", draft_png, commit=False)
    site.commit_all("多年来的已有页面")
    # 1. The editor puts a blank record into every page, fills in those ready for review.
    adopted = run(site, "editor", "adopt", str(site.docs))
    assert adopted.exit_code == 0, adopted.output
    assert "4 page(s) got a blank review record" in adopted.output
    for rel in ("index.md", "book/index.md", "book/ch1.md"):
        p = site.docs / rel
        p.write_text(fill(p.read_text(encoding="utf-8")), encoding="utf-8")
    site.commit_all("加入审查记录")
    # 2. The cover image goes into the book page's record before anyone signs.
    listed = run(site, "editor", "attachments", "--write", str(site.docs / "book"))
    assert listed.exit_code == 0, listed.output
    assert "1 added" in listed.output
    site.commit_all("列入附件")
    # 3. Four reviewers, one command and one commit each for the whole book and the home page.
    before = int(site.git("rev-list", "--count", "HEAD"))
    for step in STEPS:
        result = run(site, step, "sign", str(site.docs / "book"), str(site.docs / "index.md"),
                     "--step", step, "--opinion", "主动公开")
        assert result.exit_code == 0, result.output
    assert int(site.git("rev-list", "--count", "HEAD")) == before + 4
    # The Material front matter is still the author's, keys, comments and layout.
    after = (site.docs / "book/index.md").read_text(encoding="utf-8")
    assert after.startswith(BOOK_INDEX.split("---\n\n", 1)[0])
    assert after.endswith("---\n\n" + BOOK_INDEX.split("---\n\n", 1)[1])
    review = site.review()
    assert {p for p, r in review.pages.items() if r.published} == {"index.md", "book/index.md",
                                                                  "book/ch1.md"}
    assert not review.pages["drafts/wip.md"].published
    site.build()
    out = site.output_text()
    for published in ("本书首页公开段落子丑寅", "第一章公开段落卯辰巳", "站点首页公开段落戌亥",
                      "代码注释：这是公开的代码说明"):
        assert published in out, published
    assert (site.root / "site/images/cover.png").read_bytes() == cover
    assert not (site.root / "site/images/draft.png").exists()
    site.assert_absent("草稿里尚未审查的独特句子午未申酉", "尚未审查的草稿", "draft-image")
