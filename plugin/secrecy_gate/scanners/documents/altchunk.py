"""Text held in a package part that is not XML: what ``w:altChunk`` imports into a Word body.

Word merges an "alternative format chunk" into the document when it opens it:
an RTF file, an HTML page, an MHT (MIME HTML) archive, plain text or a whole
DOCX, kept in the package as the part a relationship of type ``aFChunk``
names (OA systems and html-docx-js write documents this way).  The person
who opens the file reads that text as the body, so it is read here the way
Word reads it: RTF through ``striprtf`` (``\\'36`` hex escapes, ``\\u26426?``
Unicode escapes, the ``\\ansicpg`` code page), MHT through the standard
``email`` parser (quoted-printable with soft line breaks, base64), HTML
through ``html.parser`` (entities undone, tags dropped).
"""

from __future__ import annotations

import email
import email.policy
from html.parser import HTMLParser

from .model import Extract, Text, Unreadable


def sniff(data: bytes) -> str | None:
    """rtf, mht, html or text: a non-XML part whose text can be read; None otherwise."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    low = head.lower()
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if low.startswith((b"mime-version:", b"content-type:", b"from:", b"subject:", b"date:")) or (
            b"\nmime-version:" in low and b"content-type:" in low):
        return "mht"
    if low.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in low or b"<body" in low:
        return "html"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "text"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    bad = sum(1 for c in text[:8192] if ord(c) < 32 and c not in "\r\n\t\f")
    return "text" if bad == 0 else None


class _Html(HTMLParser):
    """Every text node, and the attribute values a reader sees (alt, title, value)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("alt", "title", "value", "placeholder", "content", "label") and v and v.strip():
                self.parts.append("\n" + v + "\n")
        if tag in ("p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table"):
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def html_text(markup: str) -> str:
    parser = _Html()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


def _decode(raw: bytes, charset: str | None = None) -> str:
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16", errors="replace")
    for enc in ([charset] if charset else []) + ["utf-8"]:
        try:
            return raw.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    return raw.decode("gb18030", errors="replace")


def _mht(data: bytes, t: Text) -> None:
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    n = 0
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        payload = part.get_payload(decode=True)
        if payload is None:
            continue
        n += 1
        where = part.get("Content-Location") or f"#{n}"
        if ctype in ("text/html", "application/xhtml+xml"):
            t.at(f"MHT 部分 {where}", f"MHT part {where}")
            t.add(html_text(_decode(payload, part.get_content_charset())) + "\n")
        elif ctype.startswith("text/"):
            t.at(f"MHT 部分 {where}", f"MHT part {where}")
            t.add(_decode(payload, part.get_content_charset()) + "\n")
        elif not ctype.startswith("image/"):
            raise Unreadable(f"MHT 中的 {where}（{ctype}）无法读取",
                             f"the MHT part {where} ({ctype}) cannot be read")


def extract(data: bytes, kind: str) -> Extract:
    out = Extract("altchunk", size=len(data))
    t = Text()
    try:
        if kind == "rtf":
            try:
                from striprtf.striprtf import rtf_to_text
            except ImportError:
                raise Unreadable("RTF 内容无法读取（未安装 striprtf）", "RTF cannot be read (striprtf missing)")
            t.at("RTF 内容", "RTF content")
            t.add(rtf_to_text(data.decode("latin-1"), errors="ignore"))
        elif kind == "mht":
            _mht(data, t)
        elif kind == "html":
            t.at("HTML 内容", "HTML content")
            t.add(html_text(_decode(data)))
        else:
            t.at("文本内容", "text content")
            t.add(_decode(data))
    except Unreadable as exc:
        out.unreadable.append((exc.zh, exc.en))
    except Exception as exc:  # noqa: BLE001 - fail closed
        out.unreadable.append((f"读取时出错：{exc!r}", f"error while reading: {exc!r}"))
    out.texts.append(t.done())
    return out
