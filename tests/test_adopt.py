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
