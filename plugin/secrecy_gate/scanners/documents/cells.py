"""What an XLSX cell shows that calamine does not give: custom number formats and formulas.

calamine returns a cell's stored value.  Two things change what a reader
sees without changing that value:

* **Number formats with literal text.**  The Excel tip for typing ID numbers
  fast is a custom format ``"620602"@``: the cell stores ``198503151239`` and
  shows ``620602198503151239``; ``"139"00000000`` shows a mobile number from
  ``12345678``.  The formats are read from ``xl/styles.xml`` (``numFmts`` and
  ``cellXfs``; calamine does not expose them) and applied to the value
  (``display``): the displayed value is scanned as well as the stored one.
* **Formulas.**  A file written by a program (an OA export, openpyxl) holds a
  formula and no cached value; XlsxWriter caches ``0`` and asks for
  recalculation on open (``fullCalcOnLoad``).  ``="620602"&"198503151239"``
  or ``=A2&B2`` shows an ID number once opened, and calamine reads nothing
  (or ``0``).  The formula texts are collected here; ``formulas.py``
  computes them in ``sheets.py`` (where the cells they refer to are read).
  A cached result is trusted only when there is one and nothing asks for
  recalculation (``recalculates``, a cell's ``ca="1"``); otherwise a formula
  whose result cannot be computed cannot be read exactly: the file is
  unreadable (withheld unless acknowledged).
* **Conditions and bracketed text.**  ``[>99999999]0;"139"00000000`` shows
  ``13912345678`` for ``12345678`` by its second section, and
  ``[$139-804]00000000`` writes ``139`` as a currency symbol: the value is
  rendered under every section that has literal text (``renderings``) and
  every rendering is scanned.

Sheets are read with an incremental XML parser (defusedxml) and only when
their bytes hold a formula or a style that has literal text, so ordinary
workbooks cost one byte search per sheet.
"""

from __future__ import annotations

import io
import posixpath
import re
from dataclasses import dataclass, field

from defusedxml import ElementTree as ET

from .model import Unreadable

X = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"

_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
_REF = re.compile(r"([A-Z]+)([0-9]+)")


@dataclass
class SheetExtras:
    """Per cell (row, column), counted from 0: what it shows besides its stored value."""

    formats: dict[tuple[int, int], str] = field(default_factory=dict)    # number format code
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # formula text, no "="
    # Cells whose cached result a reader sees: there is one, and nothing asks for recalculation.
    trusted: set[tuple[int, int]] = field(default_factory=set)


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


# -- number formats ------------------------------------------------------------------------

def _literal_formats(pkg) -> dict[int, str]:
    """cellXfs index -> format code, for the formats that hold literal text."""
    if "xl/styles.xml" not in pkg.names:
        return {}
    root = pkg.xml("xl/styles.xml")
    codes = {}
    for nf in root.iter(X + "numFmt"):
        code = nf.get("formatCode") or ""
        try:
            codes[int(nf.get("numFmtId", "-1"))] = code
        except ValueError:
            continue
    out = {}
    xfs = root.find(X + "cellXfs")
    if xfs is None:
        return out
    for i, xf in enumerate(xfs.findall(X + "xf")):
        try:
            code = codes.get(int(xf.get("numFmtId", "0")))
        except ValueError:
            continue
        if code and _has_literal(code):
            out[i] = code
    return out


def _sections(code: str) -> list[str]:
    out, cur, q, esc = [], [], False, False
    for ch in code:
        if esc:
            cur.append(ch)
            esc = False
        elif ch == "\\" and not q:
            cur.append(ch)
            esc = True
        elif ch == '"':
            cur.append(ch)
            q = not q
        elif ch == ";" and not q:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def _tokens(section: str) -> list[tuple[str, str]]:
    """(kind, text): lit (shown as is), text (@), digit (0 # ?), dot, comma, pct, other."""
    toks: list[tuple[str, str]] = []
    i, n = 0, len(section)
    while i < n:
        ch = section[i]
        if ch == '"':
            j = section.find('"', i + 1)
            j = n if j < 0 else j
            toks.append(("lit", section[i + 1:j]))
            i = j + 1
        elif ch == "\\" and i + 1 < n:
            toks.append(("lit", section[i + 1]))
            i += 2
        elif ch == "[":
            j = section.find("]", i)
            inner = section[i + 1:(n if j < 0 else j)]
            if inner.startswith("$"):
                # [$¥-804], [$139-804]: a currency symbol or any text, shown as typed.
                toks.append(("lit", inner[1:].split("-", 1)[0]))
            i = n if j < 0 else j + 1  # [Red], [>100], [DBNum1]: not shown
        elif section.startswith("General", i) or section.startswith("G/通用格式", i):
            toks.append(("general", ""))
            i += 7 if section.startswith("General", i) else 6
        elif ch in "_*":
            i += 2  # _x: a space as wide as x; *x: fill with x
        elif ch == "@":
            toks.append(("text", ch))
            i += 1
        elif ch in "0#?":
            toks.append(("digit", ch))
            i += 1
        elif ch == ".":
            toks.append(("dot", ch))
            i += 1
        elif ch == ",":
            toks.append(("comma", ch))
            i += 1
        elif ch == "%":
            toks.append(("pct", ch))
            i += 1
        elif ch.lower() in "ymdhse" or ch in "/":
            toks.append(("other", ch))  # dates, times, fractions, exponents
            i += 1
        else:
            toks.append(("lit", ch))  # $ - + ( ) : space and characters shown as typed
            i += 1
    return toks


def _has_literal(code: str) -> bool:
    return any(k == "lit" and t.strip() for s in _sections(code) for k, t in _tokens(s))


_CONDITION = re.compile(r"\[(<=|>=|<>|=|<|>)\s*(-?\d+(?:\.\d*)?)\]")


def _condition(section: str):
    m = _CONDITION.search(section.replace('\\[', ''))
    return None if m is None else (m.group(1), float(m.group(2)))


def _holds(cond, v: float) -> bool:
    op, x = cond
    return {"<": v < x, ">": v > x, "=": v == x, "<=": v <= x, ">=": v >= x, "<>": v != x}[op]


def _pick(secs: list[str], value: float) -> tuple[str, bool] | None:
    """The section a number is shown in, and whether its sign is dropped: by sign, or by the
    sections' conditions (``[>99999999]0;"139"00000000``)."""
    nums = secs[:3]
    conds = [_condition(s) for s in nums]
    if any(conds):
        for sec, cond in zip(nums, conds):
            if cond is None or _holds(cond, value):
                return sec, False
        return None  # no section takes it: Excel shows ####
    if value < 0 and len(secs) > 1:
        return secs[1], True
    if value == 0 and len(secs) > 2:
        return secs[2], False
    return secs[0], False


def display(code: str, value) -> str | None:
    """``value`` as the format ``code`` shows it, or None when the format is not one of
    literals around text or a plain number (a date, say): then the literal parts are
    placed around the stored value (``around``)."""
    secs = _sections(code)
    if isinstance(value, str):
        sec = secs[3] if len(secs) > 3 else next((s for s in secs if "@" in s), None)
        if sec is None:
            return None
        return "".join(value if k == "text" else t if k == "lit" else "" for k, t in _tokens(sec))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    picked = _pick(secs, value)
    if picked is None:
        return None
    sec, unsigned = picked
    return _render(_tokens(sec), abs(value) if unsigned else value)


def renderings(code: str, value) -> list[str]:
    """``value`` under every section of ``code`` that has literal text, whatever the sign
    and the conditions say: a condition (``[>=1000]``) or a sign a reader's value meets
    picks one of them, and all are scanned."""
    out = []
    for sec in _sections(code):
        toks = _tokens(sec)
        if not any(k == "lit" and t.strip() for k, t in toks):
            continue
        if isinstance(value, str):
            if any(k == "text" for k, _ in toks):
                out.append("".join(value if k == "text" else t if k == "lit" else "" for k, t in toks))
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        shown = _render(toks, abs(value))
        if shown is not None and shown not in out:
            out.append(shown)
    return out


def _render(toks: list[tuple[str, str]], value: float) -> str | None:
    """A number under one section's tokens (None: dates, times, fractions, exponents)."""
    if any(k == "other" for k, _ in toks):
        return None
    from .formulas import num_text
    if any(k in ("text", "general") for k, _ in toks) and not any(k == "digit" for k, _ in toks):
        return "".join(num_text(float(value)) if k in ("text", "general") else t if k == "lit"
                       else "" for k, t in toks)
    v = value
    if any(k == "pct" for k, _ in toks):
        v *= 100
    dot = next((i for i, (k, _) in enumerate(toks) if k == "dot"), None)
    int_slots = [i for i, (k, _) in enumerate(toks) if k == "digit" and (dot is None or i < dot)]
    dec_slots = [i for i, (k, _) in enumerate(toks) if k == "digit" and dot is not None and i > dot]
    if not int_slots and not dec_slots:
        return "".join(t for k, t in toks if k == "lit")
    s = f"{abs(v):.{len(dec_slots)}f}"
    ip, _, dp = s.partition(".")
    ip = ip.lstrip("0")
    need = sum(1 for i in int_slots if toks[i][1] == "0")
    ip = ip.rjust(need, "0")
    # Integer digits fill the placeholders right to left; extra digits go to the first one.
    fill: dict[int, str] = {}
    rest = ip
    for i in reversed(int_slots):
        if not rest:
            fill[i] = "" if toks[i][1] == "#" else " " if toks[i][1] == "?" else "0"
            continue
        fill[i], rest = rest[-1], rest[:-1]
    if int_slots and rest:
        fill[int_slots[0]] = rest + fill[int_slots[0]]
    for i, d in zip(dec_slots, dp):
        fill[i] = d
    out = ["-" if v < 0 else ""]
    for i, (k, t) in enumerate(toks):
        out.append(fill.get(i, t if k in ("lit", "dot") else ""))
    return "".join(out)


def around(code: str, stored: str) -> str:
    """The literal parts of a format placed around the stored value (the fallback)."""
    toks = _tokens(_sections(code)[0])
    first = next((i for i, (k, _) in enumerate(toks) if k != "lit"), len(toks))
    last = max((i for i, (k, _) in enumerate(toks) if k != "lit"), default=len(toks) - 1)
    return ("".join(t for k, t in toks[:first] if k == "lit") + stored
            + "".join(t for k, t in toks[last + 1:] if k == "lit"))


# -- the workbook ---------------------------------------------------------------------------

def sheet_parts(pkg) -> list[tuple[str, str]]:
    """(sheet name, part name) in workbook order."""
    wb = pkg.xml("xl/workbook.xml")
    rels_name = "xl/_rels/workbook.xml.rels"
    targets = {}
    if rels_name in pkg.names:
        for rel in pkg.xml(rels_name).iter(REL + "Relationship"):
            target = rel.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join("xl", target))
            targets[rel.get("Id")] = part
    out = []
    for sh in wb.iter(X + "sheet"):
        part = targets.get(sh.get(R + "id"))
        if part:
            out.append((sh.get("name", ""), part))
    return out


def recalculates(pkg) -> bool:
    """Whether Excel and WPS recalculate every formula on open (``<calcPr fullCalcOnLoad="1"/>``,
    ``forceFullCalc``): then the results cached in the file are not what a reader sees."""
    if "xl/workbook.xml" not in pkg.names:
        return False
    for cp in pkg.xml("xl/workbook.xml").iter(X + "calcPr"):
        if any((cp.get(a) or "").strip().lower() in ("1", "true", "on")
               for a in ("fullCalcOnLoad", "forceFullCalc")):
            return True
    return False


def read(pkg) -> dict[str, SheetExtras]:
    """Per sheet name: its cells' formats with literal text and their formulas."""
    formats = _literal_formats(pkg)
    recalc = recalculates(pkg)
    out: dict[str, SheetExtras] = {}
    for name, part in sheet_parts(pkg):
        if part not in pkg.names:
            continue
        data = pkg.read(part)
        has_formula = _FORMULA.search(data) is not None
        if not has_formula and not (formats and b" s=" in data):
            continue
        out[name] = _sheet(data, formats, part, recalc)
    return out


def _source(f, row: int, col: int, shared: dict) -> str | None:
    """A cell's formula text; a shared formula's other cells hold only its index and read as
    its first cell's text with relative references moved (``formulas.shift``)."""
    from .formulas import shift
    text = f.text or ""
    if f.get("t") == "shared":
        si = f.get("si")
        if text.strip():
            shared[si] = (text, row, col)
        elif si in shared:
            base, r0, c0 = shared[si]
            return shift(base, row - r0, col - c0)
        else:
            return None
    if f.get("t") == "dataTable":
        return ""  # a what-if table: computed by Excel, not here
    return text.lstrip("=") if text.strip() else None


def _sheet(data: bytes, formats: dict[int, str], part: str, recalc: bool = False) -> SheetExtras:
    ex = SheetExtras()
    shared: dict = {}
    row, col = -1, -1
    try:
        for event, el in ET.iterparse(io.BytesIO(data), events=("start", "end")):
            tag = el.tag
            if event == "start":
                if tag == X + "row":
                    r = el.get("r")
                    row = int(r) - 1 if r and r.isdigit() else row + 1
                    col = -1
                elif tag == X + "c":
                    m = _REF.fullmatch(el.get("r") or "")
                    if m:
                        col, row = _col(m.group(1)), int(m.group(2)) - 1
                    else:
                        col += 1
                continue
            if tag != X + "c":
                if tag == X + "row":
                    el.clear()
                continue
            s = el.get("s")
            if s and s.isdigit() and int(s) in formats:
                ex.formats[(row, col)] = formats[int(s)]
            f = el.find(X + "f")
            if f is not None:
                text = _source(f, row, col, shared)
                v = el.find(X + "v")
                cached = v is not None and (v.text or "") != ""
                if not cached:
                    is_ = el.find(X + "is")
                    cached = is_ is not None and "".join(is_.itertext()) != ""
                # No text (a shared formula whose first cell is missing): its value is unknown.
                ex.formulas[(row, col)] = text if text is not None else ""
                # ca="1": this cell is calculated on every open, as with fullCalcOnLoad.
                if cached and not recalc and f.get("ca") not in ("1", "true"):
                    ex.trusted.add((row, col))
            el.clear()
    except Exception as exc:  # noqa: BLE001 - ParseError, defusedxml's refusals
        raise Unreadable(f"{part} 不是有效的 XML：{exc}", f"{part} is not valid XML: {exc}")
    return ex

