"""What a spreadsheet formula shows once Excel or WPS calculates it: a small evaluator.

A file's cached formula result is what the program that wrote it put there,
not what a reader sees: XlsxWriter writes ``0`` for every formula together
with ``<calcPr fullCalcOnLoad="1"/>``, and Excel and WPS recalculate on open.
``=SUBSTITUTE("620602A19850315A1239","A","")`` or ``=A2&B2`` (the halves in
hidden cells) then shows an ID number that no stored text holds; a CSV cell
``="139"&"12345678"`` shows a mobile number once Excel opens the file.

``evaluate`` computes a formula from its literals and the values of the
cells it refers to (same sheet, other sheets, ``$A$2``, ranges), with the
text functions used to build numbers (``&``, ``CONCAT(ENATE)``,
``SUBSTITUTE``, ``TEXT`` with the number-format renderer of ``cells.py``,
``MID``, ``LEFT``, ``RIGHT``, ``REPLACE``, ``REPT``, ``CHAR``, ``VALUE`` …)
and the ordinary arithmetic and aggregates (``SUM``, ``AVERAGE`` …) so that
ordinary workbooks publish.  Anything else — a function not listed, a
defined name, an external link — has an unknown value (None): the caller
decides whether the cached value may stand or the file is unreadable.
Besides the value, every string literal and every text computed on the way
is kept to be scanned (a branch of an ``IF`` not taken still holds text).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass, field


class Err(str):
    """An Excel error value (``#VALUE!``): shown as such, holds nothing."""


class Opaque:
    """A value the file does not fix and that carries no text (``TODAY()``, ``RAND()``)."""


OPAQUE = Opaque()
MAX_RANGE = 2_000_000
MAX_TEXT = 32_767  # Excel's longest cell text

_SHEET = r"(?:'(?:[^']|'')+'|[^\s!'\"(),;:&+\-*/^=<>%{}\[\]#]+)!"
_CELL = r"\$?[A-Za-z]{1,3}\$?[0-9]+"
_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"]|"")*")'
    rf"|(?P<ref>(?:{_SHEET})?{_CELL}(?::{_CELL})?)(?![\w.(!])"
    r"|(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<func>[A-Za-z_\u4e00-\u9fff][\w.]*)\s*\("
    r"|(?P<err>#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A))"
    r"|(?P<op><>|<=|>=|[&+\-*/^=<>(),;%{}])"
    r'|(?P<name>[^\s"(),;&+\-*/^=<>%{}]+)'
    r"|(?P<other>\S))")
_CELLREF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]+)")
_PLAIN_NAME = re.compile(r"[A-Za-z_\\\u4e00-\u9fff][\w.]*")


class Syntax(Exception):
    """Not a formula Excel would accept."""


@dataclass
class Result:
    value: object            # str, float, bool, Err, OPAQUE; None: unknown
    texts: list[str] = field(default_factory=list)  # literals and texts computed on the way


def col_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def num_text(v: float) -> str:
    """A number as ``&`` and the text functions turn it into text (General, 15 digits)."""
    if v == 0:
        return "0"
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    s = f"{v:.15g}"
    if "e" in s:
        m, _, e = s.partition("e")
        return f"{m}E{'+' if int(e) >= 0 else '-'}{abs(int(e)):02d}"
    return s


def as_text(v) -> str | None:
    if v is None or isinstance(v, Opaque):
        return None
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return num_text(float(v))
    return str(v)


_NUMBER = re.compile(r"\s*[+-]?(?:\d[\d,]*\.?\d*|\.\d+)(?:[eE][+-]?\d+)?%?\s*")


def as_number(v):
    """Excel's coercion of an argument to a number: None unknown, Err when it is not one."""
    if v is None or isinstance(v, Opaque):
        return None
    if isinstance(v, Err):
        return v
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    s = str(v)
    if s == "":
        return 0.0
    if _NUMBER.fullmatch(s):
        t = s.strip().replace(",", "")
        pct = t.endswith("%")
        try:
            n = float(t.rstrip("%"))
        except ValueError:
            return Err("#VALUE!")
        return n / 100 if pct else n
    return Err("#VALUE!")


def _round15(v: float) -> float:
    """Excel keeps 15 significant digits."""
    if v == 0 or not math.isfinite(v):
        return v
    return float(f"{v:.15g}")


class Range(list):
    """The values of a range, row by row."""


class Evaluator:
    """One formula of one cell.  ``resolver.cell(sheet, r, c)`` gives a referred cell's value
    (None: unknown); ``resolver.extent(sheet)`` its (rows, columns) of data or None;
    ``resolver.sheet(name)`` the sheet's real name or None.  ``csv``: no defined names exist,
    a name is ``#NAME?``."""

    def __init__(self, text: str, resolver, here: tuple, csv: bool = False):
        self.toks: list[tuple[str, str]] = []
        for m in _TOKEN.finditer(text):
            self.toks.append((m.lastgroup, m.group(m.lastgroup)))
        self.i = 0
        self.resolver = resolver
        self.sheet, self.row, self.col = here
        self.csv = csv
        self.texts: list[str] = []

    # -- tokens
    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self):
        t = self.peek()
        self.i += 1
        return t

    def expect(self, op: str) -> None:
        if self.take()[1] != op:
            raise Syntax(op)

    def run(self):
        if not self.toks:
            raise Syntax("empty")
        v = self.compare()
        if self.i < len(self.toks):
            raise Syntax("trailing")
        return v

    # -- grammar (Excel's precedence: comparison < & < + - < * / < ^ < sign < %)
    def compare(self):
        v = self.concat()
        while self.peek()[1] in ("=", "<>", "<", ">", "<=", ">="):
            op = self.take()[1]
            v = _compare(op, v, self.concat())
        return v

    def concat(self):
        parts = [self.additive()]
        while self.peek()[1] == "&":
            self.take()
            parts.append(self.additive())
        if len(parts) == 1:
            return parts[0]
        texts = [None if isinstance(p, Range) else as_text(p) for p in parts]
        # Adjacent known parts are joined and kept even when another part is unknown.
        run: list[str] = []
        for t in texts + [None]:
            if t is None:
                if len(run) > 1:
                    self.keep("".join(run))
                run = []
            else:
                run.append(t)
        err = next((p for p in parts if isinstance(p, Err)), None)
        if err is not None:
            return err
        if any(t is None for t in texts):
            return None
        return self.keep("".join(texts))

    def additive(self):
        v = self.multiplicative()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            v = _arith(op, v, self.multiplicative())
        return v

    def multiplicative(self):
        v = self.power()
        while self.peek()[1] in ("*", "/"):
            op = self.take()[1]
            v = _arith(op, v, self.power())
        return v

    def power(self):
        v = self.unary()
        while self.peek()[1] == "^":
            self.take()
            v = _arith("^", v, self.unary())
        return v

    def unary(self):
        if self.peek()[1] in ("-", "+"):
            op = self.take()[1]
            v = self.unary()
            return v if op == "+" else _arith("-", 0.0, v)
        v = self.primary()
        while self.peek()[1] == "%":
            self.take()
            v = _arith("/", v, 100.0)
        return v

    def primary(self):
        kind, text = self.take()
        if kind == "str":
            return self.keep(text[1:-1].replace('""', '"'))
        if kind == "num":
            return float(text)
        if kind == "err":
            return Err(text)
        if kind == "ref":
            return self.reference(text)
        if kind == "op" and text == "(":
            v = self.compare()
            self.expect(")")
            return v
        if kind == "op" and text == "{":
            # An array constant: its literals are kept, its value is not computed.
            depth = 1
            while depth:
                k, t = self.take()
                if k is None:
                    raise Syntax("{")
                depth += (t == "{") - (t == "}")
                if k == "str":
                    self.keep(t[1:-1].replace('""', '"'))
            return None
        if kind == "func":
            return self.function(text)
        if kind == "name":
            up = text.upper()
            if up in ("TRUE", "FALSE"):
                return up == "TRUE"
            if self.csv and _PLAIN_NAME.fullmatch(text):
                return Err("#NAME?")
            return None  # a defined name, a table reference, an external link: unknown
        raise Syntax(text or "end")

    def keep(self, s):
        if isinstance(s, str) and s.strip() and s not in self.texts and len(self.texts) < 10_000:
            self.texts.append(s)
        return s

    # -- references
    def reference(self, text: str):
        sheet = self.sheet
        if "!" in text:
            raw, _, text = text.rpartition("!")
            if raw.startswith("'"):
                raw = raw[1:-1].replace("''", "'")
            sheet = self.resolver.sheet(raw)
            if sheet is None:
                return None  # no such sheet (or a link to another workbook): unknown
        ends = [_CELLREF.fullmatch(p) for p in text.split(":")]
        if any(m is None for m in ends):
            return None
        (r1, c1), (r2, c2) = [(int(m.group(2)) - 1, col_number(m.group(1))) for m in (ends[0], ends[-1])]
        if len(ends) == 1:
            return self.resolver.cell(sheet, r1, c1)
        r1, r2 = sorted((r1, r2))
        c1, c2 = sorted((c1, c2))
        ext = self.resolver.extent(sheet)
        if ext is None:
            return None
        r2, c2 = min(r2, ext[0] - 1), min(c2, ext[1] - 1)  # beyond the data every cell is empty
        if (r2 - r1 + 1) * (c2 - c1 + 1) > MAX_RANGE:
            return None
        out = Range()
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                out.append(self.resolver.cell(sheet, r, c))
        return out

    # -- functions
    def function(self, name: str):
        args = []
        if self.peek()[1] == ")":
            self.take()
        else:
            while True:
                if self.peek()[1] in (",", ";", ")"):
                    args.append("")  # an empty argument
                else:
                    args.append(self.compare())
                k, t = self.take()
                if t == ")":
                    break
                if t not in (",", ";"):
                    raise Syntax(t or "end")
        up = name.upper()
        for prefix in ("_XLFN._XLWS.", "_XLFN.", "_XLWS."):
            if up.startswith(prefix):
                up = up[len(prefix):]
        fn = _FUNCS.get(up)
        if fn is None:
            known = [as_text(a) for a in args if not isinstance(a, Range)]
            known = [k for k in known if k]
            if len(known) > 1:
                self.keep("".join(known))
            return None
        try:
            v = fn(self, args)
        except (TypeError, IndexError):
            return Err("#VALUE!")  # a wrong number of arguments: Excel refuses, shows no text
        except (ValueError, OverflowError, ZeroDivisionError):
            return Err("#NUM!")
        if isinstance(v, str) and not isinstance(v, Err):
            if len(v) > MAX_TEXT:
                return Err("#VALUE!")
            self.keep(v)
        if isinstance(v, float):
            v = _round15(v)
        return v


def _compare(op, a, b):
    if a is None or b is None or isinstance(a, (Opaque, Range)) or isinstance(b, (Opaque, Range)):
        return None
    if isinstance(a, Err):
        return a
    if isinstance(b, Err):
        return b

    def key(v):
        if isinstance(v, bool):
            return (2, v)
        if isinstance(v, (int, float)):
            return (0, float(v))
        return (1, str(v).lower())
    ka, kb = key(a), key(b)
    return {"=": ka == kb, "<>": ka != kb, "<": ka < kb, ">": ka > kb,
            "<=": ka <= kb, ">=": ka >= kb}[op]


def _arith(op, a, b):
    if isinstance(a, Range) or isinstance(b, Range):
        return None
    x, y = as_number(a), as_number(b)
    if x is None or y is None:
        return None
    if isinstance(x, Err):
        return x
    if isinstance(y, Err):
        return y
    try:
        if op == "+":
            v = x + y
        elif op == "-":
            v = x - y
        elif op == "*":
            v = x * y
        elif op == "/":
            if y == 0:
                return Err("#DIV/0!")
            v = x / y
        else:
            v = x ** y
            if isinstance(v, complex):
                return Err("#NUM!")
    except (OverflowError, ZeroDivisionError):
        return Err("#NUM!")
    return _round15(float(v)) if math.isfinite(v) else Err("#NUM!")


# -- the functions --------------------------------------------------------------------------

class _Unknown(Exception):
    pass


def _scalar(v):
    if isinstance(v, Range) or v is None or isinstance(v, Opaque):
        raise _Unknown
    if isinstance(v, Err):
        raise _Err(v)
    return v


class _Err(Exception):
    def __init__(self, err):
        self.err = err


def _t(v) -> str:
    return as_text(_scalar(v))


def _n(v) -> float:
    n = as_number(_scalar(v))
    if isinstance(n, Err):
        raise _Err(n)
    return n


def _i(v) -> int:
    return int(math.floor(_n(v)))


def _wrap(fn):
    def call(ev, args):
        try:
            return fn(ev, args)
        except _Unknown:
            return None
        except _Err as e:
            return e.err
    return call


def _flat(args, numbers_only_in_ranges=True):
    """Arguments of an aggregate: numbers of ranges (text and empty cells skipped), direct
    arguments coerced."""
    out = []
    for a in args:
        if isinstance(a, Range):
            for v in a:
                if v is None or isinstance(v, Opaque):
                    raise _Unknown
                if isinstance(v, Err):
                    raise _Err(v)
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    out.append(float(v))
        else:
            out.append(_n(a))
    return out


def _texts(args):
    out = []
    for a in args:
        if isinstance(a, Range):
            for v in a:
                out.append(_t(v))
        else:
            out.append(_t(a))
    return out


def _char(n: int) -> str:
    if 1 <= n < 128:
        return chr(n)
    if 0x8140 <= n <= 0xFEFE:  # Excel and WPS in Chinese: a GBK double-byte code
        try:
            return bytes([n >> 8, n & 0xFF]).decode("gbk")
        except UnicodeDecodeError:
            raise _Unknown
    raise _Unknown  # the code page decides: not known here


def _text_fn(ev, a):
    from .cells import display, renderings
    fmt = _t(a[1])
    v = _scalar(a[0])
    n = as_number(v) if not isinstance(v, bool) else None
    value = v if (n is None or isinstance(n, Err)) else n
    for s in renderings(fmt, value):
        ev.keep(s)
    shown = display(fmt, value)
    if shown is None:
        raise _Unknown  # a date or time format: not rendered here
    return shown


def _substitute(ev, a):
    text, old, new = _t(a[0]), _t(a[1]), _t(a[2])
    if len(a) > 3 and a[3] != "":
        k = _i(a[3])
        if k < 1:
            raise _Err(Err("#VALUE!"))
        if not old:
            return text
        pos = -1
        for _ in range(k):
            pos = text.find(old, pos + 1)
            if pos < 0:
                return text
        return text[:pos] + new + text[pos + len(old):]
    return text.replace(old, new) if old else text


def _mid(ev, a):
    text, start, n = _t(a[0]), _i(a[1]), _i(a[2])
    if start < 1 or n < 0:
        raise _Err(Err("#VALUE!"))
    return text[start - 1:start - 1 + n]


def _left(ev, a):
    n = _i(a[1]) if len(a) > 1 and a[1] != "" else 1
    if n < 0:
        raise _Err(Err("#VALUE!"))
    return _t(a[0])[:n]


def _right(ev, a):
    n = _i(a[1]) if len(a) > 1 and a[1] != "" else 1
    if n < 0:
        raise _Err(Err("#VALUE!"))
    t = _t(a[0])
    return t[len(t) - n:] if n else ""


def _replace(ev, a):
    text, start, n, new = _t(a[0]), _i(a[1]), _i(a[2]), _t(a[3])
    if start < 1 or n < 0:
        raise _Err(Err("#VALUE!"))
    return text[:start - 1] + new + text[start - 1 + n:]


def _rept(ev, a):
    text, n = _t(a[0]), _i(a[1])
    if n < 0 or len(text) * n > MAX_TEXT:
        raise _Err(Err("#VALUE!"))
    return text * n


def _value(ev, a):
    v = _scalar(a[0])
    n = as_number(v)
    return n


def _find(ev, a, fold=False):
    sub, text = _t(a[0]), _t(a[1])
    start = _i(a[2]) if len(a) > 2 and a[2] != "" else 1
    if fold:
        sub, text = sub.lower(), text.lower()
    pos = text.find(sub, start - 1) if start >= 1 else -1
    if pos < 0:
        raise _Err(Err("#VALUE!"))
    return float(pos + 1)


def _if(ev, a):
    cond = _scalar(a[0])
    n = as_number(cond)
    if isinstance(n, Err):
        raise _Err(n)
    chosen = (a[1] if len(a) > 1 else True) if n else (a[2] if len(a) > 2 else False)
    return _scalar(chosen) if chosen != "" else 0.0


def _iferror(ev, a):
    v = a[0]
    if isinstance(v, Err):
        return _scalar(a[1])
    return _scalar(v)


def _round(ev, a, how="round"):
    x, d = _n(a[0]), _i(a[1]) if len(a) > 1 else 0
    f = 10.0 ** d
    y = abs(x) * f
    y = math.floor(y + 0.5) if how == "round" else math.ceil(y) if how == "up" else math.floor(y)
    return math.copysign(y / f, x) if x else 0.0


def _today(ev, a):
    return OPAQUE


def _row(ev, a, col=False):
    if not a:
        return float((ev.col if col else ev.row) + 1)
    raise _Unknown


def _textjoin(ev, a):
    delim, skip = _t(a[0]), bool(_n(a[1]))
    parts = _texts(a[2:])
    return delim.join(p for p in parts if p or not skip)


def _average(ev, a):
    xs = _flat(a)
    if not xs:
        raise _Err(Err("#DIV/0!"))
    return sum(xs) / len(xs)


def _count(ev, a):
    n = 0
    for x in a:
        vals = x if isinstance(x, Range) else [x]
        for v in vals:
            if v is None or isinstance(v, Opaque):
                raise _Unknown
            n += isinstance(v, (int, float)) and not isinstance(v, bool)
    return float(n)


def _counta(ev, a):
    n = 0
    for x in a:
        vals = x if isinstance(x, Range) else [x]
        for v in vals:
            if v is None or isinstance(v, Opaque):
                raise _Unknown
            n += v != ""
    return float(n)


def _product(ev, a):
    p = 1.0
    for x in _flat(a):
        p *= x
    return p


def _mod(ev, a):
    x, y = _n(a[0]), _n(a[1])
    if y == 0:
        raise _Err(Err("#DIV/0!"))
    return x - y * math.floor(x / y)


_FUNCS = {name: _wrap(fn) for name, fn in {
    "SUBSTITUTE": _substitute,
    "TEXT": _text_fn,
    "MID": _mid, "MIDB": _mid,
    "LEFT": _left, "LEFTB": _left,
    "RIGHT": _right, "RIGHTB": _right,
    "REPLACE": _replace,
    "REPT": _rept,
    "CHAR": lambda ev, a: _char(_i(a[0])),
    "UNICHAR": lambda ev, a: chr(_i(a[0])),
    "VALUE": _value,
    "NUMBERVALUE": _value,
    "CONCATENATE": lambda ev, a: "".join(_t(x) for x in a),
    "CONCAT": lambda ev, a: "".join(_texts(a)),
    "TEXTJOIN": _textjoin,
    "LOWER": lambda ev, a: _t(a[0]).lower(),
    "UPPER": lambda ev, a: _t(a[0]).upper(),
    "PROPER": lambda ev, a: _t(a[0]).title(),
    "TRIM": lambda ev, a: re.sub(" +", " ", _t(a[0]).strip(" ")),
    "CLEAN": lambda ev, a: "".join(ch for ch in _t(a[0]) if ord(ch) >= 32),
    "T": lambda ev, a: (lambda v: v if isinstance(v, str) else "")(_scalar(a[0])),
    "N": lambda ev, a: (lambda v: float(v) if isinstance(v, (int, float)) else 0.0)(_scalar(a[0])),
    "LEN": lambda ev, a: float(len(_t(a[0]))),
    "FIND": _find,
    "SEARCH": lambda ev, a: _find(ev, a, fold=True),
    "EXACT": lambda ev, a: _t(a[0]) == _t(a[1]),
    "IF": _if,
    "IFERROR": _iferror,
    "AND": lambda ev, a: all(_flat(a)),
    "OR": lambda ev, a: any(_flat(a)),
    "NOT": lambda ev, a: not _n(a[0]),
    "SUM": lambda ev, a: sum(_flat(a)),
    "AVERAGE": _average,
    "MIN": lambda ev, a: min(_flat(a), default=0.0),
    "MAX": lambda ev, a: max(_flat(a), default=0.0),
    "COUNT": _count,
    "COUNTA": _counta,
    "PRODUCT": _product,
    "ROUND": _round,
    "ROUNDUP": lambda ev, a: _round(ev, a, "up"),
    "ROUNDDOWN": lambda ev, a: _round(ev, a, "down"),
    "INT": lambda ev, a: float(math.floor(_n(a[0]))),
    "ABS": lambda ev, a: abs(_n(a[0])),
    "MOD": _mod,
    "ROW": _row,
    "COLUMN": lambda ev, a: _row(ev, a, col=True),
    "TODAY": _today, "NOW": _today, "RAND": _today,
}.items()}


def evaluate(text: str, resolver, here: tuple, csv: bool = False) -> Result:
    """The value of formula ``text`` (without its ``=``) in cell ``here`` = (sheet, row, col);
    raises ``Syntax`` when Excel would not take it for a formula."""
    ev = Evaluator(text, resolver, here, csv)
    try:
        v = ev.run()
    except RecursionError:
        v = None
    if isinstance(v, Range):
        v = None  # an array result (spilled): not computed here
    if isinstance(v, float):
        v = _round15(v)
    if isinstance(v, str) and not isinstance(v, Err):
        ev.keep(v)
    return Result(v, ev.texts)


def serial(v):
    """A date or time as the serial number Excel stores (1900 date system)."""
    if isinstance(v, _dt.datetime):
        d = v - _dt.datetime(1899, 12, 30)
        return d.days + d.seconds / 86400
    if isinstance(v, _dt.date):
        return float((v - _dt.date(1899, 12, 30)).days)
    if isinstance(v, _dt.time):
        return (v.hour * 3600 + v.minute * 60 + v.second) / 86400
    if isinstance(v, _dt.timedelta):
        return v.total_seconds() / 86400
    return v


def shift(formula: str, dr: int, dc: int) -> str:
    """A shared formula's text as it reads in a cell ``dr`` rows and ``dc`` columns from its
    first cell: relative references move, ``$`` parts stay; string literals are untouched."""
    from .sheets import column

    def move(m):
        if m.lastgroup != "ref":
            return m.group(0)
        ref = m.group("ref")

        def one(c):
            cd, letters, rd, digits = c.group(1), c.group(2), c.group(3), c.group(4)
            col = letters if cd else column(col_number(letters) + dc)
            row = digits if rd else str(int(digits) + dr)
            return f"{cd}{col}{rd}{row}"
        head, bang, tail = ref.rpartition("!")
        tail = re.sub(r"(\$?)([A-Za-z]{1,3})(\$?)([0-9]+)", one, tail)
        start = m.start("ref") - m.start(0)
        return m.group(0)[:start] + head + bang + tail
    return _TOKEN.sub(move, formula)
