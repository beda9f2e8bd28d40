"""Routes a red team took past the attachment reading (issue 14, second round), each caught.

Every file is written by code (``tests/redteam_files.py``): openpyxl, python-docx and
python-pptx documents with parts as Word, WPS or a script writes them, and PDF objects
written out one by one.  Each is listed in a page's ``review.attachments``, signed by the
four reviewers in a real git repository; the page is withheld with a finding that names the
place inside the file, and a real MkDocs build leaves the file and its content out.
"""

from __future__ import annotations

import docfiles as D
import redteam_files as F
from test_attachments import attach, findings, output_all, sha

from secrecy_gate.scanners.documents import DocumentCache
from secrecy_gate.scanners.leakscan import LeakScanner

ID_MASKED = "620***********1239"
MOB_MASKED = "139****5678"


def withholding(site, rel, code):
    return [f for f in findings(site, rel) if f.code == code and f.withholds]


def assert_caught(site, rel, name, data, *codes_and_texts):
    """Each (code, text) is a withholding finding on ``rel`` whose message holds ``text``."""
    fs = findings(site, rel)
    for code, text in codes_and_texts:
        hit = [f for f in fs if f.code == code and f.withholds and text in f.message_zh]
        assert hit, (code, text, [(f.code, f.message_zh) for f in fs])
        assert f"files/{name}" in hit[0].message_zh
    return fs


# -- 1. spreadsheets: custom number formats, formulas -------------------------------------------

def test_xlsx_number_format_with_literal_text_shows_the_id_and_the_mobile(site):
    data = F.xlsx_numfmt()  # cells 198503151239 under "620602"@, 12345678 under "139"00000000
    attach(site, "roster.md", {"roster.xlsx": data})
    fs = assert_caught(site, "roster.md", "roster.xlsx", data,
                       ("attachment.resident-id", ID_MASKED), ("attachment.mobile", MOB_MASKED))
    rid = next(f for f in fs if f.code == "attachment.resident-id")
    assert "B2" in rid.message_zh and F.ID not in rid.render() + rid.render("en")
    site.build()
    assert "files/roster.xlsx" not in site.output_files()


def test_xlsx_formula_without_cached_value_is_read_from_its_literals(site):
    data = F.xlsx_formula()  # ="620602"&"198503151239", =CONCATENATE("139","1234","5678")
    attach(site, "list.md", {"list.xlsx": data})
    fs = assert_caught(site, "list.md", "list.xlsx", data,
                       ("attachment.resident-id", ID_MASKED), ("attachment.mobile", MOB_MASKED))
    assert any("B2" in f.message_zh for f in fs if f.code == "attachment.resident-id")


def test_xlsx_formula_of_cell_references_is_computed(site):
    # =A2&B2, no cached value (A2 in a hidden column): computed from the cells it refers to
    # (the formula no evaluator computes, unreadable unless acknowledged: test_attachments_sheets).
    data = F.xlsx_formula_refs()
    attach(site, "refs.md", {"refs.xlsx": data})
    fs = assert_caught(site, "refs.md", "refs.xlsx", data, ("attachment.resident-id", ID_MASKED))
    assert any("C2" in f.message_zh for f in fs if f.code == "attachment.resident-id")
    assert not withholding(site, "refs.md", "attachment.unreadable")


def test_xlsx_ordinary_literal_formats_publish(site):
    data = F.xlsx_clean_formats()  # #,##0.00"元", 0.0%
    attach(site, "amounts.md", {"amounts.xlsx": data})
    assert not [f for f in findings(site, "amounts.md") if f.withholds]
    site.build()
    assert "files/amounts.xlsx" in site.output_files()


# -- 2. Word and PowerPoint: every part, every text-bearing attribute ----------------------------

def test_docx_watermark_in_the_header_is_a_marking(site):
    data = F.docx_watermark("机密★5年")  # VML WordArt: v:textpath/@string
    attach(site, "wm.md", {"notice.docx": data})
    fs = assert_caught(site, "wm.md", "notice.docx", data, ("attachment.marking", "机密★5年"))
    assert any("header" in f.message_en for f in fs if f.code == "attachment.marking")
    site.build()
    assert "files/notice.docx" not in site.output_files()


def test_docx_hyperlink_tooltip_alt_text_and_document_variable(site):
    tip = F.docx_tooltip()
    alt = F.docx_alt_text_and_docvar()
    attach(site, "tip.md", {"contact.docx": tip})
    assert_caught(site, "tip.md", "contact.docx", tip,
                  ("attachment.resident-id", ID_MASKED), ("attachment.mobile", MOB_MASKED))
    attach(site, "alt.md", {"alt.docx": alt})
    fs = assert_caught(site, "alt.md", "alt.docx", alt,
                       ("attachment.resident-id", ID_MASKED), ("attachment.mobile", MOB_MASKED))
    assert any("word/settings.xml" in f.message_zh for f in fs if f.code == "attachment.mobile")


def test_docx_smartart_and_strict_open_xml_are_read(site):
    art = F.docx_smartart("内部资料 注意保存")
    strict = F.docx_strict()
    attach(site, "art.md", {"art.docx": art})
    assert_caught(site, "art.md", "art.docx", art, ("attachment.marking", "内部资料"))
    attach(site, "strict.md", {"strict.docx": strict})
    assert_caught(site, "strict.md", "strict.docx", strict, ("attachment.resident-id", ID_MASKED))


def test_pptx_marking_in_a_slide_layout(site):
    data = F.pptx_layout("机密★1年")
    attach(site, "deck.md", {"deck.pptx": data})
    assert_caught(site, "deck.md", "deck.pptx", data, ("attachment.marking", "机密★1年"))


# -- 3. PDF: stamps, attached files, earlier revisions, fonts, metadata, scans ------------------

def test_pdf_stamp_appearance_is_read(site):
    data = F.pdf_stamp_id()  # a Stamp annotation with an appearance stream and no /Contents
    attach(site, "stamp.md", {"stamp.pdf": data})
    assert_caught(site, "stamp.md", "stamp.pdf", data,
                  ("attachment.marking", "机密★5年"), ("attachment.resident-id", ID_MASKED))
    site.build()
    assert "files/stamp.pdf" not in site.output_files()


def test_pdf_file_attachment_annotation_is_read(site):
    data = F.pdf_file_annot()  # a paper-clip comment holding list.csv
    attach(site, "clip.md", {"clip.pdf": data})
    fs = assert_caught(site, "clip.md", "clip.pdf", data,
                       ("attachment.resident-id", ID_MASKED), ("attachment.mobile", MOB_MASKED))
    assert any("list.csv" in f.message_zh for f in fs if f.code == "attachment.resident-id")


def test_pdf_earlier_revision_of_an_incremental_save_is_read(site):
    data = F.pdf_incremental()  # the last revision masks the ID; the first still holds it
    attach(site, "edited.md", {"edited.pdf": data})
    fs = assert_caught(site, "edited.md", "edited.pdf", data,
                       ("attachment.resident-id", ID_MASKED), ("attachment.mobile", MOB_MASKED))
    assert any("早期修订版本" in f.message_zh and "earlier revision" in f.message_en
               for f in fs if f.code == "attachment.resident-id")


def test_pdf_font_without_unicode_mapping_is_unreadable(site):
    data = F.pdf_type3()  # digits drawn by a Type3 font whose glyphs are /g0 … /g9
    attach(site, "oa.md", {"oa.pdf": data})
    fs = withholding(site, "oa.md", "attachment.unreadable")
    assert fs and "Unicode" in fs[0].message_zh and "oa.pdf" in fs[0].message_zh


def test_pdf_title_subject_and_bookmarks_are_read(site):
    data = F.pdf_meta()
    attach(site, "titled.md", {"titled.pdf": data})
    fs = assert_caught(site, "titled.md", "titled.pdf", data,
                       ("attachment.marking", "机密★5年"), ("attachment.resident-id", ID_MASKED),
                       ("attachment.mobile", MOB_MASKED))
    assert any("标题" in f.message_zh for f in fs if f.code == "attachment.marking")
    assert any("书签" in f.message_zh for f in fs if f.code == "attachment.mobile")


def test_pdf_scan_with_an_ocr_text_layer_is_unreadable_unless_acknowledged(site):
    data = F.pdf_ocr_scan()  # image + invisible OCR text that misread 0 as O and 1 as l
    attach(site, "scan.md", {"scan.pdf": data})
    fs = withholding(site, "scan.md", "attachment.unreadable")
    assert fs and "扫描" in fs[0].message_zh
    attach(site, "scan2.md", {"scan2.pdf": data}, ack={"scan2.pdf": "扫描件，已人工核对"})
    assert not [f for f in findings(site, "scan2.md") if f.withholds]
    site.build()
    assert "files/scan.pdf" not in site.output_files() and "files/scan2.pdf" in site.output_files()


def test_clean_pdf_with_a_comment_and_a_form_field_still_publishes(site):
    data = D.pdf(["关于公布补助名单的通知"], annotation="已核对", field_value="Office")
    attach(site, "clean.md", {"clean.pdf": data})
    assert not [f for f in findings(site, "clean.md") if f.withholds]


# -- 4. the check character X typed as ×, Χ, Х -----------------------------------------------------

def test_id_with_a_times_sign_or_a_greek_or_cyrillic_check_character(site):
    for n, x in enumerate(("×", "\u03a7", "\u0445")):
        data = f"身份证号：{F.IDX[:-1]}{x}\n".encode()
        attach(site, f"x{n}.md", {f"ids{n}.txt": data})
        fs = withholding(site, f"x{n}.md", "attachment.resident-id")
        assert fs and "620***********102X" in fs[0].message_zh, x
    site.write("page.md", D_page(f"# 名单\n\n身份证号：{F.IDX[:-1]}×\n"))
    site.sign_all("page.md")
    assert any(f.code.endswith("resident-id") and f.withholds for f in findings(site, "page.md"))


def D_page(body):
    from conftest import page
    return page(body)


# -- 5. 第九条 and the leak scan: the cut text in an earlier revision, in a formula ------------------

def test_secret_point_in_an_earlier_pdf_revision_and_in_a_formula(site):
    body = (f"# 供水安排\n\n涉及区域：<!-- 密点 -->{F.SECRET}<!-- /密点 -->以外的全部片区。\n")
    pdfb, xb = F.pdf_incremental_secret(), F.xlsx_formula_secret()
    attach(site, "water.md", {"n.pdf": pdfb, "t.xlsx": xb}, body=body, disclosure="删减后公开",
           review_extra="redactions: 1\n")
    fs = withholding(site, "water.md", "redaction.secret-in-attachment")
    assert any("files/n.pdf" in f.message_zh for f in fs), [f.message_zh for f in fs]
    assert any("files/t.xlsx" in f.message_zh for f in fs)
    assert all(F.SECRET not in f.render() for f in fs)
    site.build()
    files = site.output_files()
    assert "water/files/n.pdf" not in files and "files/n.pdf" not in files
    assert F.SECRET not in output_all(site)
    # The leak scan reads the same texts: either file in an output directory is a leak.
    scanner = LeakScanner({F.SECRET: "water.md"})
    for name, data in (("n.pdf", pdfb), ("t.xlsx", xb)):
        assert any(h.kind == "leaked-text" for h in scanner.scan_bytes(name, data)), name
    assert sha(pdfb) and DocumentCache().get("n.pdf", pdfb).unreadable == []


# -- 6. pre-commit: documents are read, and the fix does not speak of a page that is not there -------

def test_pre_commit_hook_reads_documents_and_names_the_listing_pages(site):
    import json
    import re
    import subprocess
    import sys
    from pathlib import Path

    import yaml
    hook = yaml.safe_load((Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text("utf-8"))[0]
    for name in ("a.md", "名单.XLSX", "b.pdf", "c.docx", "d.csv", "e.et", "f.wps", "g.ods"):
        assert re.search(hook["files"], name), name
    assert not re.search(hook["files"], "logo.png")
    data = F.xlsx_numfmt()
    site.write("files/unlisted.xlsx", data, commit=False)
    attach(site, "listing.md", {"listed.xlsx": data}, sign=False)
    proc = subprocess.run([sys.executable, "-m", "secrecy_gate.cli", "check", "--pre-commit", "--format",
                           "json", "content/files/unlisted.xlsx", "content/files/listed.xlsx"],
                          cwd=site.root, capture_output=True, text=True)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    files = {f["path"]: f for f in json.loads(proc.stdout)["files"]}
    for path, where in (("content/files/unlisted.xlsx", "没有页面列出该文件"),
                        ("content/files/listed.xlsx", "listing.md")):
        fs = [x for x in files[path]["findings"] if x["code"] == "attachment.resident-id"]
        assert fs, files[path]
        text = json.dumps(fs, ensure_ascii=False)
        assert where in text and "本页" not in text and "this page" not in text
