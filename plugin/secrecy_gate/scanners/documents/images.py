"""Images: the text their metadata carries (PNG text chunks, EXIF, XMP, JPEG comments, IPTC).

A photo or a screenshot says nothing in its pixels that a program can read
(that would need OCR), but its metadata is text any "Properties" dialog or
``exiftool`` shows: Windows Explorer writes the Comments/Title/Subject/Tags/
Authors boxes as UTF-16LE EXIF ``XP*`` tags, cameras and editors write
ImageDescription, UserComment, Artist, an XMP packet, a PNG ``tEXt``/``zTXt``/
``iTXt`` chunk.  An ID number or a 机密 marking typed there is published with
the image, so the same scanners run on it (places: ``图像元数据 XPComment``).

The container is walked by hand (PNG chunks, JPEG segments, WebP RIFF chunks —
every one, also those after the image data, which a lazy image library never
reaches); EXIF is parsed with Pillow's EXIF reader.  Only the metadata is read,
never the pixels: a truncated image is no reason to withhold.
"""

from __future__ import annotations

import html
import io
import re
import struct
import zlib

from .model import Extract, MetaField, Text

PNG = b"\x89PNG\r\n\x1a\n"
MAX_INFLATE = 16 * 1024 * 1024  # a compressed text chunk's most (a zip bomb is unreadable)

# EXIF tags (IFD0 and the Exif IFD) whose values are people's names: also a metadata warning.
PEOPLE_TAGS = {0x013B: ("作者（Artist）", "author (Artist)"), 0x9C9D: ("作者（XPAuthor）", "author (XPAuthor)"),
               0xA430: ("相机所有者", "camera owner")}
# Windows Explorer's Details boxes: UTF-16LE bytes.
XP_TAGS = {0x9C9B: "XPTitle", 0x9C9C: "XPComment", 0x9C9D: "XPAuthor", 0x9C9E: "XPKeywords",
           0x9C9F: "XPSubject"}
USER_COMMENT = 0x9286
# Values that are numbers or binary structures, not text anyone typed.
SKIP_TAGS = frozenset({0x927C,  # MakerNote (vendor binary)
                       0x8769, 0x8825, 0xA005, 0x014A,  # pointers to other IFDs
                       0x02BC, 0x83BB, 0x8649})  # XMP, IPTC, Photoshop resources (read apart)
EXIF_IFD, GPS_IFD = 0x8769, 0x8825


def is_image(data: bytes) -> bool:
    return (data[:8] == PNG or data[:3] == b"\xff\xd8\xff"
            or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
            or data[:4] in (b"II*\x00", b"MM\x00*") or data[:6] in (b"GIF87a", b"GIF89a"))


def _decode(raw: bytes) -> str:
    """Bytes a tool wrote as "text": UTF-8 when they are, else GB18030 (what Chinese Windows
    tools write), never an error."""
    raw = raw.rstrip(b"\x00")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


class _Meta:
    def __init__(self, out: Extract):
        self.out = out
        self.t = Text()

    def add(self, where: str, value: str) -> None:
        value = value.replace("\x00", " ").strip()
        if value:
            self.t.at(f"图像元数据 {where}", f"image metadata {where}")
            self.t.add(value + "\n")

    def unreadable(self, zh: str, en: str) -> None:
        self.out.unreadable.append((f"图像元数据：{zh}", f"image metadata: {en}"))

    # -- EXIF ----------------------------------------------------------------------
    def exif(self, tiff: bytes) -> None:
        from PIL import Image
        try:
            ex = Image.Exif()
            ex.load(tiff if tiff.startswith(b"Exif") else b"Exif\x00\x00" + tiff)
            ifds = [("", dict(ex))]
            for ptr, label in ((EXIF_IFD, "Exif"), (GPS_IFD, "GPS")):
                if ptr in ex:
                    ifds.append((label, dict(ex.get_ifd(ptr))))
        except Exception as exc:  # noqa: BLE001 - fail closed: EXIF we cannot parse is unread text
            self.unreadable(f"EXIF 无法解析：{exc!r}", f"cannot parse EXIF: {exc!r}")
            return
        from PIL.ExifTags import GPSTAGS, TAGS
        for label, tags in ifds:
            for tag, value in tags.items():
                if tag in SKIP_TAGS or (label == "" and tag in (EXIF_IFD, GPS_IFD)):
                    continue
                name = (GPSTAGS if label == "GPS" else TAGS).get(tag, f"0x{tag:04X}")
                text = self.value(tag, value)
                if text:
                    self.add(name, text)
                    if tag in PEOPLE_TAGS:
                        zh, en = PEOPLE_TAGS[tag]
                        self.out.meta.append(MetaField(zh, en, text.strip()))
        if 0x83BB in ex:
            self.iptc(ex[0x83BB] if isinstance(ex[0x83BB], bytes) else b"")
        if 0x02BC in ex and isinstance(ex[0x02BC], bytes):
            self.xmp(ex[0x02BC], "XMP")

    @staticmethod
    def value(tag: int, value) -> str:
        if tag in XP_TAGS and isinstance(value, (bytes, tuple)):
            raw = bytes(value) if isinstance(value, tuple) else value
            return raw.decode("utf-16-le", errors="replace")
        if tag == USER_COMMENT and isinstance(value, bytes):
            head, body = value[:8], value[8:]
            if head.startswith(b"UNICODE"):
                # The byte order is the file's; a UTF-16 BOM or the zero bytes tell which.
                le = body[1:2] == b"\x00" or body[:2] == b"\xff\xfe"
                return body.decode("utf-16-le" if le else "utf-16-be", errors="replace")
            if head.startswith(b"JIS"):
                return body.decode("shift_jis", errors="replace")
            return _decode(body if head.strip(b"\x00 ") in (b"ASCII", b"") else value)
        if isinstance(value, str):
            # Pillow reads ASCII tags as Latin-1; tools write UTF-8 or GBK into them.
            return _decode(value.encode("latin-1", errors="replace"))
        if isinstance(value, bytes):
            return _decode(value) if _texty(value) else ""
        if isinstance(value, tuple) and value and all(isinstance(v, str) for v in value):
            return " ".join(value)
        return ""

    # -- XMP, IPTC, comments -------------------------------------------------------
    def xmp(self, packet: bytes, where: str = "XMP") -> None:
        """Every text node and attribute value of the packet (no XML parser: a packet need not
        be well-formed to be shown by a photo viewer)."""
        text = _decode(packet)
        values = re.findall(r"""=\s*"([^"]*)"|=\s*'([^']*)'""", text)
        nodes = re.findall(r">([^<]+)<", text)
        parts = [html.unescape(a or b) for a, b in values] + [html.unescape(n) for n in nodes]
        self.add(where, "\n".join(p for p in parts if p.strip()))

    def iptc(self, data: bytes) -> None:
        """IPTC-IIM datasets (caption, by-line, keywords …): 0x1C record dataset length value."""
        i, n = 0, len(data)
        while i + 5 <= n:
            if data[i] != 0x1C:
                i += 1
                continue
            rec, ds, size = data[i + 1], data[i + 2], struct.unpack(">H", data[i + 3:i + 5])[0]
            if size & 0x8000:
                break  # extended length: not written by any common tool
            value = data[i + 5:i + 5 + size]
            if rec == 2 and ds != 0:
                self.add(f"IPTC 2:{ds}", _decode(value))
            i += 5 + size

    def photoshop(self, data: bytes) -> None:
        """APP13 "Photoshop 3.0" resources: the IPTC block (resource 0x0404) inside."""
        for m in re.finditer(rb"8BIM\x04\x04", data):
            j = m.end()
            namelen = data[j] if j < len(data) else 0
            j += 1 + namelen + ((1 + namelen) % 2)
            if j + 4 <= len(data):
                size = struct.unpack(">I", data[j:j + 4])[0]
                self.iptc(data[j + 4:j + 4 + size])


def _texty(raw: bytes) -> bool:
    raw = raw.rstrip(b"\x00")
    return bool(raw) and sum(b < 9 or 13 < b < 32 for b in raw) * 10 < len(raw)


def _inflate(data: bytes) -> bytes:
    d = zlib.decompressobj()
    out = d.decompress(data, MAX_INFLATE)
    if d.unconsumed_tail:
        raise ValueError("over the size limit")
    return out


def _png(data: bytes, m: _Meta) -> None:
    i = 8
    while i + 8 <= len(data):
        size, ctype = struct.unpack(">I4s", data[i:i + 8])
        body = data[i + 8:i + 8 + size]
        i += 12 + size
        name = ctype.decode("latin-1")
        try:
            if ctype == b"tEXt":
                key, _, value = body.partition(b"\x00")
                m.add(f"PNG tEXt {_decode(key)}", _decode(value))
            elif ctype == b"zTXt":
                key, _, rest = body.partition(b"\x00")
                m.add(f"PNG zTXt {_decode(key)}", _decode(_inflate(rest[1:])))
            elif ctype == b"iTXt":
                key, _, rest = body.partition(b"\x00")
                flag, _method = rest[0], rest[1]
                lang, _, rest = rest[2:].partition(b"\x00")
                translated, _, value = rest.partition(b"\x00")
                if flag:
                    value = _inflate(value)
                where = f"PNG iTXt {_decode(key)}"
                if key == b"XML:com.adobe.xmp":
                    m.xmp(value, where)
                else:
                    m.add(where, _decode(translated) + "\n" + _decode(value))
            elif ctype == b"eXIf":
                m.exif(body)
        except (ValueError, IndexError, zlib.error) as exc:
            m.unreadable(f"PNG 块 {name} 无法解压或解析：{exc}", f"PNG chunk {name} cannot be read: {exc}")
        if ctype == b"IEND":
            break


def _jpeg(data: bytes, m: _Meta) -> None:
    i = 2
    xmp_ext: list[bytes] = []
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            break
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        if marker in (0xDA, 0xD9):
            break  # the image data: no metadata segment follows in a JPEG a viewer reads
        size = struct.unpack(">H", data[i + 2:i + 4])[0]
        body = data[i + 4:i + 2 + size]
        i += 2 + size
        if marker == 0xE1 and body.startswith(b"Exif\x00"):
            m.exif(body[6:])
        elif marker == 0xE1 and body.startswith(b"http://ns.adobe.com/xap/1.0/\x00"):
            m.xmp(body[29:])
        elif marker == 0xE1 and body.startswith(b"http://ns.adobe.com/xmp/extension/\x00"):
            xmp_ext.append(body[35 + 40:])  # GUID (32) + full length (4) + offset (4)
        elif marker == 0xFE:
            m.add("JPEG 注释（COM）", _decode(body))
        elif marker == 0xED and body.startswith(b"Photoshop 3.0\x00"):
            m.photoshop(body)
    if xmp_ext:
        m.xmp(b"".join(xmp_ext), "XMP（扩展）")


def _webp(data: bytes, m: _Meta) -> None:
    i = 12
    while i + 8 <= len(data):
        ctype, size = data[i:i + 4], struct.unpack("<I", data[i + 4:i + 8])[0]
        body = data[i + 8:i + 8 + size]
        i += 8 + size + (size & 1)
        if ctype == b"EXIF":
            m.exif(body)
        elif ctype == b"XMP ":
            m.xmp(body)


def _pillow(data: bytes, m: _Meta) -> None:
    """TIFF (its tags are the EXIF structure) and GIF (comment extensions) through Pillow."""
    from PIL import Image
    try:
        with Image.open(io.BytesIO(data)) as im:
            if data[:4] in (b"II*\x00", b"MM\x00*"):
                m.exif(data)
            comment = im.info.get("comment")
            if comment:
                m.add("GIF 注释", _decode(comment) if isinstance(comment, bytes) else str(comment))
            xmp = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
            if xmp:
                m.xmp(xmp if isinstance(xmp, bytes) else str(xmp).encode())
    except Exception as exc:  # noqa: BLE001
        m.unreadable(f"图像无法打开：{exc!r}", f"cannot open the image: {exc!r}")


def extract(data: bytes) -> Extract:
    out = Extract("image", size=len(data))
    m = _Meta(out)
    if data[:8] == PNG:
        _png(data, m)
    elif data[:3] == b"\xff\xd8\xff":
        _jpeg(data, m)
    elif data[:4] == b"RIFF":
        _webp(data, m)
    else:
        _pillow(data, m)
    if m.t.done().text.strip():
        out.texts.append(m.t)
    return out
