"""Spreadsheet and CSV routes of the third red-team round (issue 14), each caught.

What a reader sees in a spreadsheet is what Excel or WPS computes and formats, not what
the file stores: XlsxWriter caches 0 for every formula and asks for recalculation on open
(``fullCalcOnLoad``), a number format's second section or a ``[$139-804]`` currency text
writes digits before a number, and a CSV cell ``="139"&"12345678"`` is a formula to
Excel.  Every file is written by XlsxWriter or openpyxl (``tests/redteam_files.py``),
listed in a page signed by the four reviewers in a real git repository, and a real MkDocs
build leaves the file and its content out; ordinary workbooks and CSV files still publish.
"""

from __future__ import annotations

import redteam_files as F
from test_attachments import attach, findings, output_all

from secrecy_gate.scanners.documents import DocumentCache
from secrecy_gate.scanners.documents.cells import display, renderings
from secrecy_gate.scanners.leakscan import LeakScanner

ID_MASKED = "620***********1239"
MOB_MASKED = "139****5678"


def withholding(site, rel, code):
    return [f for f in findings(site, rel) if f.code == code and f.withholds]


def caught(site, rel, name, code, masked, where=None):
    """A withholding ``code`` finding on ``rel`` for files/``name`` showing ``masked``."""
    hit = [f for f in withholding(site, rel, code)
           if f"files/{name}" in f.message_zh and masked in f.message_zh]
    assert hit, (name, code, [(f.code, f.message_zh) for f in findings(site, rel)])
    if where:
        assert any(where in f.message_zh for f in hit), [f.message_zh for f in hit]
    return hit


# -- (a)+(b) XlsxWriter: cached 0, recalculated on open -------------------------------------------

def test_formulas_recalculated_on_open_are_computed_not_read_from_the_cache(site):
    files = {"subst.xlsx": F.xw_substitute(),   # SUBSTITUTE("620602A19850315A1239","A","")
             "refs.xlsx": F.xw_refs(),          # =A2&B2 (hidden columns), =备用!A1&备用!$B$1
             "text.xlsx": F.xw_text_fn(),       # TEXT(12345678,"""139""00000000")
             "nested.xlsx": F.xw_nested()}      # MID LEFT RIGHT REPLACE REPT CHAR VALUE, nested
    for data in files.values():
        assert b'fullCalcOnLoad="1"' in __import__("zipfile").ZipFile(
            __import__("io").BytesIO(data)).read("xl/workbook.xml")
    attach(site, "list.md", files)
    caught(site, "list.md", "subst.xlsx", "attachment.resident-id", ID_MASKED, "B2")
    caught(site, "list.md", "refs.xlsx", "attachment.resident-id", ID_MASKED, "C2")
    caught(site, "list.md", "refs.xlsx", "attachment.mobile", MOB_MASKED, "D2")
    caught(site, "list.md", "text.xlsx", "attachment.mobile", MOB_MASKED, "B2")
    caught(site, "list.md", "nested.xlsx", "attachment.resident-id", ID_MASKED, "B2")
    assert all(F.ID not in f.render() + f.render("en") for f in findings(site, "list.md"))
    site.build()
    assert not any(n.endswith(".xlsx") for n in site.output_files())
    site.assert_absent(F.ID, F.MOB)


def test_secret_point_built_by_substitute_on_a_redacted_page(site):
    body = f"# 供水安排\n\n涉及区域：<!-- 密点 -->{F.SECRET}<!-- /密点 -->以外的全部片区。\n"
    data = F.xw_secret_subst()
    assert F.SECRET.encode() not in data
    attach(site, "water.md", {"t.xlsx": data}, body=body, disclosure="删减后公开",
           review_extra="redactions: 1\n")
    fs = withholding(site, "water.md", "redaction.secret-in-attachment")
    assert any("files/t.xlsx" in f.message_zh for f in fs), [f.message_zh for f in findings(site, "water.md")]
    assert all(F.SECRET not in f.render() for f in fs)
    site.build()
    assert F.SECRET not in output_all(site)
    # The leak scan reads the same computed text: the file in an output directory is a leak.
    assert any(h.kind == "leaked-text" for h in LeakScanner({F.SECRET: "water.md"}).scan_bytes("t.xlsx", data))


def test_formula_no_evaluator_computes_is_unreadable_unless_acknowledged(site):
    data = F.xw_lookup()  # =VLOOKUP(…)&"198503151239", cached 0, fullCalcOnLoad
    attach(site, "look.md", {"look.xlsx": data})
    fs = withholding(site, "look.md", "attachment.unreadable")
    assert fs and "B3" in fs[0].message_zh and "重新计算" in fs[0].message_zh
    attach(site, "look2.md", {"look2.xlsx": data}, ack={"look2.xlsx": "公式结果已人工核对"})
    assert not withholding(site, "look2.md", "attachment.unreadable")
    assert any(f.code == "attachment.unreadable-acknowledged" for f in findings(site, "look2.md"))


def test_ordinary_xlsxwriter_report_with_sum_and_average_publishes(site):
    data = F.xw_clean_sums()  # ROW()-1, running total, SUM, ROUND(AVERAGE), MAX-MIN in 元
    ex = DocumentCache().get("r.xlsx", data)
    text = "\n".join(t.text for t in ex.texts)
    assert not ex.unreadable and "4350.75" in text and "1450.25" in text and "1550.25元" in text
    attach(site, "report.md", {"report.xlsx": data})
    assert not [f for f in findings(site, "report.md") if f.withholds], \
        [(f.code, f.message_zh) for f in findings(site, "report.md")]
    site.build()
    assert "files/report.xlsx" in site.output_files() or "report/files/report.xlsx" in site.output_files()


# -- (c) number formats: conditions, [$text-LCID] ---------------------------------------------------

def test_conditional_sections_and_bracketed_currency_text_are_rendered(site):
    cond, cur = F.xlsx_cond_sections(), F.xlsx_currency_literal()
    attach(site, "fmt.md", {"cond.xlsx": cond, "cur.xlsx": cur})
    caught(site, "fmt.md", "cond.xlsx", "attachment.mobile", MOB_MASKED, "B2")
    caught(site, "fmt.md", "cond.xlsx", "attachment.resident-id", ID_MASKED, "C2")
    caught(site, "fmt.md", "cur.xlsx", "attachment.mobile", MOB_MASKED, "B2")
    site.build()
    assert not any(n.endswith(".xlsx") for n in site.output_files())
    site.assert_absent(F.ID, F.MOB)


def test_number_format_renderer():
    assert display('[>99999999]0;"139"00000000', 12345678) == F.MOB
    assert display('[>99999999]0;"139"00000000', 123456789) == "123456789"
    # Conditions ignored: the second section is rendered for a value the first one takes.
    assert renderings('[>99999999]0;"139"00000000', 123456789) == ["139123456789"]
    assert display('[$139-804]00000000', 12345678) == F.MOB
    assert display("[$¥-804]#,##0.00", 1200.5) == "¥1200.50"  # grouping left out: digits stay together
    assert renderings('#,##0.00', 5) == []  # no literal text: nothing more to scan


# -- (d) CSV cells that are formulas -------------------------------------------------------------

def test_csv_formula_cells_are_computed(site):
    data = F.csv_formula()  # ="620602"&"198503151239", ="139"&"12345678"
    attach(site, "csv.md", {"list.csv": data})
    caught(site, "csv.md", "list.csv", "attachment.resident-id", ID_MASKED)
    caught(site, "csv.md", "list.csv", "attachment.mobile", MOB_MASKED)
    site.build()
    assert not any(n.endswith(".csv") for n in site.output_files())
    site.assert_absent(F.ID, F.MOB)


def test_csv_formula_that_cannot_be_computed_is_unreadable_and_plain_csv_publishes(site):
    attach(site, "ws.md", {"ws.csv": F.csv_formula_uncomputable(), "ok.csv": F.csv_clean()})
    fs = withholding(site, "ws.md", "attachment.unreadable")
    assert fs and all("files/ws.csv" in f.message_zh for f in fs) and "B2" in fs[0].message_zh
    attach(site, "clean.md", {"clean.csv": F.csv_clean()})  # -, --, +86 …, -1200.5: text and numbers
    assert not [f for f in findings(site, "clean.md") if f.withholds]
    site.build()
    files = site.output_files()
    assert any(n.endswith("clean.csv") for n in files) and not any(n.endswith("ws.csv") for n in files)
