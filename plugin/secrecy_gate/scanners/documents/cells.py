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
  formula and no cached value: ``="620602"&"198503151239"`` shows an ID
  number once opened, and calamine reads nothing.  The formula's string
  literals, the concatenations of adjacent literals and, when the whole
  formula is built from literals (``&``, ``CONCATENATE``, ``CONCAT``,
  ``LOWER`` …), its value are scanned.  A formula with no cached value whose
  result cannot be computed from literals cannot be read exactly: the file is
  unreadable (withheld unless acknowledged).

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
    formulas: dict[tuple[int, int], list[str]] = field(default_factory=dict)  # texts from a formula
    uncomputed: list[str] = field(default_factory=list)  # cell refs: formula, no value, not computable


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
            i = n if j < 0 else j + 1  # [Red], [>100], [$-804]: not shown
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
    neg = value < 0
    sec = secs[0]
    if neg and len(secs) > 1:
        sec = secs[1]
    elif value == 0 and len(secs) > 2:
        sec = secs[2]
    toks = _tokens(sec)
    if any(k == "other" for k, _ in toks):
        return None
    v = abs(value) if (neg and len(secs) > 1) else value
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


# -- formulas -----------------------------------------------------------------------------

_TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"]|"")*")|(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)'
                    r'|(?P<func>[A-Za-z_][A-Za-z0-9_.]*)\s*\(|(?P<op><>|<=|>=|[&+\-*/^=<>(),;:%!])'
                    r'|(?P<name>\$?[A-Za-z_\'][\w.$\'!]*)|(?P<other>\S))')
_TEXT_FUNCS = {"CONCATENATE", "CONCAT", "_XLFN.CONCAT", "LOWER", "UPPER", "TRIM", "T", "CLEAN"}


class _Formula:
    """A tiny evaluator: literals, ``&``, parentheses and text functions of literals.  Any
    other part (a cell reference, another function) makes its value unknown (None)."""

    def __init__(self, text: str):
        self.toks = []
        for m in _TOKEN.finditer(text):
            kind = m.lastgroup
            self.toks.append((kind, m.group(kind)))
        self.i = 0
        self.values: list[str] = []   # every text value computed, literals included

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self):
        t = self.peek()
        self.i += 1
        return t

    def parse(self):
        v = self.compare()
        return v if self.i >= len(self.toks) else None

    def compare(self):
        v = self.concat()
        while self.peek()[1] in ("=", "<>", "<", ">", "<=", ">="):
            self.take()
            self.concat()
            v = None
        return v

    def concat(self):
        v = self.additive()
        parts = [v]
        while self.peek()[1] == "&":
            self.take()
            parts.append(self.additive())
        if len(parts) == 1:
            return v
        # Adjacent computed parts are joined even when another part is unknown.
        run: list[str] = []
        for p in parts + [None]:
            if p is None:
                if len(run) > 1:
                    self.values.append("".join(run))
                run = []
            else:
                run.append(_as_text(p))
        return None if any(p is None for p in parts) else "".join(_as_text(p) for p in parts)

    def additive(self):
        v = self.unary()
        while self.peek()[1] in ("+", "-", "*", "/", "^"):
            self.take()
            self.unary()
            v = None
        while self.peek()[1] == "%":
            self.take()
            v = None
        return v

    def unary(self):
        if self.peek()[1] in ("-", "+"):
            self.take()
            self.unary()
            return None
        return self.primary()

    def primary(self):
        kind, text = self.take()
        if kind == "str":
            s = text[1:-1].replace('""', '"')
            self.values.append(s)
            return s
        if kind == "num":
            return float(text) if "." in text or "e" in text.lower() else int(text)
        if kind == "op" and text == "(":
            v = self.compare()
            if self.peek()[1] == ")":
                self.take()
            return v
        if kind == "func":
            name = text.upper()
            args = []
            while self.peek()[0] is not None and self.peek()[1] != ")":
                if self.peek()[1] in (",", ";"):
                    self.take()
                    args.append(None)  # an empty argument
                    continue
                args.append(self.compare())
                if self.peek()[1] in (",", ";"):
                    self.take()
            if self.peek()[1] == ")":
                self.take()
            if name not in _TEXT_FUNCS or any(a is None for a in args):
                known = [_as_text(a) for a in args if a is not None]
                if len(known) > 1:
                    self.values.append("".join(known))
                return None
            texts = [_as_text(a) for a in args]
            joined = "".join(texts)
            v = (joined.lower() if name == "LOWER" else joined.upper() if name == "UPPER"
                 else " ".join(joined.split()) if name == "TRIM" else joined)
            self.values.append(v)
            return v
        return None  # a reference, a name, an error value: unknown


def _as_text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def formula_texts(formula: str) -> tuple[list[str], str | None]:
    """(texts to scan, the value when the whole formula is built from literals)."""
    f = _Formula(formula.lstrip("="))
    try:
        value = f.parse()
    except (IndexError, ValueError, RecursionError):
        value = None
    texts = []
    for v in f.values + ([_as_text(value)] if value is not None else []):
        if v.strip() and v not in texts:
            texts.append(v)
    # The order matters little; the longest first reads best in a finding.
    texts.sort(key=len, reverse=True)
    return texts, (None if value is None else _as_text(value))


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


def read(pkg) -> dict[str, SheetExtras]:
    """Per sheet name: its cells' formats with literal text and their formulas."""
    formats = _literal_formats(pkg)
    out: dict[str, SheetExtras] = {}
    for name, part in sheet_parts(pkg):
        if part not in pkg.names:
            continue
        data = pkg.read(part)
        has_formula = _FORMULA.search(data) is not None
        if not has_formula and not (formats and b" s=" in data):
            continue
        out[name] = _sheet(data, formats, part)
    return out


def _sheet(data: bytes, formats: dict[int, str], part: str) -> SheetExtras:
    ex = SheetExtras()
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
                v = el.find(X + "v")
                cached = v is not None and (v.text or "") != ""
                if not cached:
                    is_ = el.find(X + "is")
                    cached = is_ is not None and "".join(is_.itertext()) != ""
                texts, value = formula_texts(f.text or "") if (f.text or "").strip() else ([], None)
                if texts:
                    ex.formulas[(row, col)] = texts
                if not cached and value is None:
                    ref = f"{_colname(col)}{row + 1}"
                    ex.uncomputed.append(ref)
            el.clear()
    except Exception as exc:  # noqa: BLE001 - ParseError, defusedxml's refusals
        raise Unreadable(f"{part} 不是有效的 XML：{exc}", f"{part} is not valid XML: {exc}")
    return ex


def _colname(n: int) -> str:
    from .sheets import column
    return column(n)
