"""What is inside an attachment: PDF, Word, Excel, PowerPoint, WPS, OpenDocument, CSV and text.

The flow: ``extract(name, data)`` sniffs the format from the bytes (not the
name: a PDF renamed ``photo.png`` is read as a PDF), hands it to the
extractor of its family and returns an ``Extract`` — texts with their places
inside the file, metadata that may name people, embedded file names, numbers
whose digits were lost, and what could not be read.  ``scan.scan`` runs the
page scanners (markings, personal information) on it; ``review/attachments.py``
turns the result into findings on the page that lists the file; the leak scan
(``leakscan.py``) reads the output's documents with the same ``extract``.

Family        | read with                  | formats
------------- | -------------------------- | ----------------------------------------------
``pdf``       | pypdfium2 (PDFium)         | .pdf
``docx/pptx`` | defusedxml over the zip    | .docx .docm .dotx .pptx .ppsx (and WPS saving them)
``xlsx``      | python-calamine (+ XML)    | .xlsx .xlsm; .xls and .et (BIFF) via calamine
``odf``       | calamine / defusedxml      | .ods; .odt .odp
``text``      | decoded bytes              | .txt .csv .tsv .html .json .xml …
``image``     | by hand + Pillow's EXIF    | .png .jpg .webp .tif .gif: metadata text only
``rtf``       | striprtf (``altchunk.py``) | .rtf (what Word shows of it)
``svg``       | html.parser               | .svg: its text, titles and descriptions
unreadable    | —                          | .doc .wps .ppt .dps, archives other than zip,
              |                            | encrypted, corrupt or image-only files

Extraction depends on the bytes alone, so results are kept in memory by
sha256 (``CACHE``): ``mkdocs serve`` rebuilds and the leak scan do not read
an unchanged attachment again.  Nothing is kept on disk.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict

from . import images
from ..text import CODE_EXTENSIONS
from .model import Extract, LossyNumber, MetaField, Text, Unreadable

__all__ = ["Extract", "Text", "MetaField", "LossyNumber", "Unreadable", "extract", "family",
           "is_document", "CACHE", "CODE_EXTENSIONS", "DocumentCache", "DOCUMENT_EXTENSIONS", "TEXT_EXTENSIONS"]

# Names that say "document": read, and unreadable content withholds.
OFFICE_EXTENSIONS = frozenset({
    ".pdf", ".docx", ".docm", ".dotx", ".xlsx", ".xlsm", ".xltx", ".pptx", ".pptm", ".ppsx",
    ".xls", ".xlt", ".et", ".ett", ".ods", ".odt", ".odp", ".ots", ".ott",
    ".doc", ".dot", ".wps", ".wpt", ".ppt", ".pps", ".dps", ".dpt", ".rtf",
    ".zip", ".rar", ".7z"})
TEXT_EXTENSIONS = frozenset({".txt", ".csv", ".tsv"})
DOCUMENT_EXTENSIONS = OFFICE_EXTENSIONS | TEXT_EXTENSIONS
# Read as text when a page lists them (their plain text is shown by a browser anyway).
MARKUP_EXTENSIONS = frozenset({".html", ".htm", ".json", ".xml", ".md", ".markdown"})

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_DEPTH = 3


def _ext(name: str) -> str:
    return os.path.splitext(name.lower())[1]


def family(name: str, data: bytes) -> str | None:
    """The format family of a file from its bytes first, its name second; None: not a document
    (a font, a style sheet …).  ``image``: only its metadata holds text (``images.py``)."""
    ext = _ext(name)
    # PDF readers accept a header anywhere in the first KiB (junk before it hides nothing);
    # a text file that merely mentions "%PDF-" stays text.
    if data[:5] == b"%PDF-" or (b"%PDF-" in data[:1024] and ext not in TEXT_EXTENSIONS
                                 and ext not in MARKUP_EXTENSIONS):
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        return "zip"
    if data[:8] == OLE:
        return "ole"
    if images.is_image(data):
        return "image"  # published images: the text of their metadata (EXIF, XMP, PNG chunks)
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if ext == ".svg" or (head.startswith((b"<svg", b"<?xml")) and b"<svg" in head.lower()):
        return "svg"  # a drawing whose <text> any browser shows
    if ext in TEXT_EXTENSIONS or ext in MARKUP_EXTENSIONS:
        return "text"
    if ext in OFFICE_EXTENSIONS:
        return "unknown"  # named a document, but no reader knows the bytes: unreadable
    return None


def is_document(name: str, data: bytes) -> bool:
    """What the gate reads: documents by content or by name (``assets:`` files included)."""
    f = family(name, data)
    return f is not None and (f != "text" or _ext(name) in TEXT_EXTENSIONS | MARKUP_EXTENSIONS)


def _extract(name: str, data: bytes, depth: int) -> Extract | None:
    from . import altchunk, ooxml, odf, pdf, plain, sheets

    def nested(inner_name: str, inner: bytes) -> Extract | None:
        if depth >= MAX_DEPTH:
            out = Extract("nested")
            out.unreadable.append(("嵌套层数过多", "nested too deep"))
            return out
        return _extract(inner_name, inner, depth + 1)

    fam = family(name, data)
    ext = _ext(name)
    if fam is None:
        return None
    try:
        if fam == "pdf":
            return pdf.extract(data, nested)
        if fam == "text":
            return plain.extract(data, ext)
        if fam == "image":
            return images.extract(data)
        if fam == "rtf":
            return altchunk.extract(data, "rtf")
        if fam == "svg":
            return altchunk.extract(data, "html")
        if fam == "ole":
            if ext in (".doc", ".dot", ".wps", ".wpt", ".ppt", ".pps", ".dps", ".dpt"):
                raise Unreadable(f"{ext} 为旧版二进制格式，没有可靠的程序库读取其文字",
                                 f"{ext} is an old binary format no maintained library reads")
            out = Extract("xls", size=len(data))
            sheets.read(data, out)  # .xls, .et (BIFF): calamine; anything else fails here
            return out
        if fam == "zip":
            pkg = ooxml.Package(data)
            if ooxml.kind_of(pkg.names):
                return ooxml.extract(data, nested, sheets.read)
            if odf.mimetype(pkg).startswith("application/vnd.oasis.opendocument"):
                return odf.extract(pkg, data, sheets.read)
            if ext in (".zip",) or ext not in OFFICE_EXTENSIONS:
                return _archive(pkg, nested, len(data))
            raise Unreadable("压缩包中没有可识别的文档", "a zip container holding no known document")
        if ext in (".rar", ".7z"):
            raise Unreadable(f"压缩格式 {ext} 无法读取", f"the archive format {ext} cannot be read")
        raise Unreadable(f"文件名为 {ext} 文档，但内容格式无法识别（文件可能已损坏）",
                         f"named a {ext} document, but its content is no format a reader knows "
                         "(the file may be corrupt)")
    except Unreadable as exc:
        return _unreadable(fam, data, exc.zh, exc.en)
    except Exception as exc:  # noqa: BLE001 - fail closed: a reader's error is "unreadable"
        return _unreadable(fam, data, f"读取时出错：{exc!r}", f"error while reading: {exc!r}")


def _archive(pkg, nested, size: int) -> Extract:
    """A zip archive: every member that is a document is read; other members are named."""
    out = Extract("zip", size=size)
    for name in pkg.names:
        if name.endswith("/"):
            continue
        inner = nested(name, pkg.read(name))
        if inner is not None:
            out.merge(inner, f"压缩包内 {name}", f"archive member {name}")
    return out


def cache_key(name: str, data: bytes, sha256: str | None = None) -> str:
    """The extract of ``data`` read as a ``name`` file: the SHA-256 of the bytes and the
    extension (which decides how a file is read)."""
    return f"{sha256 or hashlib.sha256(data).hexdigest()}:{_ext(name)}"


class DocumentCache:
    """Extracts by sha256, in memory, the largest total text first to go (LRU)."""

    def __init__(self, limit_chars: int = 200_000_000):
        self.limit = limit_chars
        self.items: OrderedDict[str, Extract] = OrderedDict()
        self.held = 0
        self.reads = 0  # extractions actually run (the tests and the bench count them)
        self.lock = threading.Lock()

    def get(self, name: str, data: bytes, sha256: str | None = None) -> Extract | None:
        if family(name, data) is None:
            return None  # an image, a font …: not hashed, not kept
        key = cache_key(name, data, sha256)
        with self.lock:
            hit = self.items.get(key)
            if hit is not None:
                self.items.move_to_end(key)
                return hit
        result = _extract(name, data, 0)
        with self.lock:
            self.reads += 1
            if result is not None:
                self.items[key] = result
                self.held += result.cost()
                while self.held > self.limit and len(self.items) > 1:
                    _, old = self.items.popitem(last=False)
                    self.held -= old.cost()
        return result


    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.held = 0

    def snapshot(self) -> list[tuple[str, Extract]]:
        """Every extract held, by key: what another process may ``seed`` its cache with."""
        with self.lock:
            return list(self.items.items())

    def seed(self, items: list[tuple[str, Extract]]) -> None:
        """Take in another process's extracts (``snapshot``).  Safe because a key is the
        SHA-256 of the very bytes that were read (and the format the name gives), and the
        extraction is a function of those alone: a file whose bytes differ in any way has
        another key and is read afresh."""
        with self.lock:
            for key, result in items:
                if key not in self.items:
                    self.items[key] = result
                    self.held += result.cost()


CACHE = DocumentCache()


def extract(name: str, data: bytes, sha256: str | None = None, listed: bool = False) -> Extract | None:
    """The extract of one file (None: not a document), from the process-wide cache;
    ``listed``: a page lists it as an attachment (a script or style sheet is read as text)."""
    result = CACHE.get(name, data, sha256)
    if result is None and listed and _ext(name) in CODE_EXTENSIONS:
        from . import plain
        try:
            return plain.extract(data, _ext(name))
        except Unreadable as exc:
            return _unreadable("text", data, exc.zh, exc.en)
    return result


def _unreadable(fam: str, data: bytes, zh: str, en: str) -> Extract:
    """The extract of a file that could not be read, and why."""
    out = Extract(fam, size=len(data))
    out.unreadable.append((zh, en))
    return out
