"""Encodings a template, a plugin or a hook can put text in, and their decoders (第二条, 第九条).

A withheld page's text, or a redacted secret point, is still in the output
when it is written percent-encoded into a link, escaped into a script, or
base64-encoded into a ``data:`` URI.  The leak scan therefore looks for its
needles in each text form of a file *and* in that form with every such
encoding undone:

* percent-encoding: ``%E7%A7%98`` (UTF-8, or GB18030 when not valid UTF-8),
  JavaScript's ``escape()`` form ``%u79D8``, and ``+`` for a space in query
  string values (``urlencode``, ``quote_plus``);
* backslash escapes of JavaScript, JSON, Python and C: ``\\u79D8``,
  ``\\u{79D8}``, ``\\U000079D8``, ``\\xE7\\xA7\\x98`` (bytes, as ``str(text.encode())``
  writes them), octal ``\\347\\247\\230`` (as git quotes paths), ``\\N{…}``,
  ``\\n`` and the like, and a backslash before punctuation or a non-ASCII letter;
* CSS escapes ``\\79D8 `` (in style sheets and markup only: ``\\d`` in a
  script is not an escape);
* HTML/XML character references ``&#x79D8;`` ``&#31192;`` ``&amp;`` (markup is
  unescaped by the scanner already; this catches them twice-escaped and in
  scripts and plain files);
* base64 (standard and URL-safe) and hexadecimal of UTF-8 text: in ``data:``
  URIs and as any run of at least ``MIN_BASE64`` such characters whose bytes
  are valid, printable UTF-8 — random identifiers and digests never are.  A
  ``data:`` payload that is not text (an image, a gzip stream) is handed back to be
  scanned as a file;
* IDNA/punycode labels ``xn--…``.

Each decoder replaces its runs in place, so text half encoded and half not
is found whole.  The decoders are applied in rounds, all of them in each
round, until nothing changes: an encoding inside another (a percent-encoded
``\\u`` escape, base64 inside a percent-encoded URL) is undone in the next
round.  The first round's result and the last are kept as forms of their own.

Bounded on hostile input: every decoder's output is no longer than its
input (but for NFKC, which expands a few characters: decoded text that grows
beyond ``MAX_GROWTH`` times the original is reported), there are at most
``MAX_ROUNDS`` rounds, and text still yielding letters after the last round
is reported as too deeply encoded (the scan fails closed).  Decoded pieces
are normalised (``normalise``) like every other form.
"""

from __future__ import annotations

import base64
import binascii
import functools
import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

from .text import _FORMAT_CHARS, normalise

__all__ = ["Decoded", "decode_all", "has_css_escapes", "bytes_text", "source_text",
           "looks_like_text", "MAX_ROUNDS", "MIN_BASE64"]

# Rounds of decoding; an encoding nested deeper than this is reported, not searched.
MAX_ROUNDS = 6
# Shortest base64 run decoded outside a data: URI (12 bytes: four CJK characters).
MIN_BASE64 = 16
# Decoded text may grow (NFKC expands a few characters): at most this much.
MAX_GROWTH = 4
# The longest base64 run decoded (a data: URI of an image may be large; none is larger).
MAX_BASE64 = 64 * 1024 * 1024

_CACHED_RUN = 256  # longest run whose decoding is remembered
# A decoded piece that says something: letters, digits, non-ASCII, or more encoding syntax.
_MEANINGFUL = re.compile(r"[^\W_]|[^\x00-\x7f]|[%&\\]")
_COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"PK\x03\x04")


@dataclass
class Decoded:
    """What decoding one text gave.

    ``forms``: the text after the first round and after the last, if it changed;
    ``payloads``: decoded bytes that are not text (a ``data:`` URI's image,
    a base64 gzip stream), to be scanned as files; ``markup``: a decoded
    piece held ``<`` (decoded markup, whose tags may split a needle);
    ``too_deep``: the last round still decoded letters.
    """

    forms: list[str] = field(default_factory=list)
    payloads: list[bytes] = field(default_factory=list)
    markup: bool = False
    too_deep: bool = False


def bytes_text(data: bytes) -> str:
    """Decoded bytes as text: UTF-8, else GB18030 (Chinese sites' other encoding), else UTF-8
    with replacement characters."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace")


# Byte order marks, the longer first (UTF-32-LE's begins like UTF-16-LE's).
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"),
         (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
# What is read to tell the encoding, and to tell text from binary.
SNIFF_BYTES = 64 * 1024
# Characters that are in no text: controls (but tab, line feed, form feed, carriage
# return) and the replacement character of bytes that decode to nothing.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")


def _wide_codec(sample: bytes) -> str | None:
    """UTF-32 or UTF-16 without a BOM, from where the NUL bytes fall (None: neither).

    Latin letters, digits, line feeds and the YAML of a front matter have a
    NUL high byte in UTF-16 (a quarter of UTF-32 bytes are never NUL but
    three in four are).  A NUL or two added to UTF-8 text does not make a
    pattern: one parity must hold at least 2% of its bytes as NULs and four
    times as many as the other.
    """
    quads = len(sample) // 4
    if quads >= 1:
        z = [sample[i:quads * 4:4].count(0) for i in range(4)]
        if min(z[2], z[3]) * 10 >= quads * 9 and z[0] * 2 < quads:
            return "utf-32-le"
        if min(z[0], z[1]) * 10 >= quads * 9 and z[3] * 2 < quads:
            return "utf-32-be"
    pairs = len(sample) // 2
    odd, even = sample[1:pairs * 2:2].count(0), sample[0:pairs * 2:2].count(0)
    if odd >= max(2, pairs // 50) and even * 4 <= odd:
        return "utf-16-le"
    if even >= max(2, pairs // 50) and odd * 4 <= even:
        return "utf-16-be"
    return None


def looks_like_text(text: str) -> bool:
    """At most one character in twenty is a control or a replacement character (at most
    five in a text shorter than a hundred)."""
    sample = text[:SNIFF_BYTES]
    return len(_NOT_TEXT.findall(sample)) * 20 <= max(len(sample), 100)


def source_text(data: bytes, *, text: bool = False) -> str | None:
    """The text of a withheld file, whatever its encoding; None for binary (an image).

    A BOM says the encoding (UTF-8, UTF-16, UTF-32: ``working-tree-encoding=UTF-16``
    in ``.gitattributes`` checks a page out with one); else a NUL pattern of
    UTF-32 or UTF-16; else UTF-8, GB18030 if it reads cleanly, and UTF-8 with
    replacement characters otherwise.  ``text=True`` (a Markdown page) never
    gives None: a page with a NUL byte or a broken sequence is still text.
    Any other file is binary when more than one character in twenty of its
    start is a control or undecodable.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            decoded = data[len(bom):].decode(codec, "replace")
            return decoded if text or looks_like_text(decoded) else None
    wide = _wide_codec(data[:SNIFF_BYTES])
    candidates = [wide] if wide else []
    candidates += ["utf-8", "gb18030"]
    for codec in candidates:
        try:
            decoded = data.decode(codec)
        except UnicodeDecodeError:
            if codec != wide:
                continue
            decoded = data.decode(codec, "replace")  # the NUL pattern says so
        if text or looks_like_text(decoded):
            return decoded
    decoded = data.decode("utf-8", "replace")
    return decoded if text or looks_like_text(decoded) else None


class _Builder:
    """Collects decoded bytes, UTF-16 code units and characters, in order."""

    __slots__ = ("parts", "raw", "units")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.raw = bytearray()
        self.units: list[int] = []

    def byte(self, b: int) -> None:
        self._units()
        self.raw.append(b)

    def unit(self, u: int) -> None:
        self._raw()
        self.units.append(u)

    def char(self, s: str) -> None:
        self._raw()
        self._units()
        self.parts.append(s)

    def _raw(self) -> None:
        if self.raw:
            self.parts.append(bytes_text(bytes(self.raw)))
            self.raw.clear()

    def _units(self) -> None:
        if self.units:
            s = "".join(map(chr, self.units))
            self.parts.append(s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace"))
            self.units.clear()

    def text(self) -> str:
        self._raw()
        self._units()
        return "".join(self.parts)


def _normalise_piece(piece: str) -> str:
    """``normalise`` for a short decoded piece, skipping the work for text already stable."""
    if piece.isascii() or (unicodedata.is_normalized("NFKC", piece)
                           and not _FORMAT_CHARS.search(piece)):
        return piece
    return normalise(piece)


def _code_point(cp: int) -> str:
    return chr(cp) if 0 < cp <= 0x10FFFF else "\ufffd"


# -- percent-encoding ---------------------------------------------------------------

_PCT_ONE = r"%(?:[0-9A-Fa-f]{2}|[uU][0-9A-Fa-f]{4})"
_PERCENT = re.compile(f"{_PCT_ONE}(?:{_PCT_ONE})*")


def _percent(run: str) -> str:
    if "u" not in run and "U" not in run:
        return bytes_text(bytes.fromhex(run.replace("%", "")))
    b = _Builder()
    for tok in run.split("%")[1:]:
        if tok[0] in "uU":
            b.unit(int(tok[1:], 16))
        else:
            b.byte(int(tok, 16))
    return b.text()


# A query-string value holding "+" (a space in application/x-www-form-urlencoded).
_QUERY_PLUS = [re.compile(rf"{c}[^\s\"'<>#&?=]{{0,256}}=[^\s\"'<>#&?+]{{0,4096}}\+[^\s\"'<>#&?]{{0,4096}}")
               for c in (r"\?", "&")]


def _query_plus(run: str) -> str:
    key, _, value = run.partition("=")
    return f"{key}={unquote_plus(value, errors='replace')}"


# -- backslash escapes (JavaScript, JSON, Python, C) ---------------------------------------

_ESC_ONE = (r"\\(?:u\{[0-9a-fA-F]{1,6}\}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|[0-7]{1,3}"
            r"|N\{[A-Za-z0-9 \-]{1,88}\}|[nrtfvb]|[!-/:-@\[-`{-~]|[^\x00-\x7f])")
_ESCAPES = re.compile(f"{_ESC_ONE}(?:{_ESC_ONE})*")
_ESC_TOKEN = re.compile(_ESC_ONE)
_WHITE_ESC = {"n": " ", "r": " ", "t": " ", "f": " ", "v": " ", "b": ""}


def _escapes(run: str) -> str:
    b = _Builder()
    for t in _ESC_TOKEN.finditer(run):
        s = t.group()
        c = s[1]
        if c == "u":
            if s[2] == "{":
                b.char(_code_point(int(s[3:-1], 16)))
            else:
                b.unit(int(s[2:], 16))
        elif c == "U":
            b.char(_code_point(int(s[2:], 16)))
        elif c == "x":
            b.byte(int(s[2:], 16))
        elif "0" <= c <= "7":
            b.byte(int(s[1:], 8) & 0xFF)
        elif c == "N" and len(s) > 2:
            try:
                b.char(unicodedata.lookup(s[3:-1]))
            except KeyError:
                b.char(s)
        elif c in _WHITE_ESC:
            b.char(_WHITE_ESC[c])
        else:
            b.char(c)
    return b.text()


# -- CSS escapes ----------------------------------------------------------------------

_CSS_ONE = r"\\(?:[0-9a-fA-F]{1,6}[ \t\n\r\f]?|[^\n\r\f0-9a-fA-F])"
_CSS = re.compile(f"{_CSS_ONE}(?:{_CSS_ONE})*")
_CSS_TOKEN = re.compile(_CSS_ONE)
_CSS_HEX = re.compile(r"\\[0-9a-fA-F]{2,6}")


def has_css_escapes(text: str) -> bool:
    """Whether ``text`` holds a CSS hex escape (``\\79D8``): only then is the CSS reading tried."""
    return "\\" in text and _CSS_HEX.search(text) is not None


def _css(run: str) -> str:
    out = []
    for t in _CSS_TOKEN.finditer(run):
        s = t.group().rstrip(" \t\n\r\f") if len(t.group()) > 2 else t.group()
        body = s[1:]
        if body and all(ch in "0123456789abcdefABCDEF" for ch in body):
            out.append(_code_point(int(body, 16)))
        else:
            out.append(body)
    return "".join(out)


# -- character references -----------------------------------------------------------

_ENTITY_ONE = r"&(?:#[0-9]{1,8};?|#[xX][0-9a-fA-F]{1,7};?|[A-Za-z][A-Za-z0-9]{1,31};)"
_ENTITIES = re.compile(f"{_ENTITY_ONE}(?:{_ENTITY_ONE})*")


def _entities(run: str) -> str:
    return html.unescape(run)


# -- punycode (IDNA) ---------------------------------------------------------------------

# Lower case, as IDNA writes it (every pattern here starts with a literal character:
# a scan for a leading character class is ten times slower).
_PUNY = re.compile(r"xn--[A-Za-z0-9-]{1,252}")


def _punycode(run: str) -> str:
    try:
        return run[4:].encode("ascii").decode("punycode")
    except (UnicodeError, ValueError, IndexError, OverflowError):
        return run


# -- base64 ------------------------------------------------------------------------------

_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_"
_B64_MASK = bytes(0x61 if i in _B64_ALPHABET else 0x20 for i in range(256))
_B64_RUN = b"a" * MIN_BASE64
_URLSAFE = bytes.maketrans(b"-_", b"+/")
_HEX_DIGITS = b"0123456789abcdefABCDEF"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def _b64decode(run: bytes) -> bytes | None:
    if len(run) % 4 == 1 or len(run) > MAX_BASE64:
        return None
    if b"-" in run or b"_" in run:
        if b"+" in run or b"/" in run:
            return None
        run = run.translate(_URLSAFE)
    try:
        return base64.b64decode(run + b"=" * (-len(run) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _texty(data: bytes) -> str | None:
    """The text of decoded bytes when they are printable UTF-8, else None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if _CONTROL.search(text) else text


@functools.lru_cache(maxsize=8192)
def _run_text(run: bytes) -> tuple[bool, str | None, bytes | None]:
    """(hexadecimal?, the text, the decoded bytes) of one run of base64 or hex characters.

    Remembered: a theme's scripts and source maps hold the same identifiers on
    every page and in every round.
    """
    if len(run) % 2 == 0 and not run.translate(None, _HEX_DIGITS):
        # Hexadecimal UTF-8 (``text.encode().hex()``); a digest is never valid text.
        plain = _texty(bytes.fromhex(run.decode("ascii")))
        if plain is not None:
            return True, plain, None
    # A run without a capital letter is a class name, a path or a hex digest: base64 of
    # twelve or more bytes of text has one but for a chance of about one in ten thousand.
    decoded = None if run.islower() else _b64decode(run)
    return False, (_texty(decoded) if decoded is not None else None), decoded


def _base64(text: str, payloads: list[bytes]) -> tuple[str, int] | None:
    """Base64 (or hexadecimal) runs of UTF-8 text replaced by that text; ``data:`` payloads
    that are not text (and compressed streams) appended to ``payloads``."""
    if len(text) < MIN_BASE64:
        return None
    raw = text.encode("utf-8", "surrogatepass")
    mask = raw.translate(_B64_MASK)
    i = mask.find(_B64_RUN)
    if i < 0:
        return None
    out = bytearray()
    pos = 0
    flags = 0
    while i >= 0:
        j = mask.find(b" ", i)
        if j < 0:
            j = len(raw)
        end = j
        while end < len(raw) and end - j < 2 and raw[end] == 0x3D:  # "=" padding
            end += 1
        run = raw[i:j]
        hexa, plain, decoded = (_run_text(run) if len(run) <= _CACHED_RUN
                                else _run_text.__wrapped__(run))
        if hexa:
            end = j
        if plain is None and decoded is not None and (
                decoded.startswith(_COMPRESSED_MAGIC) or raw[max(0, i - 8):i].lower() == b";base64,"):
            payloads.append(decoded)
        if plain is not None:
            piece = _normalise_piece(plain)
            out += raw[pos:i]
            out += piece.encode("utf-8", "surrogatepass")
            pos = end
            flags |= _flags(piece, "")
        i = mask.find(_B64_RUN, end)
    if pos == 0:
        return None
    out += raw[pos:]
    return out.decode("utf-8", "surrogatepass"), flags


# -- the rounds ----------------------------------------------------------------------------

_NAMES = ("base64", "escapes", "css", "entities", "punycode", "query", "percent")
# The characters of each encoding's syntax: a decoded piece holding one of them (or empty,
# joining its neighbours) may complete a run of that encoding, to be undone next round.
_WANTS = {
    "base64": r"[0-9A-Za-z+/=_\-]",
    "escapes": r"[\\0-9A-Za-z{}]",
    "css": r"[\\0-9A-Fa-f]",
    "entities": r"[&#;0-9A-Za-z]",
    "punycode": r"[0-9A-Za-z\-]",
    "query": r"[?&=+%0-9A-Fa-f]",
    "percent": r"[%0-9A-Fa-fuU]",
}
_WANT_BITS = [(re.compile(_WANTS[name]), 2 << i) for i, name in enumerate(_NAMES)]
_LETTERS = 1  # the piece says something: decoding it was progress
_ALL_STEPS = sum(bit for _, bit in _WANT_BITS)


def _flags(piece: str, found: str, relevant: Callable[[str, str], str] | None = None) -> int:
    """``_LETTERS`` and the bit of each step that may have more to decode after ``piece``."""
    if piece == found:
        return 0
    flags = _LETTERS if _MEANINGFUL.search(piece) else 0
    new = relevant(found, piece) if relevant else piece
    if not new and not relevant:
        return flags | _ALL_STEPS
    for want, bit in _WANT_BITS:
        if want.search(new):
            flags |= bit
    return flags


def _by_regex(pattern: re.Pattern | list[re.Pattern], decode: Callable[[str], str],
              *triggers: str, relevant: Callable[[str, str], str] | None = None):
    """A decoder replacing each match of ``pattern`` (or of each pattern) by its
    (normalised) decoding.

    ``triggers``: strings one of which every match holds (a quick test first);
    ``relevant(found, piece)``: the decoded characters that may complete another
    encoding (by default: the whole piece).  Short runs are decoded once and
    remembered: a site's navigation repeats the same percent-encoded links on
    every page.
    """
    patterns = pattern if isinstance(pattern, list) else [pattern]

    def piece_of(found: str) -> tuple[str, int]:
        piece = _normalise_piece(decode(found))
        return piece, _flags(piece, found, relevant)

    cached = functools.lru_cache(maxsize=8192)(piece_of)

    def run(text: str, payloads: list[bytes]) -> tuple[str, int] | None:
        if not any(t in text for t in triggers):
            return None
        flags = 0
        changed = False

        def repl(m: re.Match) -> str:
            nonlocal flags, changed
            found = m.group()
            piece, f = cached(found) if len(found) <= _CACHED_RUN else piece_of(found)
            if piece != found:
                changed = True
                flags |= f
            return piece

        out = text
        for p in patterns:
            out = p.sub(repl, out)
        return (out, flags) if changed else None

    return run


_STEPS = {
    "base64": _base64,
    "escapes": _by_regex(_ESCAPES, _escapes, "\\"),
    "css": _by_regex(_CSS, _css, "\\"),
    "entities": _by_regex(_ENTITIES, _entities, "&"),
    "punycode": _by_regex(_PUNY, _punycode, "xn--"),
    # "+" becoming a space joins nothing; what the value's %XX decode to may.
    "query": _by_regex(_QUERY_PLUS, _query_plus, "+", relevant=lambda found, piece: "".join(
        _percent(m.group()) for m in _PERCENT.finditer(found))),
    "percent": _by_regex(_PERCENT, _percent, "%"),
}
# Base64 before the query decoder (a raw "+" in base64 is not a space); the query
# decoder before percent-decoding (a decoded "%2B" is a plus, not a space).
_CHAIN = tuple((2 << _NAMES.index(k), _STEPS[k])
               for k in ("base64", "escapes", "entities", "punycode", "query", "percent"))
_CSS_CHAIN = tuple((2 << _NAMES.index(k), _STEPS[k])
                   for k in ("base64", "css", "entities", "punycode", "query", "percent"))


def decode_all(text: str, *, css: bool = False) -> Decoded:
    """``text`` with every encoding undone, round by round (see the module docstring).

    ``css`` reads backslash escapes as CSS escapes instead of JavaScript ones.
    After the first round, a decoder runs again only when a decoded piece holds
    a character of its syntax (all of it ASCII: a page's percent-encoded
    Chinese links need one round).
    """
    result = Decoded()
    chain = _CSS_CHAIN if css else _CHAIN
    current = text
    flags = 0
    wanted = _ALL_STEPS
    for _ in range(MAX_ROUNDS):
        changed = False
        flags = 0
        for bit, step in chain:
            if not wanted & bit:
                continue
            got = step(current, result.payloads)
            if got is None:
                continue
            current, f = got
            changed = True
            flags |= f
        if not changed:
            return result
        if len(current) > MAX_GROWTH * len(text) + (1 << 20):
            result.too_deep = True
            return result
        # The first round's text and the last: a later round may undo what a needle
        # holds (a "+" decoded from %2B is read as a space in the next).
        if len(result.forms) == 2:
            result.forms[1] = current
        else:
            result.forms.append(current)
        if not result.markup and "<" in current and current.count("<") > text.count("<"):
            result.markup = True
        wanted = flags & _ALL_STEPS
        if not wanted:
            return result
    result.too_deep = bool(flags & _LETTERS)
    return result
