"""Office Open XML (DOCX, PPTX, and the parts of XLSX that calamine does not read).

Each part is parsed with an XML parser (defusedxml: no entity expansion, no
external references) and its text is rebuilt paragraph by paragraph: Word
splits one typed number over several runs (``<w:t>6206</w:t><w:t>02…``)
whenever formatting, spell-checking or revision marks change, so matching
the raw bytes would miss it.  Read: the body with its tables and text boxes,
tracked insertions and *deletions* (``w:delText``: the sentence a reviewer
deleted is still in the file), hidden text, headers, footers, footnotes,
endnotes, comments; every slide, its notes and comments; spreadsheet cell
comments.  Metadata: ``docProps/core.xml`` (creator, last modified by) and
``docProps/app.xml`` (company, manager).  Embedded files (``*/embeddings/*``)
are named and, when they are documents themselves, read too.
"""

from __future__ import annotations

import posixpath
import re
import zipfile

from defusedxml import ElementTree as ET

from .model import Extract, MetaField, Text, Unreadable

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
X = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
DC = "{http://purl.org/dc/elements/1.1/}"
CP = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
EP = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"

# ISO/IEC 29500 Strict (Word, Excel, PowerPoint "Strict Open XML" save): the same vocabulary in
# other namespaces.
STRICT = tuple((f"http://purl.oclc.org/ooxml/{a}".encode(), f"http://schemas.openxmlformats.org/{b}".encode())
               for a, b in (("wordprocessingml/main", "wordprocessingml/2006/main"),
                            ("drawingml/main", "drawingml/2006/main"),
                            ("presentationml/main", "presentationml/2006/main"),
                            ("spreadsheetml/main", "spreadsheetml/2006/main"),
                            ("drawingml/wordprocessingDrawing", "drawingml/2006/wordprocessingDrawing"),
                            ("drawingml/chart", "drawingml/2006/chart"),
                            ("drawingml/diagram", "drawingml/2006/diagram"),
                            ("officeDocument/relationships", "officeDocument/2006/relationships"),
                            ("officeDocument/extendedProperties",
                             "officeDocument/2006/extended-properties")))

MAX_PART_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024


def _num(name: str) -> int:
    m = re.search(r"(\d+)\.xml$", name)
    return int(m.group(1)) if m else 0


class Package:
    """A zip container whose parts are read with size limits (a zip bomb is unreadable)."""

    def __init__(self, data: bytes):
        import io
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(data))
            self.names = self.zf.namelist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise Unreadable(f"压缩包结构损坏：{exc}", f"corrupt zip container: {exc}")
        self.total = 0
        self.roots: dict = {}

    def read(self, name: str) -> bytes:
        try:
            info = self.zf.getinfo(name)
            if info.flag_bits & 0x1:
                raise Unreadable(f"{name} 已加密", f"{name} is encrypted")
            self.total += info.file_size
            if info.file_size > MAX_PART_BYTES or self.total > MAX_TOTAL_BYTES:
                raise Unreadable(f"{name} 解压后过大", f"{name} is too large once decompressed")
            with self.zf.open(info) as fh:
                data = fh.read(MAX_PART_BYTES + 1)
            if len(data) > MAX_PART_BYTES:
                raise Unreadable(f"{name} 解压后过大", f"{name} is too large once decompressed")
            return data
        except (zipfile.BadZipFile, OSError, EOFError, KeyError, NotImplementedError,
                RuntimeError) as exc:
            raise Unreadable(f"无法读取 {name}：{exc}", f"cannot read {name}: {exc}")

    def xml(self, name: str):
        """The parsed part (kept: the structured and the generic pass share it); Strict Open
        XML namespaces are read as their Transitional equivalents."""
        if name in self.roots:
            return self.roots[name]
        try:
            data = self.read(name)
            if b"purl.oclc.org/ooxml/" in data:
                for strict, transitional in STRICT:
                    data = data.replace(strict, transitional)
            root = self.roots[name] = ET.fromstring(data)
            return root
        except Unreadable:
            raise
        except Exception as exc:  # noqa: BLE001 - ParseError, defusedxml's refusals
            raise Unreadable(f"{name} 不是有效的 XML：{exc}", f"{name} is not valid XML: {exc}")

    def matching(self, pattern: str) -> list[str]:
        rx = re.compile(pattern)
        return sorted((n for n in self.names if rx.fullmatch(n)), key=lambda n: (_num(n), n))


def kind_of(names: list[str]) -> str | None:
    s = set(names)
    if "word/document.xml" in s:
        return "docx"
    if "xl/workbook.xml" in s:
        return "xlsx"
    if "ppt/presentation.xml" in s:
        return "pptx"
    return None


# -- WordprocessingML -------------------------------------------------------------

class _Word:
    """Walks a Word part: paragraphs (numbered), table rows as ``| cell | cell |`` lines,
    deleted and inserted runs marked as such in the places."""

    def __init__(self, t: Text, label_zh: str, label_en: str):
        self.t, self.zh, self.en = t, label_zh, label_en
        self.para = 0
        self.depth_cell = 0

    def place(self, deleted: bool, inserted: bool) -> None:
        extra_zh = "（删除的修订）" if deleted else "（插入的修订）" if inserted else ""
        extra_en = " (tracked deletion)" if deleted else " (tracked insertion)" if inserted else ""
        self.t.at(f"{self.zh}第{self.para}段{extra_zh}", f"{self.en} paragraph {self.para}{extra_en}")

    def walk(self, el, deleted=False, inserted=False) -> None:
        tag = el.tag
        if tag == W + "p":
            self.para += 1
            self.place(deleted, inserted)
            for child in el:
                self.walk(child, deleted, inserted)
            self.t.add(" " if self.depth_cell else "\n")
            return
        if tag == W + "tbl":
            self.t.add("\n")
            for child in el:
                self.walk(child, deleted, inserted)
            self.t.add("\n")
            return
        if tag == W + "tr":
            self.t.add("|")
            for child in el:
                self.walk(child, deleted, inserted)
            self.t.add("\n")
            return
        if tag == W + "tc":
            self.depth_cell += 1
            self.t.add(" ")
            for child in el:
                self.walk(child, deleted, inserted)
            self.depth_cell -= 1
            self.t.add(" |")
            return
        if tag in (W + "del", W + "moveFrom"):
            self.place(True, False)
            for child in el:
                self.walk(child, True, inserted)
            self.place(deleted, inserted)
            return
        if tag in (W + "ins", W + "moveTo"):
            self.place(deleted, True)
            for child in el:
                self.walk(child, deleted, True)
            self.place(deleted, inserted)
            return
        if tag in (W + "t", W + "delText", W + "instrText", W + "delInstrText"):
            self.t.add(el.text or "")
            return
        if tag in (W + "tab",):
            self.t.add(" ")
            return
        if tag in (W + "br", W + "cr"):
            self.t.add("\n")
            return
        for child in el:
            self.walk(child, deleted, inserted)


def _docx(pkg: Package, out: Extract) -> None:
    parts = [("word/document.xml", "正文", "body")]
    parts += [(n, f"页眉{_num(n) or ''}", f"header {_num(n)}") for n in pkg.matching(r"word/header\d*\.xml")]
    parts += [(n, f"页脚{_num(n) or ''}", f"footer {_num(n)}") for n in pkg.matching(r"word/footer\d*\.xml")]
    parts += [(n, zh, en) for n, zh, en in (("word/footnotes.xml", "脚注", "footnotes"),
                                            ("word/endnotes.xml", "尾注", "endnotes"),
                                            ("word/comments.xml", "批注", "comments"))
              if n in pkg.names]
    for name, zh, en in parts:
        t = Text()
        _Word(t, zh, en).walk(pkg.xml(name))
        out.texts.append(t.done())
    return dict.fromkeys((n for n, _, _ in parts), WORD_READ)


WORD_READ = frozenset({W + "t", W + "delText", W + "instrText", W + "delInstrText"})
DRAWING_READ = frozenset({A + "t", P + "text"})


# -- PresentationML ----------------------------------------------------------------

def _drawing_text(root, t: Text, zh: str, en: str) -> None:
    n = 0
    for el in root.iter():
        if el.tag == A + "p":
            n += 1
            t.at(f"{zh}第{n}段", f"{en} paragraph {n}")
            for r in el.iter():
                if r.tag == A + "t":
                    t.add(r.text or "")
                elif r.tag == A + "br":
                    t.add("\n")
            t.add("\n")
        elif el.tag == P + "text":  # a slide comment
            n += 1
            t.at(f"{zh}批注{n}", f"{en} comment {n}")
            t.add((el.text or "") + "\n")


def _pptx(pkg: Package, out: Extract) -> dict[str, frozenset]:
    done = {}
    for name in pkg.matching(r"ppt/slides/slide\d+\.xml"):
        done[name] = DRAWING_READ
        t = Text()
        _drawing_text(pkg.xml(name), t, f"第{_num(name)}张幻灯片", f"slide {_num(name)}")
        out.texts.append(t.done())
    for name in pkg.matching(r"ppt/notesSlides/notesSlide\d+\.xml"):
        done[name] = DRAWING_READ
        t = Text()
        _drawing_text(pkg.xml(name), t, f"备注{_num(name)}", f"notes {_num(name)}")
        out.texts.append(t.done())
    for name in pkg.matching(r"ppt/comments/[^/]+\.xml"):
        done[name] = DRAWING_READ
        t = Text()
        _drawing_text(pkg.xml(name), t, f"幻灯片批注 {posixpath.basename(name)}", f"slide comments {name}")
        out.texts.append(t.done())
    return done


# -- SpreadsheetML extras: cell comments (cells themselves: ``sheets.py``) ------------------

def xlsx_comments(pkg: Package, out: Extract) -> None:
    for name in pkg.matching(r"xl/(?:comments\d*|threadedComments/[^/]+)\.xml"):
        root = pkg.xml(name)
        t = Text()
        for el in root.iter():
            if el.tag.endswith("}comment") or el.tag.endswith("}threadedComment"):
                ref = el.get("ref", "")
                t.at(f"单元格批注 {ref}（{posixpath.basename(name)}）", f"cell comment {ref} ({name})")
                t.add(" ".join(x.text or "" for x in el.iter() if x.tag.endswith("}t") or
                               x.tag.endswith("}text")) + "\n")
        out.texts.append(t.done())


# -- shared: metadata and embedded files -------------------------------------------------

def metadata(pkg: Package, out: Extract) -> None:
    fields = (("docProps/core.xml", DC + "creator", "作者", "author"),
              ("docProps/core.xml", CP + "lastModifiedBy", "最后修改者", "last modified by"),
              ("docProps/app.xml", EP + "Company", "单位", "company"),
              ("docProps/app.xml", EP + "Manager", "经理", "manager"))
    roots = {}
    for part, tag, zh, en in fields:
        if part not in pkg.names:
            continue
        if part not in roots:
            try:
                roots[part] = pkg.xml(part)
            except Unreadable:
                roots[part] = None
        root = roots[part]
        el = root.find(tag) if root is not None else None
        if el is not None and (el.text or "").strip():
            out.meta.append(MetaField(zh, en, el.text.strip()))


def embedded(pkg: Package, out: Extract, nested) -> None:
    for name in pkg.names:
        if re.fullmatch(r"(?:word|xl|ppt)/embeddings/[^/]+", name):
            base = posixpath.basename(name)
            out.embedded.append(base)
            inner = nested(base, pkg.read(name))
            if inner is not None:
                out.merge(inner, f"嵌入文件 {base}", f"embedded file {base}")


# -- every other part: all text nodes and text-bearing attributes ---------------------------

# Attributes that hold text a reader sees: a WordArt watermark (``v:textpath/@string``), a
# hyperlink's tooltip, alt text (``wp:docPr/@descr``, ``@title``), a field instruction
# (``w:fldSimple/@w:instr``), a data validation's prompt …
TEXT_ATTRS = frozenset({"string", "tooltip", "descr", "title", "alt", "caption", "label", "text",
                        "instr", "prompt", "promptTitle", "error", "errorTitle", "display"})
# Elements whose name (and value) is text: document variables, drawing objects' names.
NAMED = frozenset({"docVar", "docPr", "cNvPr", "definedName"})
RUN_TEXT = frozenset({"t", "delText", "instrText", "delInstrText"})
BLOCK = frozenset({"p", "pt", "si", "tr", "tc", "row", "txbxContent", "ptLst", "ser", "cat", "val",
                   "tx", "comment", "text", "lvl"})
# Parts of a spreadsheet read by calamine (cells, shared strings): only their page headers and
# footers and data-validation messages are read here, cut out of the bytes (sheets are large).
_SHEET = re.compile(r"xl/(?:worksheets|chartsheets|dialogsheets|macrosheets)/[^/]+\.xml")
_SHEET_TEXT = re.compile(rb"<(?:\w+:)?(headerFooter|dataValidations)\b.*?</(?:\w+:)?\1>", re.S)
_BINARY_DIRS = re.compile(r"(?:[^/]+/)*(?:embeddings|fonts|printerSettings)/")
# Binary parts that hold no text a reader sees: macros (code, not shown), ActiveX control
# state, font files, vector pictures, signature origins.
_KNOWN_BINARY = re.compile(r"(?:[^/]+/)*(?:vbaProject\.bin|vbaProjectSignature\w*\.bin|activeX\d*\.bin"
                           r"|[^/]+\.(?:odttf|ttf|otf|fntdata|emf|wmf|emz|wmz|sigs|bin|mp3|mp4|m4a|wav"
                           r"|wma|wmv|avi|mov|mpg|mpeg|ogg|webm|bmp|ico|tif|tiff|wdp|jxr|heic|png|jpe?g|gif))",
                           re.I)


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _attrs(el, attrib, t: Text) -> None:
    local = None
    for k, v in attrib.items():
        lk = k.rsplit("}", 1)[-1]
        if lk in TEXT_ATTRS or lk in ("name", "val", "Target"):
            if local is None:
                local = _local(el.tag)
            if ((lk in TEXT_ATTRS or (local in NAMED and lk in ("name", "val")))
                    or (local == "Relationship" and lk == "Target"
                        and el.get("TargetMode") == "External")) and v.strip():
                t.add("\n" + v + "\n")


def _collect(root, t: Text, read: frozenset) -> None:
    """Every text node (run texts of one paragraph joined, other values one per line) and
    every text-bearing attribute of ``root``; ``read``: the run-text tags the structured pass
    already read in this part (then only the rest is wanted: one flat pass, no order)."""
    if read:
        for el in root.iter():
            attrib = el.attrib
            if attrib:
                _attrs(el, attrib, t)
            text = el.text
            if text and el.tag not in read and text.strip():
                t.add("\n" + text + "\n")
        return

    def walk(el, depth: int) -> None:
        if depth > 400:
            raise Unreadable("XML 嵌套层数过多", "XML nested too deep")
        tag = el.tag if isinstance(el.tag, str) else ""
        local = _local(tag)
        if el.attrib:
            _attrs(el, el.attrib, t)
        if el.text and el.text.strip() and tag not in read:
            t.add(el.text if local in RUN_TEXT else "\n" + el.text + "\n")
        for child in el:
            walk(child, depth + 1)
            if child.tail and child.tail.strip():
                t.add(child.tail)
        if local in BLOCK:
            t.add("\n")

    walk(root, 0)


def every_part(pkg: Package, out: Extract, read: dict[str, frozenset], nested=None) -> None:
    """The generic pass: every XML part of the package (whatever the relationships make of it:
    SmartArt data and drawings, charts, text boxes, masters and layouts, settings with their
    document variables, custom XML, the relationships' external targets), all text nodes and
    text-bearing attributes.  ``read``: part -> the run-text tags its structured reading
    covered (``_docx``, ``_pptx``); those are not read twice."""
    for name in pkg.names:
        if name.endswith("/") or _BINARY_DIRS.match(name):
            continue
        low = name.lower()
        xmlish = low.endswith((".xml", ".rels", ".vml"))
        if _SHEET.fullmatch(name):
            data = pkg.read(name)
            for m in _SHEET_TEXT.finditer(data):
                t = Text()
                t.at(f"部件 {name}（页眉页脚或数据验证提示）", f"part {name} (header/footer or validation)")
                try:
                    _collect(ET.fromstring(_with_ns(m.group(0))), t, frozenset())
                except Unreadable:
                    raise
                except Exception as exc:  # noqa: BLE001
                    raise Unreadable(f"{name} 不是有效的 XML：{exc}", f"{name} is not valid XML: {exc}")
                if t.done().text.strip():
                    out.texts.append(t)
            continue
        if name in SPREADSHEET_READ or re.fullmatch(r"xl/(?:comments\d*|threadedComments/[^/]+)\.xml", name):
            continue
        if not xmlish:
            data = pkg.read(name)
            head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
            if not (head.startswith(b"<") or head[:2] in (b"\xff\xfe", b"\xfe\xff")):
                other_part(pkg, name, data, out, nested)
                continue
            if not _is_xml(pkg, name):
                other_part(pkg, name, data, out, nested)  # HTML (an altChunk), not XML
                continue
        if name not in read and name not in pkg.roots and not _may_hold_text(pkg.read(name)):
            continue  # styles, themes, font tables: no text node, no text-bearing attribute
        t = Text()
        t.at(f"部件 {name}", f"part {name}")
        _collect(pkg.xml(name), t, read.get(name, frozenset()))
        if t.done().text.strip():
            out.texts.append(t)


# What the generic pass reads, found in the bytes (``_may_hold_text``): a text node (``>``
# then a character that is not markup or blank, entities included), a text-bearing attribute, a named element, an
# external relationship.  A part with none of them is not parsed (most of a package's bytes).
_TEXT_NODE = re.compile(rb">\s*[^<\s]")
_ATTR_PATTERNS = tuple(re.compile(a.encode() + rb"\s*=") for a in sorted(TEXT_ATTRS))


def _may_hold_text(data: bytes) -> bool:
    """Literal-prefixed searches (fast in C): a text node, a text-bearing attribute, a named
    element, an external relationship."""
    return (_TEXT_NODE.search(data) is not None
            or any(n.encode() in data for n in NAMED) or b"External" in data
            or any(p.search(data) is not None for p in _ATTR_PATTERNS))


SPREADSHEET_READ = frozenset({"xl/sharedStrings.xml", "xl/calcChain.xml", "xl/styles.xml"})


def _with_ns(fragment: bytes) -> bytes:
    """A cut-out sheet element made parseable on its own (its prefixes bound to dummies)."""
    prefixes = set(re.findall(rb"</?([A-Za-z_][\w.-]*):", fragment))
    decl = b"".join(b' xmlns:%s="urn:x-%s"' % (p, p) for p in prefixes if p != b"xml")
    return b"<root xmlns=\"urn:x\"" + decl + b">" + fragment + b"</root>"


def extract(data: bytes, nested, sheets=None) -> Extract:
    pkg = Package(data)
    kind = kind_of(pkg.names)
    if kind is None:
        raise Unreadable("不是可读取的 Office 文档（缺少正文部件）", "not a readable Office document")
    out = Extract(kind, size=len(data))
    read: dict[str, frozenset] = {}
    if kind == "docx":
        read = _docx(pkg, out)
    elif kind == "pptx":
        read = _pptx(pkg, out)
    else:
        from . import cells
        sheets(data, out, cells.read(pkg))
        xlsx_comments(pkg, out)
    every_part(pkg, out, read, nested)
    metadata(pkg, out)
    embedded(pkg, out, nested)
    return out


def _is_xml(pkg: Package, name: str) -> bool:
    try:
        pkg.xml(name)
        return True
    except Unreadable:
        return False


def other_part(pkg: Package, name: str, data: bytes, out: Extract, nested) -> None:
    """A part that is not XML: an image (its metadata is read), an alternative-format chunk
    (``w:altChunk``: RTF, HTML, MHT, plain text or a whole DOCX that Word merges into the body
    when it opens the file), a nested package, a known binary part (macros, fonts, vector
    pictures) — or something no reader here knows, which is unreadable: never skipped silently."""
    from . import altchunk, images
    if not data.strip(b"\x00 \t\r\n"):
        return  # an empty part (a signature origin, a placeholder): nothing to read
    label_zh, label_en = f"部件 {name}", f"part {name}"
    if images.is_image(data):
        inner = images.extract(data)
        out.merge(inner, label_zh, label_en)
        return
    if data[:4] == b"PK\x03\x04" and nested is not None:
        inner = nested(posixpath.basename(name) if "." in posixpath.basename(name) else name + ".docx", data)
        if inner is not None:
            out.merge(inner, label_zh, label_en)
            return
    kind = altchunk.sniff(data)
    if kind is not None:
        out.merge(altchunk.extract(data, kind), label_zh, label_en)
        return
    if _KNOWN_BINARY.fullmatch(name):
        return
    out.unreadable.append((
        f"部件 {name} 既不是 XML，也不是图像或已知的嵌入对象，其内容无法检查",
        f"the part {name} is neither XML, nor an image, nor a known embedded object: its "
        "content cannot be checked"))
