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


def _shown(v, stored: str, code: str | None, formula: list[str] | None) -> str:
    """A cell's stored value with what it shows besides (``cells.py``): the value under its
    number format when the format holds literal text, the texts of its formula."""
    extra = []
    if code is not None:
        from .cells import around, display
        shown = display(code, v)
        shown = around(code, stored) if shown is None else shown
        if shown != stored:
            extra.append(shown)
    if formula:
        extra += [f for f in formula if f != stored]
    if not extra:
        return stored
    # Full-width brackets: no separator a number could be read across.
    return (stored + "（显示：" if stored else "（公式：") + "；".join(extra) + "）"


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
        hidden = {m.name: str(m.visible) for m in wb.sheets_metadata}
        for name in wb.sheet_names:
            state = hidden.get(name, "")
            tag_zh = "（隐藏工作表）" if "Hidden" in state else ""
            tag_en = " (hidden sheet)" if "Hidden" in state else ""
            try:
                sheet = wb.get_sheet_by_name(name)
                rows = sheet.to_python(skip_empty_area=False)
            except Exception as exc:  # noqa: BLE001
                raise Unreadable(f"工作表“{name}”无法读取：{exc}", f"sheet {name!r} cannot be read: {exc}")
            t = Text(grid=True)
            ex = (extras or {}).get(name)
            if ex is not None and (ex.formats or ex.formulas):
                rows = _with_extras(rows, ex)
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
            if ex is not None and ex.uncomputed:
                refs = "、".join(ex.uncomputed[:5]) + ("…" if len(ex.uncomputed) > 5 else "")
                out.unreadable.append((
                    f"工作表“{name}”{tag_zh}的单元格 {refs} 为公式，文件中没有计算结果，且结果无法由公式中的文字确定",
                    f"sheet {name!r}{tag_en}: the cells {refs.replace('、', ', ')} hold formulas with no "
                    "stored result, and the result cannot be computed from the formula's literals"))
    finally:
        wb.close()


class _Shown(str):
    """A cell's text with what it shows besides its stored value (a ``str``: read as text)."""


def _with_extras(rows: list, ex) -> list:
    """The rows with each formatted or formula cell replaced by its stored and shown texts."""
    rows = [list(r) for r in rows]
    width = max((len(r) for r in rows), default=0)
    for (r, c) in list(ex.formats) + list(ex.formulas):
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
        stored = "" if v is None or v == "" else v if isinstance(v, str) else cell_text(v)
        shown = _shown(v, stored, ex.formats.get((r, c)), ex.formulas.get((r, c)))
        row[c] = _Shown(shown) if shown else v
    return rows
