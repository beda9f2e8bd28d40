"""Real attachments, written by each format's own library (no opaque binaries in the repository).

PDF: reportlab (CJK text with the STSong-Light CID font, which needs no font
file; rectangles; annotations; form fields; standard encryption; images).
XLSX: openpyxl.  DOCX: python-docx (a tracked deletion is added as the
``w:del`` element Word writes).  PPTX: python-pptx.  ODS: the OpenDocument
zip written out part by part.  CSV: text.
"""

from __future__ import annotations

import io
import zipfile

ID_TEXT = "620602198503151239"     # valid check character and birth date
ID_OLD = "620602850315123"         # first-generation, 15 digits
ID_HIDDEN = "11010519491231002X"


def pdf(lines=(), *, black_box: bool = False, encrypt: str | None = None, image_only: bool = False,
        annotation: str | None = None, field_value: str | None = None, author: str | None = None,
        compress: bool = True) -> bytes:
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    enc = StandardEncryption(encrypt, ownerPassword="owner-" + encrypt) if encrypt else None
    c = canvas.Canvas(buf, pageCompression=1 if compress else 0, encrypt=enc)
    c.setAuthor(author or "")
    if image_only:
        from PIL import Image, ImageDraw
        from reportlab.lib.utils import ImageReader
        img = Image.new("RGB", (400, 100), "white")
        ImageDraw.Draw(img).text((10, 40), "scanned 620602198503151239", fill="black")
        c.drawImage(ImageReader(img), 50, 600, 400, 100)
    y = 760
    for line in lines:
        # ASCII in Helvetica (stored as written when ``compress`` is off), the rest in a CJK font.
        c.setFont("Helvetica" if line.isascii() else "STSong-Light", 11)
        c.drawString(50, y, line)
        if black_box:
            c.setFillColorRGB(0, 0, 0)
            c.rect(45, y - 4, 500, 16, fill=1, stroke=0)
            c.setFillColorRGB(0, 0, 0)
        y -= 20
    if annotation:
        c.textAnnotation(annotation, Rect=(50, 300, 200, 350))
    if field_value:
        c.acroForm.textfield(name="applicant_id", value=field_value, x=50, y=200, width=300, height=20)
    c.showPage()
    c.save()
    return buf.getvalue()


def xlsx(rows, *, hidden: dict | None = None, creator: str | None = None) -> bytes:
    """``rows`` on the visible sheet 名单; ``hidden``: {cell: value} on a hidden sheet 备用."""
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名单"
    for row in rows:
        ws.append(list(row))
    if hidden:
        h = wb.create_sheet("备用")
        h.sheet_state = "hidden"
        for cell, value in hidden.items():
            h[cell] = value
    wb.properties.creator = creator or ""
    wb.properties.lastModifiedBy = ""
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def docx(paragraphs=(), *, deleted: str | None = None, split_id: str | None = None,
         comment: str | None = None, author: str | None = None) -> bytes:
    """Paragraphs; ``deleted``: a tracked deletion in the last paragraph (``w:del``/``w:delText``);
    ``split_id``: a number split over three runs."""
    import docx as _docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    d = _docx.Document()
    for text in paragraphs:
        d.add_paragraph(text)
    p = d.add_paragraph("修订后的段落：")
    if deleted:
        dl = OxmlElement("w:del")
        dl.set(qn("w:id"), "1")
        dl.set(qn("w:author"), "reviewer")
        dl.set(qn("w:date"), "2026-01-01T00:00:00Z")
        run = OxmlElement("w:r")
        dt = OxmlElement("w:delText")
        dt.text = deleted
        run.append(dt)
        dl.append(run)
        p._p.append(dl)
    if split_id:
        q = d.add_paragraph("联系人证件：")
        for part in (split_id[:4], split_id[4:10], split_id[10:]):
            q.add_run(part).bold = True
    if comment:
        d.add_comment(p.runs[0], text=comment, author="reviewer")
    d.core_properties.author = author or ""
    d.core_properties.last_modified_by = ""
    d.core_properties.comments = ""
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def pptx(texts) -> bytes:
    from pptx import Presentation
    from pptx.util import Inches
    prs = Presentation()
    for text in texts:
        slide = prs.slides.add_slide(prs.slide_layouts[5])
        slide.shapes.title.text = "汇报"
        box = slide.shapes.add_textbox(Inches(1), Inches(2), Inches(6), Inches(1))
        box.text_frame.text = text
    prs.core_properties.author = ""
    prs.core_properties.last_modified_by = ""
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


def ods(rows) -> bytes:
    """An OpenDocument spreadsheet, its parts written as the format defines them."""
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    body = "".join("<table:table-row>" + "".join(
        f'<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>'
        for c in row) + "</table:table-row>" for row in rows)
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="表1">{body}</table:table>'
               "</office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def output_documents_text(site_dir) -> str:
    """The text of every document in an output directory, as the gate's own extraction reads
    it (PDF streams are compressed: a byte search would miss what they hold)."""
    from pathlib import Path

    from secrecy_gate.scanners.documents import DocumentCache
    cache = DocumentCache()
    out = []
    for p in sorted(Path(site_dir).rglob("*")):
        if p.is_file():
            e = cache.get(p.name, p.read_bytes())
            if e is not None:
                out.append(f"\n=== {p} ===\n" + "\n".join(t.text for t in e.texts))
    return "".join(out)


# -- the labelled corpus for attachments (tests/corpus/attachments.yml) -------------------

CORPUS_FORMATS = ("xlsx", "docx", "pdf", "csv")


def corpus_file(fmt: str, text: str, number: bool = False) -> tuple[str, bytes]:
    """One labelled case written into one format (numbers only go into a spreadsheet as numbers)."""
    if fmt == "xlsx":
        value = float(text) if number else text
        return "case.xlsx", xlsx([["备注"], [value]])
    if fmt == "docx":
        return "case.docx", docx([text])
    if fmt == "pdf":
        return "case.pdf", pdf([text])
    return "case.csv", f"备注\n{text}\n".encode()


def corpus_kinds(name: str, data: bytes) -> set[str]:
    from secrecy_gate.scanners.documents import DocumentCache
    from secrecy_gate.scanners.documents.scan import scan
    e = DocumentCache().get(name, data)
    found = {h.kind for h in scan(e)}
    if e.lossy:
        found.add("lossy")
    if e.unreadable:
        found.add("unreadable")
    return found


def corpus_scores(path) -> dict:
    """Recall and precision per format: {format: (tp, fn, fp, misses, false_alarms)}."""
    import yaml
    cases = yaml.safe_load(open(path, encoding="utf-8"))
    out = {}
    for fmt in CORPUS_FORMATS:
        tp = fn = fp = 0
        misses, alarms = [], []
        for case in cases["positives"]:
            if case.get("number") and fmt != "xlsx":
                continue
            found = corpus_kinds(*corpus_file(fmt, case["text"], case.get("number", False)))
            if case["kind"] in found:
                tp += 1
            else:
                fn += 1
                misses.append(case["text"])
            extra = found - {case["kind"], "resident-id" if case["kind"] == "lossy" else ""}
            fp += len(extra)
            alarms += [(case["text"], sorted(extra))] if extra else []
        for case in cases["negatives"]:
            if case.get("number") and fmt != "xlsx":
                continue
            found = corpus_kinds(*corpus_file(fmt, case["text"], case.get("number", False)))
            fp += len(found)
            alarms += [(case["text"], sorted(found))] if found else []
        out[fmt] = (tp, fn, fp, misses, alarms)
    return out
