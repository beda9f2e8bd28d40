"""OpenDocument text and presentations (ODT, ODP; WPS and LibreOffice save them).

``content.xml`` and ``styles.xml`` (headers, footers) are read paragraph by
paragraph (``text:p``, ``text:h``; tracked deletions live in
``text:tracked-changes`` and are read as well); ``meta.xml`` gives the
creator.  Spreadsheets (ODS) go to calamine (``sheets.py``); their metadata
is read here.
"""

from __future__ import annotations

from .model import Extract, MetaField, Text
from .ooxml import Package

TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
DC = "{http://purl.org/dc/elements/1.1/}"


def mimetype(pkg: Package) -> str:
    if "mimetype" not in pkg.names:
        return ""
    return pkg.read("mimetype")[:100].decode("ascii", "replace").strip()


def _text(root, t: Text, zh: str, en: str) -> None:
    n = 0
    deleted = False

    def walk(el, in_para: bool) -> None:
        nonlocal n
        tag = el.tag
        if tag == TEXT + "tracked-changes":
            t.at(f"{zh}（修订记录）", f"{en} (tracked changes)")
        if tag in (TEXT + "p", TEXT + "h") and not in_para:
            n += 1
            t.at(f"{zh}第{n}段", f"{en} paragraph {n}")
            t.add(el.text or "")
            for child in el:
                walk(child, True)
                t.add(child.tail or "")
            t.add("\n")
            return
        if tag in (TEXT + "s", TEXT + "tab"):
            t.add(" ")
        elif tag == TEXT + "line-break":
            t.add("\n")
        else:
            t.add(el.text or "") if in_para else None
        for child in el:
            walk(child, in_para)
            if in_para:
                t.add(child.tail or "")

    del deleted
    walk(root, False)


def extract(pkg: Package, data: bytes, sheets) -> Extract:
    mt = mimetype(pkg)
    out = Extract("odf", size=len(data))
    if "spreadsheet" in mt:
        sheets(data, out)
    else:
        # (Part names built from their stems: ``content`` + ``.xml``.)
        for stem, zh, en in (("content", "正文", "body"), ("styles", "页眉页脚", "headers/footers")):
            part = stem + ".xml"
            if part in pkg.names:
                t = Text()
                _text(pkg.xml(part), t, zh, en)
                out.texts.append(t.done())
    if "meta.xml" in pkg.names:
        root = pkg.xml("meta.xml")
        for tag, zh, en in ((META + "initial-creator", "作者", "author"),
                            (DC + "creator", "最后修改者", "last modified by")):
            el = next(root.iter(tag), None)
            if el is not None and (el.text or "").strip():
                out.meta.append(MetaField(zh, en, el.text.strip()))
    return out
