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
import io
import re
import unicodedata

import pypdfium2 as pdfium
import pypdfium2.raw as raw

from .model import Extract, MetaField, Text, Unreadable

# Document information fields that name people (Title and Subject name the document).
META_FIELDS = (("Author", "作者", "author"),)
MAX_PAGES = 20000
MAX_BOOKMARKS = 100_000
MAX_REVISIONS = 50
COVERED = 0.8  # share of a page under images that makes it a scan even with a text layer
# Document information read as text (what a browser shows as the tab's title, and more).
INFO_TEXT = (("Title", "标题", "Title"), ("Subject", "主题", "Subject"),
             ("Keywords", "关键词", "Keywords"), ("Author", "作者", "Author"))


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
    _read(data, out, nested)
    _scripts(data, out)
    _revisions(data, out, nested)
    return out


def _read(data: bytes, out: Extract, nested) -> None:
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
        ocr: list[int] = []
        unmapped: list[int] = []
        for i in range(count):
            page = pdf[i]
            try:
                t = Text()
                t.at(f"第{i + 1}页", f"page {i + 1}")
                notes = _annotations(page, form, i + 1, out, nested)
                if notes is not None:
                    # Stamps (图章/印章), free text and widgets show their appearance streams, not
                    # their /Contents: flattened into the page, their text is read with it.
                    if raw.FPDFPage_Flatten(page.raw, raw.FLAT_NORMALDISPLAY) == raw.FLATTEN_SUCCESS:
                        page.close()
                        page = pdf[i]
                tp = page.get_textpage()
                chars = tp.count_chars()
                text = tp.get_text_range() if chars else ""
                tp.close()
                if notes:
                    # A widget or a comment drawn by its appearance shows its own value: read
                    # once, as the annotation's (a finding names the form field, not the page).
                    own = {n.strip() for n in notes}
                    text = "\r\n".join(ln for ln in text.split("\r\n") if ln.strip() not in own)
                t.add(text)
                if _unmapped(text):
                    unmapped.append(i + 1)
                images = list(page.get_objects(filter=(raw.FPDF_PAGEOBJ_IMAGE,), max_depth=3))
                if images and chars == 0:
                    scanned.append(i + 1)
                elif images and _scan_with_text(page, images):
                    ocr.append(i + 1)
                if notes:
                    t.at(f"第{i + 1}页注释或表单域", f"page {i + 1} annotation or form field")
                    t.add("\n" + "\n".join(notes) + "\n")
                out.texts.append(t.done())
            finally:
                page.close()
        if scanned:
            pages, pages_en = _pages(scanned)
            whole = len(scanned) == count
            out.unreadable.append((
                f"{'全部为图像（扫描件）' if whole else f'第{pages}页为图像（扫描页）'}，其中的文字无法读取",
                f"{'every page is an image (a scan)' if whole else f'page(s) {pages_en} are images (scanned)'}"
                "; their text cannot be read"))
        elif count and not any(t.text.strip() for t in out.texts):
            out.unreadable.append(("PDF 中没有可读取的文字（可能是图形或扫描件）",
                                   "the PDF holds no readable text (drawn or scanned)"))
        if ocr:
            pages, pages_en = _pages(ocr)
            out.unreadable.append((
                f"第{pages}页为扫描图像（附带识别出的或不可见的文字层，或图像覆盖了大部分页面）：图像中的文字无法准确读取",
                f"page(s) {pages_en} are scanned images (with a recognised or invisible text layer, "
                "or an image covering most of the page): the text in the image cannot be read exactly"))
        if unmapped:
            pages, pages_en = _pages(unmapped)
            out.unreadable.append((
                f"第{pages}页的文字使用了没有 Unicode 映射的字体，读出的是无意义的字符",
                f"the text of page(s) {pages_en} uses a font without a Unicode mapping: what is read "
                "is meaningless characters"))
        _document_text(pdf, out)
        for k in range(pdf.count_attachments()):
            att = pdf.get_attachment(k)
            _embedded(att, f"attachment {k + 1}", out, nested)
    finally:
        pdf.close()


def _pages(numbers: list[int]) -> tuple[str, str]:
    more = "…" if len(numbers) > 10 else ""
    return "、".join(map(str, numbers[:10])) + more, ", ".join(map(str, numbers[:10])) + more


def _embedded(att, fallback: str, out: Extract, nested) -> None:
    name = att.get_name() or fallback
    out.embedded.append(name)
    try:
        payload = bytes(att.get_data())
    except Exception:  # noqa: BLE001
        out.unreadable.append((f"嵌入文件 {name} 无法取出", f"embedded file {name} cannot be read"))
        return
    inner = nested(name, payload)
    if inner is not None:
        out.merge(inner, f"嵌入文件 {name}", f"embedded file {name}")


def _document_text(pdf, out: Extract) -> None:
    """Document information (Title is the browser tab's title; Subject, Keywords) and the
    outline (bookmark titles): text a reader sees, scanned like the pages."""
    try:
        info = pdf.get_metadata_dict(skip_empty=True)
    except Exception:  # noqa: BLE001
        info = {}
    for key, zh, en in META_FIELDS:
        if info.get(key):
            out.meta.append(MetaField(zh, en, str(info[key])))
    t = Text()
    for key, zh, en in INFO_TEXT:
        if str(info.get(key, "")).strip():
            t.at(f"文档属性“{zh}”", f"document information {en}")
            t.add(str(info[key]) + "\n")
    titles = []
    for n, bm in enumerate(pdf.get_toc(max_depth=64)):
        if n >= MAX_BOOKMARKS:
            raise Unreadable("PDF 书签过多", "too many bookmarks")
        title = bm.get_title()
        if title and title.strip():
            titles.append(title)
    if titles:
        t.at("书签（目录）", "bookmarks (outline)")
        t.add("\n".join(titles) + "\n")
    if t.done().text.strip():
        out.texts.append(t)


def _unmapped(text: str) -> bool:
    """Text read through a font with no Unicode mapping: control characters, U+FFFD or
    private-use characters where letters should be (a Type3 font's ``/g0``…, an OA exporter's
    subset font).  Digits drawn that way cannot be read, so enough of them make the page
    unreadable: a run of six, or a third of the page."""
    bad = 0
    run = best = 0
    shown = 0
    for ch in text:
        if ch in "\r\n ":
            continue
        shown += 1
        cat = unicodedata.category(ch)
        if ch == "\ufffd" or cat in ("Cc", "Co", "Cn", "Cs"):
            bad += 1
            run += 1
            best = max(best, run)
        else:
            run = 0
    return best >= 6 or (bad >= 3 and bad * 3 >= shown)


def _scan_with_text(page, images) -> bool:
    """A scanned page with a text layer: its text is invisible (OCR, render mode 3 or 7) or an
    image covers most of the page.  The text layer says what a program recognised, not what
    the image shows (``62O6O2l985…``)."""
    try:
        w, h = page.get_size()
        area = max(w * h, 1.0)
        covered = 0.0
        for obj in images:
            left, bottom, right, top = obj.get_pos()
            cw = max(0.0, min(right, w) - max(left, 0.0))
            ch = max(0.0, min(top, h) - max(bottom, 0.0))
            covered += cw * ch
        if covered >= COVERED * area:
            return True
        for obj in page.get_objects(filter=(raw.FPDF_PAGEOBJ_TEXT,), max_depth=3):
            if raw.FPDFTextObj_GetTextRenderMode(obj.raw) in (raw.FPDF_TEXTRENDERMODE_INVISIBLE,
                                                              raw.FPDF_TEXTRENDERMODE_CLIP):
                return True
    except Exception:  # noqa: BLE001 - fail closed: a page we cannot measure counts as scanned
        return True
    return False


def _revisions(data: bytes, out: Extract, nested) -> None:
    """An incrementally saved PDF keeps every earlier revision in the file: the text an editor
    replaced (an ID number, a secret point) is still there for anyone who cuts the file at an
    earlier ``%%EOF``.  Each earlier revision is read; what it holds that the last one does not
    is added as text of that revision."""
    ends = [m.end() for m in re.finditer(rb"%%EOF", data)]
    if b"/Linearized" in data[:2048] and ends:
        ends = ends[1:]  # the first-page cross-reference section of a linearized file
    earlier = [e for e in ends[:-1] if data[e:].strip()]
    if not earlier:
        return
    if len(earlier) > MAX_REVISIONS:
        raise Unreadable(f"PDF 有 {len(earlier) + 1} 个修订版本（增量保存），过多无法逐一读取",
                         f"the PDF has {len(earlier) + 1} revisions (incremental saves): too many to read")
    seen = {line.strip() for t in out.texts for line in t.text.splitlines() if line.strip()}
    known = set(out.unreadable)
    for k, end in enumerate(earlier, 1):
        sub = Extract("pdf")
        try:
            _read(data[:end], sub, nested)
        except Unreadable as exc:
            out.unreadable.append((f"早期修订版本{k}无法读取：{exc.zh}",
                                   f"earlier revision {k} cannot be read: {exc.en}"))
            continue
        for t in sub.texts:
            lines = [ln for ln in t.text.splitlines() if ln.strip() and ln.strip() not in seen]
            if not lines:
                continue
            zh, en = t.where(0)
            r = Text()
            r.at(f"早期修订版本{k}（增量保存前的内容）{zh}", f"earlier revision {k} (before an incremental save) {en}")
            r.add("\n".join(lines) + "\n")
            out.texts.append(r.done())
            seen.update(ln.strip() for ln in lines)
        for u in sub.unreadable:
            if u not in known:
                out.unreadable.append((f"早期修订版本{k}：{u[0]}", f"earlier revision {k}: {u[1]}"))
                known.add(u)


def _annotations(page, form, number: int, out: Extract, nested) -> list[str] | None:
    """The strings of the page's annotations and form fields (None: the page has none); the
    files of FileAttachment annotations (a paper-clip comment) are read as embedded files."""
    n = raw.FPDFPage_GetAnnotCount(page.raw)
    if n <= 0:
        return None
    parts: list[str] = []
    for k in range(n):
        annot = raw.FPDFPage_GetAnnot(page.raw, k)
        if not annot:
            continue
        try:
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
            if raw.FPDFAnnot_GetSubtype(annot) == raw.FPDF_ANNOT_FILEATTACHMENT:
                att = raw.FPDFAnnot_GetFileAttachment(annot)
                if att:
                    _embedded(pdfium.PdfAttachment(att, None), f"page {number} file annotation",
                              out, nested)
                else:
                    out.unreadable.append((f"第{number}页的附件注释中的文件无法取出",
                                           f"the file of a file-attachment annotation on page {number} "
                                           "cannot be read"))
        finally:
            raw.FPDFPage_CloseAnnot(annot)
    return parts


# -- scripts and XFA forms -----------------------------------------------------------------

# Names whose presence needs a closer look; PDF names may spell any byte as #xx.
_SCRIPT_NAME = re.compile(rb"/(?:JS|JavaScript|XFA|ObjStm)\b|/[^\s/\[\]()<>{}%]*#[0-9A-Fa-f]{2}")
MAX_OBJECTS = 2_000_000


def _scripts(data: bytes, out: Extract) -> None:
    """JavaScript actions and XFA forms: a script (run when the file opens, a page shows or a
    field changes) can write text no reader finds in the file (``"139" + "1234" + "5678"``
    into a field), and an XFA form's content is a separate XML world PDFium does not lay out.
    Either makes the file unreadable unless the reviewers acknowledge it.

    Found with pypdf by walking every object reachable from the document catalog (actions
    sit in /OpenAction, /AA of the catalog, pages, annotations and fields, /Names
    /JavaScript, outline items, /Next chains), dictionaries only — streams are not decoded.
    A file whose raw bytes hold none of these names and no object stream (where compressed
    dictionaries hide) is not walked."""
    if _SCRIPT_NAME.search(data) is None:
        return
    try:
        import pypdf
        from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
    except ImportError:  # pragma: no cover - a runtime dependency
        out.unreadable.append(("无法检查 PDF 中的脚本（未安装 pypdf）", "cannot check the PDF for scripts (pypdf missing)"))
        return
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return  # reported as encrypted already
        found_js, found_xfa = [], False
        seen: set[tuple[int, int]] = set()
        stack = [reader.trailer["/Root"]]
        while stack:
            obj = stack.pop()
            if isinstance(obj, IndirectObject):
                key = (obj.idnum, obj.generation)
                if key in seen:
                    continue
                seen.add(key)
                if len(seen) > MAX_OBJECTS:
                    raise Unreadable("PDF 对象过多", "too many objects")
                obj = obj.get_object()
            if isinstance(obj, DictionaryObject):
                if obj.get("/S") == "/JavaScript" or "/JS" in obj:
                    found_js.append(obj)
                if "/XFA" in obj:
                    found_xfa = True
                for k, v in obj.items():
                    if k not in ("/Parent", "/P"):
                        stack.append(v)
            elif isinstance(obj, ArrayObject):
                stack.extend(obj)
    except Unreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - fail closed: we cannot say there is no script
        out.unreadable.append((f"无法检查 PDF 中是否含有脚本：{exc!r}",
                               f"cannot check the PDF for scripts: {exc!r}"))
        return
    if found_js:
        out.unreadable.append((
            f"PDF 含有 {len(found_js)} 个 JavaScript 动作（打开文件、翻页或填写表单时运行）：脚本写入的文字不在文件中，无法检查",
            f"the PDF holds {len(found_js)} JavaScript action(s) (run when it opens, a page shows or a "
            "field changes): text a script writes is not in the file and cannot be checked"))
    if found_xfa:
        out.unreadable.append((
            "PDF 含有 XFA 表单：其内容由阅读器另行排版，无法可靠读取",
            "the PDF holds an XFA form: its content is laid out by the viewer and cannot be read reliably"))
