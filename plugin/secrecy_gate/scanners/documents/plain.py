"""Plain-text attachments (TXT, CSV, TSV, HTML, JSON, XML …): decoded, line by line.

Government CSV exports are often GB18030 (GBK): UTF-8 is tried first (with or
without a byte-order mark), UTF-16 by its mark, then GB18030.  A CSV or TSV
becomes table lines (``| 姓名 | 身份证号 |``) like a spreadsheet, so a
column header gives a card number its context.
"""

from __future__ import annotations

import csv
import io

from .model import Extract, Text, Unreadable


def decode(data: bytes) -> str:
    if data[:3] == b"\xef\xbb\xbf":
        return data[3:].decode("utf-8", errors="replace")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def extract(data: bytes, ext: str) -> Extract:
    text = decode(data)
    if "\x00" in text[:4096]:
        raise Unreadable("文本文件中含有二进制内容", "binary content in a text file")
    out = Extract("text", size=len(data))
    t = Text()
    if ext in (".csv", ".tsv"):
        try:
            rows = csv.reader(io.StringIO(text), delimiter="\t" if ext == ".tsv" else ",")
            for r, row in enumerate(rows, 1):
                t.at(f"第{r}行", f"row {r}")
                filled = [c for c in row if c.strip()]
                t.add((filled[0] if len(filled) == 1 else
                       "|" + "".join(f" {c} |" for c in row)) + "\n")
        except csv.Error:
            t = Text()
            _lines(text, t)
    else:
        _lines(text, t)
    out.texts.append(t.done())
    return out


def _lines(text: str, t: Text) -> None:
    for n, line in enumerate(text.splitlines(keepends=True), 1):
        t.at(f"第{n}行", f"line {n}")
        t.add(line)
