"""Spreadsheets (XLSX, XLSM, XLS, ODS, and WPS 表格 .et, which is XLS inside) with python-calamine.

Every sheet is read, hidden and very hidden ones included, and every cell of
it whatever the hidden state of its row or column.  A sheet becomes
Markdown-like table lines (``| 姓名 | 身份证号 | 银行卡号 |``) so the
personal-information scanner reads a column's header as it does in a page
(a card number under a ``银行卡号`` header).

Numbers are read as stored.  An integer stored as a floating-point number is
exact below 2**53 and written out with all its digits (a 15-digit ID number
typed into a General cell survives).  Above, the digits beyond the 15th or
16th are gone: ``620602198503151239`` typed into Excel becomes
``6.20602E+17`` on screen and ``620602198503151000`` or similar in the file.
Such a number that could have been an ID number (18 digits with a valid
birth date) or a bank card (16–19 digits) is reported as ``LossyNumber``: no
check character can tell, and the column most likely holds personal data.
"""

from __future__ import annotations

import datetime as _dt
import io

import python_calamine as pc

from .model import COLUMN, Extract, LossyNumber, Text, Unreadable

EXACT_BELOW = 2 ** 53
MAX_CELLS = 20_000_000


def column(n: int) -> str:
    s = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _birth_ok(digits: str) -> bool:
    try:
        born = _dt.date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return False
    return _dt.date(1900, 1, 1) <= born <= _dt.date.today()


def lossy_kind(v: float) -> tuple[str, str] | None:
    """(zh, en) when ``v`` is an integer too large to be exact that may have been an ID or card."""
    if not v.is_integer() or abs(v) < EXACT_BELOW:
        return None
    digits = str(int(abs(v)))
    if len(digits) == 18 and _birth_ok(digits):
        return "身份证号码", "resident ID number"
    if 16 <= len(digits) <= 19 and digits[0] in "4569":
        return "银行卡号", "bank card number"
    return None


def cell_text(v) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e21:
            return str(int(v))
        return repr(v)
    if isinstance(v, (_dt.datetime, _dt.date, _dt.time, _dt.timedelta)):
        return str(v)
    return "" if v is None else str(v)


def _shown(values: list, code: str | None, texts: list[str]) -> str:
    """A cell's values (computed first, then the one stored in the file) with what it shows
    besides (``cells.py``): the values under its number format when the format holds literal
    text (every section's rendering), the texts of its formula."""
    from .cells import around, display, renderings
    first = _as_cell_text(values[0]) if values else ""
    extra: list[str] = []

    def add(s: str) -> None:
        if s and s != first and s not in extra:
            extra.append(s)
    for v in values[1:]:
        add(_as_cell_text(v))
    if code is not None:
        for v in values:
            if v is None or v == "":
                continue
            shown = display(code, v)
            add(around(code, _as_cell_text(v)) if shown is None else shown)
            for r in renderings(code, v):
                add(r)
    for t in texts:
        add(t)
    if not extra:
        return first
    # Full-width brackets: no separator a number could be read across.
    return (first + "（显示：" if first else "（公式：") + "；".join(extra) + "）"


def _as_cell_text(v) -> str:
    return v if isinstance(v, str) else cell_text(v)


class _Book:
    """The workbook as formulas see it (``formulas.evaluate``'s resolver): sheets read by
    calamine when a formula first refers to them; formula cells computed once, in order."""

    def __init__(self, wb, extras: dict):
        self.wb, self.extras = wb, extras
        self.names = {n.upper(): n for n in wb.sheet_names}
        self.loaded: dict[str, list] = {}
        self.memo: dict = {}
        self.busy: set = set()

    def rows(self, name: str) -> list:
        if name not in self.loaded:
            try:
                self.loaded[name] = self.wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except Exception as exc:  # noqa: BLE001
                raise Unreadable(f"工作表“{name}”无法读取：{exc}", f"sheet {name!r} cannot be read: {exc}")
        return self.loaded[name]

    def sheet(self, raw: str) -> str | None:
        return self.names.get(raw.upper())

    def extent(self, sheet: str):
        rows = self.rows(sheet)
        return len(rows), max((len(r) for r in rows), default=0)

    def stored(self, sheet: str, r: int, c: int):
        rows = self.rows(sheet)
        v = rows[r][c] if 0 <= r < len(rows) and 0 <= c < len(rows[r]) else ""
        from .formulas import serial
        return "" if v is None else serial(v)

    def cell(self, sheet: str, r: int, c: int):
        ex = self.extras.get(sheet)
        if ex is not None and (r, c) in ex.formulas:
            value = self.formula(sheet, r, c).value
            if value is not None:
                return value
            return self.stored(sheet, r, c) if (r, c) in ex.trusted else None
        return self.stored(sheet, r, c)

    def formula(self, sheet: str, r: int, c: int):
        from .formulas import Result, Syntax, evaluate
        key = (sheet, r, c)
        if key in self.memo:
            return self.memo[key]
        if key in self.busy:
            return Result(None)  # a circular reference: Excel shows 0 and a warning; unknown here
        self.busy.add(key)
        try:
            text = self.extras[sheet].formulas[(r, c)]
            try:
                res = evaluate(text, self, key) if text.strip() else Result(None)
            except Syntax:
                res = Result(None)
        finally:
            self.busy.discard(key)
        self.memo[key] = res
        return res


def read(data: bytes, out: Extract, extras: dict | None = None) -> None:
    """Every sheet of a workbook into ``out`` (raises ``Unreadable``); ``extras``: per sheet
    name, the cells' number formats and formulas (``cells.read``, XLSX only)."""
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except pc.PasswordError:
        raise Unreadable("表格已加密（需要密码才能打开）", "the spreadsheet is encrypted (needs a password)")
    except Exception as exc:  # noqa: BLE001 - CalamineError, XmlError, ZipError …
        raise Unreadable(f"表格文件损坏或格式无法识别：{exc}", f"corrupt or unknown spreadsheet: {exc}")
    cells = 0
    try:
        book = _Book(wb, extras or {})
        hidden = {m.name: str(m.visible) for m in wb.sheets_metadata}
        for name in wb.sheet_names:
            state = hidden.get(name, "")
            tag_zh = "（隐藏工作表）" if "Hidden" in state else ""
            tag_en = " (hidden sheet)" if "Hidden" in state else ""
            rows = book.rows(name)
            t = Text(grid=True)
            ex = (extras or {}).get(name)
            uncomputed: list[str] = []
            if ex is not None and (ex.formats or ex.formulas):
                rows = _with_extras(rows, ex, book, name, uncomputed)
            for r, row in enumerate(rows):
                cells += len(row)
                if cells > MAX_CELLS:
                    raise Unreadable("表格单元格过多", "too many cells")
                filled = [c for c, v in enumerate(row) if v != "" and v is not None]
                if not filled:
                    t.add("\n")
                    continue
                lone = len(filled) == 1
                # One place per row; the column is counted from the cell separators (Text.where).
                col = column(filled[0]) if lone else COLUMN
                t.at(f"工作表“{name}”{tag_zh}!{col}{r + 1}", f"sheet {name!r}{tag_en}!{col}{r + 1}")
                parts = []
                for c, v in enumerate(row):
                    if isinstance(v, str):
                        parts.append(v)
                        continue
                    if isinstance(v, float) and abs(v) >= EXACT_BELOW:
                        kind = lossy_kind(v)
                        if kind is not None:
                            ref = f"{column(c)}{r + 1}"
                            digits = str(int(abs(v)))
                            out.lossy.append(LossyNumber(
                                f"工作表“{name}”{tag_zh}!{ref}（疑似{kind[0]}）",
                                f"sheet {name!r}{tag_en}!{ref} (may be a {kind[1]})",
                                digits[:3] + "*" * (len(digits) - 7) + digits[-4:]))
                    parts.append(cell_text(v))
                t.add(parts[filled[0]] + "\n" if lone else "| " + " | ".join(parts) + " |\n")
            out.texts.append(t.done())
            if uncomputed:
                refs = "、".join(uncomputed[:5]) + ("…" if len(uncomputed) > 5 else "")
                out.unreadable.append((
                    f"工作表“{name}”{tag_zh}的单元格 {refs} 为公式，文件中没有可信的计算结果（没有结果，"
                    "或文件要求打开时重新计算），且结果无法由公式中的文字和所引用的单元格确定（第六条、第七条）",
                    f"sheet {name!r}{tag_en}: the cells {refs.replace('、', ', ')} hold formulas with no "
                    "trusted stored result (none, or the file asks for recalculation on open), and the "
                    "result cannot be computed from the formula's literals and the cells it refers to"))
    finally:
        wb.close()


class _Shown(str):
    """A cell's text with what it shows besides its stored value (a ``str``: read as text)."""


def _with_extras(rows: list, ex, book: _Book, name: str, uncomputed: list[str]) -> list:
    """The rows with each formatted or formula cell replaced by its computed, stored and
    shown texts; formula cells whose result a reader sees cannot be known go to ``uncomputed``."""
    from .formulas import Opaque
    rows = [list(r) for r in rows]
    width = max((len(r) for r in rows), default=0)
    # Top to bottom, left to right: a running total refers to the cell above, computed already.
    for (r, c) in sorted(set(ex.formats) | set(ex.formulas)):
        if r < 0 or c < 0:
            continue
        while len(rows) <= r:
            rows.append([""] * width)
        row = rows[r]
        while len(row) <= c:
            row.append("")
        v = row[c]
        if isinstance(v, _Shown):
            continue
        stored = None if v is None or v == "" else v
        values, texts = [], []
        if (r, c) in ex.formulas:
            res = book.formula(name, r, c)
            texts = res.texts
            if res.value is None:
                if (r, c) not in ex.trusted:
                    uncomputed.append(f"{column(c)}{r + 1}")
            elif not isinstance(res.value, Opaque):
                values.append(res.value)
        if stored is not None and stored not in values:
            values.append(stored)
        shown = _shown(values, ex.formats.get((r, c)), texts)
        row[c] = _Shown(shown) if shown else v
    return rows
