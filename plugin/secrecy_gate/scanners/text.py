"""Text helpers shared by the content scanners (第六条, 第七条, 第八条, 第九条).

Every scanner looks at the *normalised* text: Unicode NFKC (full-width
``（秘　密）`` becomes ``(秘 密)``, ``＊`` becomes ``*``, ``㊙`` becomes ``秘``)
with invisible characters (zero-width spaces, soft hyphens, BOMs, bidi
controls, variation selectors, the combining grapheme joiner, Hangul fillers:
Unicode category Cf and every Default_Ignorable_Code_Point) removed, so that a
marking, an ID number or a withheld text cannot hide behind look-alike or
invisible characters.

NFKC never creates or removes a line feed, so a line number found in the
normalised text is the line number in the source; ``NormalisedText`` maps
offsets back to the source line by line, only for the hits it reports.

Findings must never print a secret in full: ``mask`` keeps the first three
and the last two to four characters of a matched value.
"""

from __future__ import annotations

import bisect
import html
import platform
import re
import sys
import unicodedata
from dataclasses import dataclass

# -- kinds of hit ------------------------------------------------------------

SECRECY_MARKING = "secrecy-marking"      # 第六条（一）: 密级★保密期限
INTERNAL_MARKER = "internal-marker"      # 第六条（二）: 工作秘密 / 内部资料 marking lines
DISCLOSURE_NOTE = "disclosure-note"      # 第五条: （此件公开发布）
RESIDENT_ID = "resident-id"              # 第六条（二）、第七条: 居民身份证号码
BANK_CARD = "bank-card"                  # 第六条（二）、第七条: 银行卡号
MOBILE = "mobile"                        # 第六条（二）、第七条: 手机号码
SENSITIVE_HINT = "sensitive-hint"        # 第八条: a trigger word for an item answered false

PII_KINDS = (RESIDENT_ID, BANK_CARD, MOBILE)
MARKING_KINDS = (SECRECY_MARKING, INTERNAL_MARKER)


@dataclass(frozen=True)
class Hit:
    """One thing a scanner found in a text.

    ``start``/``end`` are offsets into the text that was scanned (the
    original, not the normalised text); ``line`` is 1-based; ``matched`` is
    the text found — masked with ``mask`` when it is personal information;
    ``detail`` says in Chinese what it is, ``detail_en`` in English;
    ``article`` is the article the hit is evidence against.
    """

    kind: str
    start: int
    end: int
    line: int
    matched: str
    detail: str = ""
    detail_en: str = ""
    article: str = ""


# -- normalisation -------------------------------------------------------------

# Removed from every text before matching: what a browser does not show.
#
# * Unicode category Cf (format characters: zero-width space/joiners, soft
#   hyphen, bidi controls, BOM, tags), as of Unicode 14; a test checks that it
#   covers every Cf character of the running Python;
# * every Default_Ignorable_Code_Point (Unicode's DerivedCoreProperties.txt,
#   4,174 code points; no stdlib property exposes it, hence the ranges):
#   beyond Cf, the combining grapheme joiner U+034F, the variation selectors
#   U+180B-180F, U+FE00-FE0F and U+E0100-E01EF, the Hangul fillers
#   U+115F/1160/3164/FFA0, Khmer U+17B4/17B5 and the reserved U+2065,
#   U+FFF0-FFF8 and U+E0000-E0FFF.  One after each character of a withheld
#   text leaves it looking the same in a browser; without this it would hide
#   the text from the scan.
_IGNORABLE_RANGES = (
    "\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u115f\u1160"
    "\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164"
    "\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
_FORMAT_CHARS = re.compile(f"[{_IGNORABLE_RANGES}]")
_IGNORABLE = _FORMAT_CHARS

# The same characters of the Basic Multilingual Plane, one by one (tests and callers that
# look for a single character).
_COMMON_FORMAT = "".join(
    chr(cp) for cp in (0x00AD, 0x034F, *range(0x0600, 0x0606), 0x061C, 0x06DD, 0x070F, 0x0890,
                       0x0891, 0x08E2, 0x115F, 0x1160, 0x17B4, 0x17B5, *range(0x180B, 0x1810),
                       *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2070),
                       0x3164, *range(0xFE00, 0xFE10), 0xFEFF, 0xFFA0, *range(0xFFF0, 0xFFFC)))
# The BMP ones alone: a class sre checks by a bitmap, three times faster than with the
# astral ranges; those are looked for only in a string that can hold them.
_IGNORABLE_BMP = re.compile("[" + "".join(re.escape(c) for c in _COMMON_FORMAT) + "]")
_CPYTHON = platform.python_implementation() == "CPython"


def _may_hold_astral(text: str) -> bool:
    """False only when ``text`` certainly has no character above U+FFFF.

    CPython stores a string with 1, 2 or 4 bytes per character, the widest
    it needs; its size tells which.  Elsewhere, assume it may.
    """
    if not _CPYTHON:
        return True
    return sys.getsizeof(text) >= 4 * (len(text) + 1) + 40

_COMMON_COMPAT = [(c, unicodedata.normalize("NFKC", c))
                  for c in "，：；（）！？％\u3000\u00a0…．／－＋＜＞＝［］｛｝｜～＂＇＃＄＆＊＠＼＾＿｀"]


def normalise(text: str) -> str:
    """Drop invisible characters (Cf and Default_Ignorable_Code_Point), then NFKC.

    Dropped first: one between a letter and its accent would otherwise keep
    NFKC from composing them, and NFKC maps nothing to such a character (a
    test checks), so the result has none either.  Line feeds are preserved
    exactly (NFKC never maps a character to or from ``\\n``), so line numbers
    agree with the source.
    """
    if text.isascii():
        return text
    # One C-speed regex pass (~4 ms per MB of Chinese text); the astral ranges only where
    # the string holds an astral character.
    text = _IGNORABLE.sub("", text) if _may_hold_astral(text) else _IGNORABLE_BMP.sub("", text)
    # Chinese text is rarely NFKC only because of its full-width punctuation;
    # replacing those first (str.replace is fast) usually lets the quick
    # check pass and saves the full normalisation (~10x faster, same result:
    # each replacement is that character's own NFKC form).
    for ch, rep in _COMMON_COMPAT:
        if ch in text:
            text = text.replace(ch, rep)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text


def _normalise_char_map(line: str) -> list[int]:
    """For each source character of ``line``, the length of its normalised form.

    Combining marks are normalised together with their base character and
    counted on the base, so the lengths add up to ``len(normalise(line))``
    in all but exotic cases (where ``to_original`` clamps to the line).
    """
    lengths = [0] * len(line)
    i = 0
    while i < len(line):
        j = i + 1
        while j < len(line) and unicodedata.combining(line[j]):
            j += 1
        lengths[i] = len(normalise(line[i:j]))
        i = j
    return lengths


def as_normalised(text: "str | NormalisedText") -> "NormalisedText":
    """Scanners accept a plain text or one already normalised (shared by several scanners)."""
    return text if isinstance(text, NormalisedText) else NormalisedText(text)


class NormalisedText:
    """A text, its normalised form, and offset/line lookups between them."""

    def __init__(self, original: str, *, normalised: str | None = None):
        self.original = original
        self.text = normalise(original) if normalised is None else normalised
        self._nl_norm: list[int] | None = None
        self._nl_orig: list[int] | None = None
        self._prefix: tuple[int, list[int]] | None = None  # the last line mapped (many hits, one line)
        self._reader: ReaderView | None = None

    @property
    def reader(self) -> ReaderView:
        """The text a reader sees (markup removed, entities decoded), computed once."""
        if self._reader is None:
            self._reader = ReaderView(self.text)
        return self._reader

    @classmethod
    def of_normalised(cls, text: str) -> NormalisedText:
        """A text already passed through ``normalise`` (skips the work again)."""
        return cls(text, normalised=text)

    @property
    def identical(self) -> bool:
        return self.text is self.original or self.text == self.original

    def _newlines(self) -> tuple[list[int], list[int]]:
        if self._nl_norm is None:
            self._nl_norm = [m.start() for m in re.finditer("\n", self.text)]
            self._nl_orig = (self._nl_norm if self.identical
                             else [m.start() for m in re.finditer("\n", self.original)])
        return self._nl_norm, self._nl_orig  # type: ignore[return-value]

    def line_of(self, offset: int) -> int:
        """1-based line number of an offset into the normalised text."""
        nl, _ = self._newlines()
        return bisect.bisect_right(nl, offset - 1) + 1 if offset > 0 else 1

    def line_bounds(self, offset: int) -> tuple[int, int]:
        """(start, end) of the normalised line holding ``offset`` (end excludes ``\\n``)."""
        start = self.text.rfind("\n", 0, offset) + 1
        end = self.text.find("\n", offset)
        return start, len(self.text) if end < 0 else end

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the normalised text back to a span of the original."""
        if self.identical:
            return start, end
        nl_norm, nl_orig = self._newlines()
        line = self.line_of(start) - 1
        norm_line_start = nl_norm[line - 1] + 1 if line > 0 else 0
        orig_line_start = nl_orig[line - 1] + 1 if line > 0 else 0
        orig_line_end = nl_orig[line] if line < len(nl_orig) else len(self.original)
        if self._prefix is not None and self._prefix[0] == line:
            prefix = self._prefix[1]
        else:
            # Linear in the line; kept for the next hit, so a line of 100,000 hits is
            # mapped once, not once per hit.
            prefix = [0]
            for n in _normalise_char_map(self.original[orig_line_start:orig_line_end]):
                prefix.append(prefix[-1] + n)
            self._prefix = (line, prefix)
        lengths = range(len(prefix) - 1)

        def locate(offset: int, is_end: bool) -> int:
            target = offset - norm_line_start
            if is_end:  # first source index whose prefix covers the target
                i = bisect.bisect_left(prefix, target)
            else:       # the source character that produced normalised position target
                i = bisect.bisect_right(prefix, target) - 1
            return orig_line_start + min(max(i, 0), len(lengths))

        o_start = locate(start, False)
        # An end beyond this line (a hit spanning lines) is mapped via its own line.
        if end > (nl_norm[line] if line < len(nl_norm) else len(self.text)):
            o_end = self.to_original(end - 1, end)[1] if end - 1 > start else o_start
            return o_start, max(o_start, o_end)
        o_end = locate(end, True)
        return o_start, max(o_start, o_end)

    def hit(self, kind: str, start: int, end: int, *, matched: str | None = None,
            detail: str = "", detail_en: str = "", article: str = "") -> Hit:
        """Build a ``Hit`` from a span of the normalised text."""
        o_start, o_end = self.to_original(start, end)
        if matched is None:
            matched = self.original[o_start:o_end]
        return Hit(kind, o_start, o_end, self.line_of(start), matched, detail, detail_en, article)


# -- the text a reader sees ------------------------------------------------------

# A tag with a name (never a comment: what a comment holds is published in the page's
# source, so the scanners keep reading it), or a character reference.
_READER_MARKUP = re.compile(
    r"<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9-]*)(?:[ \t/][^<>\n]*)?>"
    r"|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
)
CELL = "|"            # an HTML table cell starts: a cell separator, as in Markdown
ROW = "\x1e"          # a table row or a block starts (never a digit separator)
TABLE = "\x1d"        # an HTML table starts or ends
_READER_TAGS = {"td": CELL, "th": CELL, "tr": ROW, "table": TABLE, "br": " ", "wbr": ""}
_READER_INLINE = frozenset(
    "a abbr b bdi bdo cite code data del dfn em font i ins kbd mark q s samp small span "
    "strong sub sup time u var".split())


class ReaderView:
    """The text a reader sees in a page: tags removed, character references decoded.

    Built from an already normalised text (Markdown with inline HTML, or the visible
    text of an HTML page).  Inline tags vanish (``<span>620602</span><span>1976…``
    reads as one number), ``<br>`` is a space, cells, rows and blocks become
    separators no number crosses (``|``, ``\\x1e``, ``\\x1d`` for a table), an entity
    becomes its character, normalised (``&nbsp;`` a space, ``&#65297;`` ``1``).
    No line feed is added or removed, so lines agree with the source; ``to_source``
    maps an offset back.  One regex pass; the identity when there is no ``<`` or ``&``.
    """

    def __init__(self, text: str):
        self.source = text
        self._view: list[int] = []   # view offset where a replaced piece starts
        self._src: list[int] = []    # its source offset
        self._src_end: list[int] = []
        if "<" not in text and "&" not in text:
            self.text = text
            return
        out: list[str] = []
        pos = vpos = 0
        for m in _READER_MARKUP.finditer(text):
            name = m.group("name")
            if name is not None:
                name = name.lower()
                rep = _READER_TAGS.get(name)
                if rep is None:
                    rep = "" if name in _READER_INLINE else ROW
                elif m.group("close") and rep == CELL:
                    rep = ""
            else:
                rep = html.unescape(m.group())
                rep = normalise(rep) if rep != m.group() else rep
                if "\n" in rep:
                    rep = rep.replace("\n", " ")
            out.append(text[pos:m.start()])
            vpos += m.start() - pos
            self._view.append(vpos)
            self._src.append(m.start())
            self._src_end.append(m.end())
            out.append(rep)
            vpos += len(rep)
            pos = m.end()
            self._view.append(vpos)
            self._src.append(pos)
            self._src_end.append(-1)
        out.append(text[pos:])
        self.text = "".join(out)

    def to_source(self, offset: int, is_end: bool = False) -> int:
        """The offset in the source of an offset in the view."""
        i = bisect.bisect_right(self._view, offset) - 1
        if i < 0:
            return offset
        if self._src_end[i] >= 0:   # inside a replaced piece: the piece's start or end
            return self._src_end[i] if is_end and offset > self._view[i] else self._src[i]
        return self._src[i] + offset - self._view[i]


def line_number(text: str, offset: int) -> int:
    """1-based line number of ``offset`` in ``text``."""
    return text.count("\n", 0, offset) + 1


# -- masking -------------------------------------------------------------------

def mask(value: str, char: str = "*") -> str:
    """Mask a matched value for messages so a finding never prints the secret.

    Keeps the first 3 and the last 4 characters of a value of 11 or more
    characters (``11010519491231002X`` → ``110***********002X``,
    ``13812345678`` → ``138****5678``), the first 3 and last 2 of 8–10
    characters, the first and last of 4–7, and nothing of shorter values.
    Whitespace is dropped first; the masked form has the same length.
    """
    v = re.sub(r"\s+", "", value)
    n = len(v)
    if n >= 11:
        head, tail = 3, 4
    elif n >= 8:
        head, tail = 3, 2
    elif n >= 4:
        head, tail = 1, 1
    else:
        return char * n
    return v[:head] + char * (n - head - tail) + v[n - tail:]


# -- character classes -----------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def cjk_count(text: str) -> int:
    """Number of CJK ideographs in ``text``."""
    return len(_CJK.findall(text))


def is_cjk(ch: str) -> bool:
    return bool(_CJK.match(ch))


# -- CJK projection ----------------------------------------------------------------

_HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# A Latin word or a number of four or more characters: where a projection breaks.
_PROJECTION_BREAK = re.compile(r"[A-Za-z0-9]{4,}")
_NOT_HAN = re.compile(f"[^{_HAN_CLASS}\x00]+")


# Scripts and style sheets: a theme's are full of long numbers and read by nobody as text
# (the leak scan looks for withheld text in them, not for markings or personal data); one a
# page lists as an attachment is published for what it says, and the review reads it.
CODE_EXTENSIONS = frozenset({".js", ".mjs", ".cjs", ".css", ".map", ".ts"})


def project_cjk(text: str) -> str:
    """Only the Han ideographs of ``text``: what a reader of Chinese text reads.

    Separators put between the characters of a withheld text (``关·于·调·整``,
    ``关~于~调~整``, a letter or a digit after each) are skipped by a reader and
    dropped here.  A Latin word or number of four or more letters or digits
    is not a separator: it becomes a break (``\\x00``), so ideographs on both
    sides of code or of an English sentence are not run together (text that
    is not mostly Chinese gives short runs only).  Whitespace is dropped like
    every other character.  Two C-speed regex passes.
    """
    if text.isascii():
        return ""
    return _NOT_HAN.sub("", _PROJECTION_BREAK.sub("\x00", text))
