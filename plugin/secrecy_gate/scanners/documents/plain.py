"""Plain-text attachments (TXT, CSV, TSV, HTML, JSON, XML …): decoded, line by line.

Government CSV exports are often GB18030 (GBK): UTF-8 is tried first (with or
without a byte-order mark), UTF-16 by its mark, then GB18030.  A CSV or TSV
becomes table lines (``| 姓名 | 身份证号 |``) like a spreadsheet, so a
column header gives a card number its context.

A CSV or TSV cell that starts with ``=``, ``+``, ``-`` or ``@`` and is not a
number is a formula to Excel and WPS, computed when the file is opened:
``="139"&"12345678"`` shows a mobile number.  It is computed as a
spreadsheet's formula is (``formulas.py``; references to the file's other
cells included) and its value is scanned beside the cell's text; one whose
value cannot be computed makes the file unreadable (withheld unless
acknowledged).  A cell Excel would not take for a formula (``-``, ``--``,
``+86 …``) is text.
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
            rows = list(csv.reader(io.StringIO(text), delimiter="\t" if ext == ".tsv" else ","))
            sheet = _Sheet(rows)
            for r, row in enumerate(rows, 1):
                t.at(f"第{r}行", f"row {r}")
                row = [sheet.shown(r - 1, c, cell) for c, cell in enumerate(row)]
                filled = [c for c in row if c.strip()]
                t.add((filled[0] if len(filled) == 1 else
                       "|" + "".join(f" {c} |" for c in row)) + "\n")
            if sheet.uncomputed:
                refs = "、".join(sheet.uncomputed[:5]) + ("…" if len(sheet.uncomputed) > 5 else "")
                out.unreadable.append((
                    f"单元格 {refs} 为公式（以 = + - @ 开头），表格程序打开时会计算，其结果无法确定",
                    f"the cells {refs.replace('、', ', ')} hold formulas (starting with = + - @) that "
                    "Excel and WPS compute on open, and their result cannot be computed"))
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


_FORMULA_START = ("=", "+", "-", "@")


class _Sheet:
    """A CSV file as Excel opens it: numbers are numbers, cells starting with = + - @ that are
    not numbers are formulas (``formulas.evaluate``'s resolver)."""

    def __init__(self, rows: list[list[str]]):
        self.rows = rows
        self.memo: dict = {}
        self.busy: set = set()
        self.uncomputed: list[str] = []

    @staticmethod
    def _formula(cell: str) -> str | None:
        from .formulas import as_number
        s = cell.strip()
        if not s.startswith(_FORMULA_START) or len(s) < 2:
            return None
        if isinstance(as_number(s), float):
            return None  # -5, +3.2: a number
        return s[1:] if s[0] in "=@" else s

    def sheet(self, raw: str):
        return None  # another sheet: a CSV file has one

    def extent(self, sheet):
        return len(self.rows), max((len(r) for r in self.rows), default=0)

    def stored(self, r: int, c: int):
        from .formulas import as_number
        cell = self.rows[r][c] if 0 <= r < len(self.rows) and 0 <= c < len(self.rows[r]) else ""
        n = as_number(cell) if cell.strip() else None
        return n if isinstance(n, float) and "," not in cell else cell

    def cell(self, sheet, r: int, c: int):
        cell = self.rows[r][c] if 0 <= r < len(self.rows) and 0 <= c < len(self.rows[r]) else ""
        if self._formula(cell) is None:
            return self.stored(r, c)
        res = self.result(r, c, cell)
        return None if res is None else res.value

    def result(self, r: int, c: int, cell: str):
        """The formula's result, or None when the cell is text to Excel (not a formula)."""
        from .formulas import Result, Syntax, evaluate
        key = (r, c)
        if key in self.memo:
            return self.memo[key]
        if key in self.busy:
            return Result(None)
        self.busy.add(key)
        try:
            res = evaluate(self._formula(cell), self, (None, r, c), csv=True)
        except Syntax:
            res = None
        finally:
            self.busy.discard(key)
        self.memo[key] = res
        return res

    def shown(self, r: int, c: int, cell: str) -> str:
        """The cell's text, with the value of its formula when it is one."""
        from .formulas import Opaque, as_text
        if self._formula(cell) is None:
            return cell
        res = self.result(r, c, cell)
        if res is None:
            return cell
        if res.value is None:
            from .sheets import column
            self.uncomputed.append(f"{column(c)}{r + 1}")
        extra = [] if res.value is None or isinstance(res.value, Opaque) else [as_text(res.value)]
        extra += [x for x in res.texts if x not in extra]
        extra = [x for x in extra if x and x != cell]
        return cell + "（显示：" + "；".join(extra) + "）" if extra else cell
