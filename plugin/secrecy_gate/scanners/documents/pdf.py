"""PDF: every character of every page, annotations, form fields, metadata, embedded files.

Read with pypdfium2 (PDFium, the engine of Chrome's PDF viewer).  PDFium's
text page holds every text object of the content stream, whatever is drawn
over it: a black rectangle laid over a name is not a redaction, and the name
is read here as the leak scan would read it.  Annotations (comments, free
text, an unapplied "redact" mark) carry their own text in ``/Contents``;
form fields their values.  A page with images and no character at all is a
scanned page: its text cannot be read (``unreadable``).
"""

from __future__ import annotations

import ctypes

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from .model import Extract, MetaField, Text, Unreadable

# Document information fields that name people (Title and Subject name the document).
META_FIELDS = (("Author", "作者", "author"),)
MAX_PAGES = 20000


def _wide(fn, *args) -> str:
    """A PDFium string getter (UTF-16LE, length in bytes) read into a Python string."""
    n = fn(*args, None, 0)
    if n <= 2:
        return ""
    buf = ctypes.create_string_buffer(n)
    fn(*args, ctypes.cast(buf, ctypes.POINTER(raw.FPDF_WCHAR)), n)
    return buf.raw[: n - 2].decode("utf-16-le", errors="replace")


def extract(data: bytes, nested) -> Extract:
    out = Extract("pdf", size=len(data))
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise Unreadable("PDF 已加密（需要密码才能打开）", "the PDF is encrypted (needs a password)")
        raise Unreadable(f"PDF 文件损坏或不是 PDF：{exc}", f"corrupt PDF: {exc}")
    try:
        form = None
        try:
            pdf.init_forms()
            form = pdf.formenv.raw if pdf.formenv is not None else None
        except Exception:  # noqa: BLE001 - no forms: fields are still read as annotations
            form = None
        count = len(pdf)
        if count > MAX_PAGES:
            raise Unreadable(f"PDF 页数过多（{count} 页）", f"too many pages ({count})")
        scanned: list[int] = []
        for i in range(count):
            page = pdf[i]
            try:
                tp = page.get_textpage()
                chars = tp.count_chars()
                t = Text()
                t.at(f"第{i + 1}页", f"page {i + 1}")
                t.add(tp.get_text_range() if chars else "")
                tp.close()
                if chars == 0 and any(True for _ in page.get_objects(
                        filter=(raw.FPDF_PAGEOBJ_IMAGE,), max_depth=3)):
                    scanned.append(i + 1)
                _annotations(page, form, t, i + 1)
                out.texts.append(t.done())
            finally:
                page.close()
        if scanned:
            pages = "、".join(map(str, scanned[:10])) + ("…" if len(scanned) > 10 else "")
            pages_en = ", ".join(map(str, scanned[:10])) + ("…" if len(scanned) > 10 else "")
            whole = len(scanned) == count
            out.unreadable.append((
                f"{'全部为图像（扫描件）' if whole else f'第{pages}页为图像（扫描页）'}，其中的文字无法读取",
                f"{'every page is an image (a scan)' if whole else f'page(s) {pages_en} are images (scanned)'}"
                "; their text cannot be read"))
        elif count and not any(t.text.strip() for t in out.texts):
            out.unreadable.append(("PDF 中没有可读取的文字（可能是图形或扫描件）",
                                   "the PDF holds no readable text (drawn or scanned)"))
        try:
            info = pdf.get_metadata_dict(skip_empty=True)
        except Exception:  # noqa: BLE001
            info = {}
        for key, zh, en in META_FIELDS:
            if info.get(key):
                out.meta.append(MetaField(zh, en, str(info[key])))
        for k in range(pdf.count_attachments()):
            att = pdf.get_attachment(k)
            name = att.get_name() or f"attachment {k + 1}"
            out.embedded.append(name)
            try:
                payload = bytes(att.get_data())
            except Exception:  # noqa: BLE001
                out.unreadable.append((f"嵌入文件 {name} 无法取出", f"embedded file {name} cannot be read"))
                continue
            inner = nested(name, payload)
            if inner is not None:
                out.merge(inner, f"嵌入文件 {name}", f"embedded file {name}")
    finally:
        pdf.close()
    return out


def _annotations(page, form, t: Text, number: int) -> None:
    """Text of the page's annotations and form fields, appended to the page's text."""
    n = raw.FPDFPage_GetAnnotCount(page.raw)
    for k in range(n):
        annot = raw.FPDFPage_GetAnnot(page.raw, k)
        if not annot:
            continue
        try:
            parts = []
            for key in (b"Contents", b"T", b"Subj", b"RC"):
                v = _wide(raw.FPDFAnnot_GetStringValue, annot, key)
                if v.strip():
                    parts.append(v)
            if form is not None:
                for fn in (raw.FPDFAnnot_GetFormFieldValue, raw.FPDFAnnot_GetFormFieldName,
                           raw.FPDFAnnot_GetFormFieldAlternateName):
                    v = _wide(fn, form, annot)
                    if v.strip():
                        parts.append(v)
            if parts:
                t.at(f"第{number}页注释或表单域", f"page {number} annotation or form field")
                t.add("\n" + "\n".join(parts) + "\n")
        finally:
            raw.FPDFPage_CloseAnnot(annot)
