"""The post-build leak scan of the whole output directory (第二条, 第六条, 第七条, 第九条).

A withheld page is absent from the output "in any form", and redacted text
(第九条 密点) appears in no output file.  After every build — and on its own as
``secrecy-gate verify-site`` for output made by any generator — every file of
the output directory is read and searched for:

* *needles*: the distinctive fragments of each withheld page and each
  redacted secret point (``needles_from_text``), all at once with one
  Aho–Corasick automaton (pyahocorasick), so thousands of needles cost one
  pass over the text;
* secrecy markings and internal-material marker lines (第六条（一）（二),
  ``find_markings``) and unmasked personal information (第六条（二）、第七条,
  ``find_pii`` with the site-wide allowed list) in the text a reader sees.

Every file is read, whatever its name: HTML (also HTML-unescaped and with
its tags removed, so ``&#x79D8;`` entities and ``<em>`` splits hide nothing),
JSON (also JSON-decoded: search indexes escape non-ASCII as ``\\uXXXX`` and
escape ``/`` and quotes), XML, gzip/bzip2/xz-compressed files (decompressed,
with a size limit), zip containers (``.docx``, ``.xlsx``, ``.epub``: every
member), and any other copied file.  Matching ignores whitespace and is done
on NFKC-normalised text, so re-wrapping, ``&nbsp;`` or full-width forms do
not hide a fragment.  Each text form is also searched with every encoding a
template, plugin or hook can apply undone (``encodings.decode_all``:
percent-encoding, script and style escapes, character references, base64
and ``data:`` URIs …); binary and non-UTF-8 files are searched for the
needles in UTF-8, GB18030 and UTF-16.  What cannot be read (a compressed format without a
decoder, a file over the limits, an unreadable file) is reported as
``unscannable``: the scan fails closed.

A hit of a withheld page's text says what was matched and where (line and
column of the file, or the form it was only found in after decoding): the
build log is internal, and a maintainer must be able to tell a real leak from
ordinary text.  第九条 secret points and personal data stay masked (``mask``).
"""

from __future__ import annotations

import bz2
import functools
import gzip
import hashlib
import html
import io
import itertools
import json
import lzma
import multiprocessing as mp
import os
import pickle
import re
import stat
import threading
import unicodedata
import zipfile
from concurrent.futures import ProcessPoolExecutor
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from operator import itemgetter

import ahocorasick

from .encodings import MAX_ROUNDS, bytes_text, decode_all, has_css_escapes
from .markings import _find_markings
from .pii import _find_pii, canonical
from .text import CODE_EXTENSIONS, NormalisedText, cjk_count, mask, normalise, project_cjk

__all__ = ["LeakScanner", "LeakHit", "needles_from_text", "plain_text", "squash",
           "reversed_needles", "projected_needles", "LEAKED_TEXT", "UNSCANNABLE"]

LEAKED_TEXT = "leaked-text"
UNSCANNABLE = "unscannable"
# How the labels of 第九条 secret points begin (``build.verify``): never shown unmasked.
SECRET_LABEL = "第九条密点"

# Limits that keep a hostile or broken output directory from exhausting memory.
MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024
MAX_ARCHIVE_DEPTH = 2
# data: payloads inside data: payloads (an SVG holding a PNG, in a page): at most this deep.
MAX_PAYLOAD_DEPTH = 3
# Encodings in which text stored verbatim in a binary (or non-UTF-8) file is looked for.
_BINARY_CODECS = ("utf-8", "gb18030", "utf-16-le", "utf-16-be")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .et, .doc, .wps …

# Needles shorter than this are looked for only in text a reader sees
# (HTML text, search-index strings, plain-text files), not in scripts,
# styles or binaries, where short strings occur by chance.
DEFAULT_MIN_LEN = 8
# The fewest ideographs of a needle looked for in the CJK projection (``project_cjk``): in
# text reduced to its ideographs, shorter runs of a withheld text recur by chance.
MIN_PROJECTED = 8
_CHUNK = 32


@dataclass(frozen=True)
class LeakHit:
    """Something that must not be in the output: where, what, and why.

    ``kind``: ``leaked-text`` (a needle), a scanner kind (``secrecy-marking``,
    ``internal-marker``, ``resident-id``, ``bank-card``, ``mobile``) or
    ``unscannable``.  ``label`` says whose text it is (the needle's label) or
    what was found; ``matched`` is masked; ``line`` is given for plain-text
    files only.  For a withheld page's text, ``text`` is the needle itself
    (whitespace removed) and ``position`` where it is in the file (``12:5``,
    line and column, ``byte N`` in a binary file, ``解码后 decoded`` when only an
    undone encoding holds it); both stay empty for a
    第九条 secret point, which is only ever shown masked.
    """

    path: str
    kind: str
    label: str
    matched: str
    article: str = ""
    line: int | None = None
    text: str = ""
    position: str = ""

    def render(self) -> str:
        where = self.path + (f":{self.line}" if self.line else "")
        shown = f"“{self.text}”" if self.text else f"[{self.matched}]"
        at = f" 位置 at {self.position}" if self.position else ""
        return f"{where}: {self.kind}: {self.label} {shown}{at} ({self.article})"


# -- text forms ----------------------------------------------------------------

_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    """Normalised text without any whitespace: the form needles are matched in."""
    return "".join(normalise(text).split())  # str.split's whitespace is regex \s (all of it)


def _bytes_form(text: str) -> str:
    """UTF-8 bytes as a latin-1 string: the automaton's alphabet.

    pyahocorasick looks a character up among a node's children one by one;
    with thousands of CJK needles the root has thousands of children.  In
    UTF-8 every node has at most 256, which makes the scan an order of
    magnitude faster.  UTF-8 is self-synchronising, so a byte match is a
    character match.
    """
    return text.encode("utf-8", "surrogatepass").decode("latin-1")


_BLOCK_TAG = re.compile(
    r"<(?:/?(?:[\w-]+:)?(?:p|div|h[1-6]|li|ul|ol|br|hr|tr|td|th|table|thead|tbody|pre|blockquote|"
    r"section|article|header|footer|nav|main|aside|dd|dt|dl|figure|figcaption|title|option|"
    r"summary|details|tc|body|html|head|url|loc|item|entry|"
    # A spreadsheet's cells, rows and shared strings (OOXML ``c``/``row``/``si``): each value
    # on its own line, as the gate reads them, so that a row number beside a masked ID is
    # not read as one number (needles, matched without whitespace, are not affected).
    r"c|row|si))\b[^>]*>"
)
# Case-insensitive by character classes: re.IGNORECASE makes these scans ~2x slower.
_SCRIPT = r"<[sS][cC][rR][iI][pP][tT]\b[^>]*>.*?</[sS][cC][rR][iI][pP][tT]\s*>"
_STYLE = r"<[sS][tT][yY][lL][eE]\b[^>]*>.*?</[sS][tT][yY][lL][eE]\s*>"
_SCRIPT_STYLE = re.compile(rf"{_SCRIPT}|{_STYLE}", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
# Attribute values a reader may see, when they hold digits or non-ASCII text.
_VALUE = r"[^\x00-\x2f\x3a-\x7f]"
# What ``_ATTR`` cannot match without (``data-`` for ``data-*``).
_ATTR_NAMES = ("alt=", "title=", "content=", "aria-label=", "value=", "placeholder=", "data-", "href=")
# The names once, then either quote: the same matches as one alternative per quote (a name
# is followed by "=" in one way only, and the quotes exclude each other), 40% faster.
_ATTR = re.compile(
    rf"""(?:alt|title|content|aria-label|value|placeholder|data-[\w-]+)="""
    rf"""(?:"([^"]*?{_VALUE}[^"]*)"|'([^']*?{_VALUE}[^']*)')|"""
    r"""href=["'](?:tel|mailto|sms):([^"']*)["']"""
)


def _closed(markup: str) -> str:
    """``markup`` with what it leaves open closed at its end.

    A comment, script, style or tag left open runs to the end of the file (as a
    browser reads it); closing it there keeps every regex here linear: a match
    attempt then always finds its end, instead of scanning to the end of a
    hostile file from each of thousands of openings.
    """
    tail = ""
    if markup.rfind("<!--") > markup.rfind("-->"):
        tail += "-->"
    if "<s" in markup or "<S" in markup:
        low = markup.lower()
        for name in ("script", "style"):
            if low.rfind(f"<{name}") > low.rfind(f"</{name}"):
                tail += f"</{name}>"
    if markup.rfind("<") > markup.rfind(">"):
        tail += ">"
    return markup + tail if tail else markup


# A list item and a table cell, kept recognisable in the visible text (``items=True``):
# the content scanners read ``<li>绝密</li>`` as the list item ``- 绝密``, as ``check``
# reads the Markdown it came from, not as a level on a line of its own.
ITEM = "\x1f"
_LIST_ITEM = re.compile(r"<li\b[^>]*>", re.IGNORECASE)
_CELL = re.compile(r"<t[dh]\b[^>]*>", re.IGNORECASE)


def _visible(markup: str, items: bool = False) -> str:
    """The text a reader sees in HTML/XML: tags removed, blocks on their own lines.

    The values of attributes a reader may see (alt, title, content …) are
    appended when they hold non-ASCII text or digits.  ``items``: each list
    item starts ``ITEM + "- "``, each table cell ``ITEM + "| "`` (``without_items``
    removes them again).
    """
    markup = _closed(markup)
    if items:
        if ITEM in markup:
            markup = markup.replace(ITEM, "")
        if "<l" in markup or "<L" in markup:
            markup = _LIST_ITEM.sub("\n" + ITEM + "- ", markup)
        if "<t" in markup or "<T" in markup:
            markup = _CELL.sub("\n" + ITEM + "| ", markup)
    # Only where one of the attribute names is written (a spreadsheet's XML has none).
    attrs = ([a or b or c for a, b, c in _ATTR.findall(markup)]
             if "=" in markup and any(n in markup for n in _ATTR_NAMES) else [])
    s = _SCRIPT_STYLE.sub("\n", markup) if ("<s" in markup or "<S" in markup) else markup
    if "<!--" in s:
        s = _COMMENT.sub(" ", s)
    s = _BLOCK_TAG.sub("\n", s)
    s = _TAG.sub("", s)
    if "&" in s:
        s = html.unescape(s)
    if attrs:
        s += "\n" + "\n".join(html.unescape(a) for a in attrs)
    return s


def without_items(visible: str) -> str:
    """``_visible(markup, items=True)`` without its item marks: ``_visible(markup)``."""
    if ITEM not in visible:
        return visible
    return visible.replace(ITEM + "- ", "").replace(ITEM + "| ", "")


_HIDDEN = re.compile(rf"{_SCRIPT}|{_STYLE}|<!--.*?-->|<[^>]*>", re.DOTALL)


def _hidden(markup: str) -> str:
    """What ``_visible`` drops: tags with their attributes, scripts, styles, comments.

    Together the two forms hold every character of the markup, so a needle
    hidden in an attribute or a script is found as well as one in the text
    (escaped or percent-encoded there, by ``encodings.decode_all``).
    """
    s = "\n".join(_HIDDEN.findall(_closed(markup)))
    if "&" in s:
        s = html.unescape(s)
    return s


# An element a browser does not show: the ``hidden`` attribute, or an inline style of
# ``display: none`` / ``visibility: hidden``.  ``[^<>]`` keeps each try within one tag.
_HIDDEN_ELEMENT = re.compile(
    r"<([A-Za-z][A-Za-z0-9:-]*)(?=[^<>]*?(?:\shidden(?=[\s=/>])|\sstyle\s*=[^<>]*?"
    r"(?:display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse))))[^<>]*>",
    re.IGNORECASE)
# One of which every hidden element's opening tag holds (looked for in the lower-case text).
_HIDDEN_WORDS = ("hidden", "display", "visibility")
_VOID_ELEMENTS = frozenset("area base br col embed hr img input link meta source track wbr".split())


@functools.lru_cache(maxsize=256)
def _same_name_tags(name: str) -> re.Pattern:
    return re.compile(rf"<(/?){re.escape(name)}(?=[\s/>])[^<>]*>", re.IGNORECASE)


def _hidden_tags(markup: str):
    """The opening tags of hidden elements, in order (``_HIDDEN_ELEMENT`` matches).

    The regex is tried only at the tag around each of ``_HIDDEN_WORDS``
    (found with ``str.find``), not at every ``<``: a theme's pages say
    ``display`` a few times, and the search costs next to nothing.  Each
    word's next place is remembered, the ``<`` before a place is looked for
    only back to the previous place, and each tag is tried once: linear on
    any input.
    """
    low = markup.lower()
    if len(low) != len(markup):  # a character whose lower case is longer (U+0130)
        yield from _HIDDEN_ELEMENT.finditer(markup)
        return
    nxt = {w: low.find(w) for w in _HIDDEN_WORDS}
    prev, lt, done = 0, -1, 0
    while True:
        live = [i for i in nxt.values() if i >= 0]
        if not live:
            return
        k = min(live)
        for w, i in nxt.items():
            if i == k:
                nxt[w] = low.find(w, k + 1)
        found = markup.rfind("<", prev, k)
        lt = found if found >= 0 else lt
        prev = k
        if lt < done:
            continue  # no tag before it, or a tag already tried
        done = lt + 1
        if markup.find(">", lt, k) >= 0:
            continue  # the tag closed before the word: text, not an attribute
        m = _HIDDEN_ELEMENT.match(markup, lt)
        if m is not None:
            yield m


def _drop_hidden(markup: str) -> str | None:
    """``markup`` without the elements a browser does not show (None: it has none).

    ``关<span hidden>~</span>于`` reads 关于 in a browser; the scan of this form
    sees what the reader sees.  Each hidden element is dropped up to its own
    closing tag (nested elements of the same name counted); one never closed
    is dropped to the end.  One pass: each search starts where the last ended.
    """
    out: list[str] = []
    pos = 0
    for m in _hidden_tags(markup):
        if m.start() < pos:
            continue  # inside an element already dropped
        out.append(markup[pos:m.start()])
        name = m.group(1).lower()
        end = m.end()
        if name not in _VOID_ELEMENTS and not m.group().endswith("/>"):
            depth = 1
            for t in _same_name_tags(name).finditer(markup, m.end()):
                if t.group(1):
                    depth -= 1
                elif not t.group().endswith("/>"):
                    depth += 1
                if depth == 0:
                    end = t.end()
                    break
            else:
                end = len(markup)  # never closed: hidden to the end
        pos = end
        if pos >= len(markup):
            break
    if not out:
        return None
    out.append(markup[pos:])
    return "".join(out)


def _member_name(info: zipfile.ZipInfo) -> str:
    """An archive member's name as an archiver shows it: without the UTF-8 flag, zip stores
    the bytes of the creator's code page (GBK on Chinese Windows), which ``zipfile`` reads
    as CP437; both readings are given."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            other = name.encode("cp437").decode("gb18030")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return name
        if other != name:
            return f"{name}\n{other}"
    return name


@functools.lru_cache(maxsize=1)
def _t2s() -> dict[int, str]:
    """OpenCC's table of traditional characters and their simplified forms, and its
    Japanese variants (絶 → 絕 → 绝), as one ``str.translate`` table (character by character:
    names are short, and the phrase tables would cost a second per 10,000 names)."""
    import opencc
    base = Path(opencc.__file__).parent / "dictionary"
    table: dict[int, str] = {}
    for name in ("TSCharacters.txt", "JPVariants.txt"):
        try:
            lines = (base / name).read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) >= 2 and len(parts[0]) == 1 and len(parts[1]) == 1:
                if name == "JPVariants.txt":  # 絕 絶: the Japanese form is the second
                    table.setdefault(ord(parts[1]), table.get(ord(parts[0]), parts[0]))
                else:
                    table[ord(parts[0])] = parts[1]
    return table


def _simplified(text: str) -> str:
    """Traditional characters (and Japanese variants) as simplified ones: a reader of a name
    reads 信訪人 as 信访人."""
    return text if text.isascii() else text.translate(_t2s())


_OTHER_DIGIT = re.compile(r"(?![0-9])\d")  # a decimal digit of another script
_CHINESE_DIGITS = {ord(c): str(i) for i, c in enumerate("〇一二三四五六七八九")} | {ord("零"): "0"}


def _as_digits(text: str) -> str:
    """Every decimal digit (Arabic-Indic, Devanagari, full-width …) and the Chinese numerals
    〇 to 九 as ASCII digits: the number a reader of a name reads."""
    if text.isascii():
        return text
    text = text.translate(_CHINESE_DIGITS)
    return _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group(), 0)), text)


_NAME_NOT_DIGIT = re.compile(r"[^0-9Xx×ΧХ]")


def _dropped_levels(names: str, most: int = 2) -> str:
    """Each name (a line) with one or two of its directories left out, one form a line."""
    out = []
    for name in names.split("\n"):
        parts = [p for p in name.split("/") if p]
        if len(parts) < 3 or len(parts) > 12:
            continue
        for k in range(1, most + 1):
            for gone in itertools.combinations(range(len(parts) - 1), k):
                out.append("".join(p for i, p in enumerate(parts) if i not in gone))
    return "\n".join(out)


# In a file or directory name: what separates words (anything but letters, digits, ideographs,
# ★ and the line breaks between names), and Latin letters.
_NAME_SEPARATOR = re.compile(r"[^\w★\n]|_")
_NAME_LETTER = re.compile(r"[A-Za-zＡ-Ｚａ-ｚ]")
_JSON_ESC = re.compile(r"\\u([0-9a-fA-F]{4})|\\(.)")
_JSON_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


def _json_unescape_lenient(text: str) -> str:
    def repl(m: re.Match) -> str:
        if m.group(1):
            return chr(int(m.group(1), 16))
        return _JSON_SIMPLE.get(m.group(2), m.group(2))

    s = _JSON_ESC.sub(repl, text)
    # Surrogate pairs written as two \u escapes become one character.
    return s.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


# The "unrolled loop" form: the same strings as "(?:[^"\\]|\\.)*", four times
# faster on a 25 MB search index (no alternation tried at every character).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_JSON_BATCH = 1 << 20
_JSON_PUNCTUATION = " \t\r\n{}[],:"


def _json_strings(text: str) -> Iterable[str]:
    """Every string (keys too) of a JSON document, decoded, in batches of about 1 MB.

    Read string by string rather than with ``json.loads``: a portal's search
    index is tens of megabytes, and its objects would cost several times that.
    A document that is not JSON at all is unescaped leniently as one text.
    """
    batch: list[str] = []
    size = 0
    found = False
    # What lies between the strings: numbers (an ID number written as one), and whatever
    # follows or precedes the JSON value in a file that is not JSON throughout.
    between: list[str] = []
    end = 0
    for m in _JSON_STRING.finditer(text):
        found = True
        gap = text[end:m.start()]
        if gap.strip(_JSON_PUNCTUATION):
            between.append(gap)
        end = m.end()
        batch.append(m.group())
        size += len(batch[-1])
        if size >= _JSON_BATCH:
            yield _decode_json_strings(batch)
            batch, size = [], 0
    if batch:
        yield _decode_json_strings(batch)
    if not found:
        yield _json_unescape_lenient(text)
    elif text[end:].strip(_JSON_PUNCTUATION):
        between.append(text[end:])
    if found and between:
        yield "\n".join(between)


def can_fork() -> bool:
    """Whether a forked copy of this process may do part of a scan: a second core, and no
    other thread (a fork copies only the calling thread: another one's lock could be held
    for ever) — the scanning process of ``leakwatch`` and ``verify-site``, not a build."""
    return hasattr(os, "fork") and threading.active_count() == 1 and (os.cpu_count() or 1) > 1


class Forked:
    """``fn()`` run in a forked copy of this process while this one goes on; ``result()``
    waits for its answer, pickled back through a pipe.  A copy that fails or dies gives no
    answer: ``result()`` raises, and the scan fails closed."""

    def __init__(self, fn):
        read_fd, write_fd = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the copy: its answer, and out without running this process's exits
            code = 1
            try:
                os.close(read_fd)
                with os.fdopen(write_fd, "wb") as fh:
                    pickle.dump(fn(), fh, protocol=pickle.HIGHEST_PROTOCOL)
                code = 0
            finally:
                os._exit(code)
        os.close(write_fd)
        self._reader = os.fdopen(read_fd, "rb")

    def result(self):
        try:
            answer = pickle.load(self._reader)  # EOFError if the copy died
        finally:
            self.abandon()
        if self.status != 0:
            raise RuntimeError(f"a forked part of the scan ended with status {self.status}")
        return answer

    def abandon(self) -> None:
        """Close the pipe (a copy still writing gets EPIPE and ends) and wait for the copy."""
        if not self._reader.closed:
            self._reader.close()
            self.status = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])


# From this many batches on (a portal's search index: 1 MB each), a forked process scans
# every second one: the build waits for this scan after its last page, with a core idle.
PARALLEL_BATCHES = 4


def _in_two(items: list, fn) -> list:
    """``[fn(x) for x in items]``, the odd items done by a forked copy of this process
    where ``can_fork`` and worth it; the results keep the order of ``items``."""
    if len(items) < PARALLEL_BATCHES or not can_fork():
        return [fn(x) for x in items]
    other = Forked(lambda: [fn(x) for x in items[1::2]])
    try:
        mine = [fn(x) for x in items[0::2]]
    except BaseException:
        other.abandon()
        raise
    theirs = other.result()
    if len(theirs) != len(items) // 2:
        raise RuntimeError("the forked scan of half the batches gave a wrong answer")
    return [mine[k // 2] if k % 2 == 0 else theirs[k // 2] for k in range(len(items))]


def _decode_json_strings(literals: list[str]) -> str:
    """JSON string literals → their texts, one per line (one C-speed ``json.loads``)."""
    try:
        return "\n".join(json.loads("[" + ",".join(literals) + "]"))
    except ValueError:
        return "\n".join(_json_unescape_lenient(lit[1:-1]) for lit in literals)


# -- needles -------------------------------------------------------------------

# Whole-text patterns (MULTILINE, never crossing a line): one pass each over a
# page instead of one per line — the exclusion corpus is every published page.
_SKIP_LINE = re.compile(r"^[ \t]*(?:```|~~~|\[[^\]\n]+\]:[ \t]*\S).*$", re.MULTILINE)
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\]\n]*)\](?:\([^)\n]*\)|\[[^\]\n]*\])")
_FOOTNOTE_REF = re.compile(r"\[\^[^\]\n]*\]")
_ATTR_LIST = re.compile(r"\{[:.#][^}\n]*\}")
_ADMONITION = re.compile(r"^[ \t]*(?:!!!|\?\?\?\+?)[ \t]*[\w-]*", re.MULTILINE)
_LINE_PREFIX = re.compile(r"^[ \t]*(?:(?:>[ \t]*)+|#{1,6}[ \t]+|[-*+][ \t]+|\d+[.)][ \t]+)*",
                          re.MULTILINE)
_HTML_TAG = re.compile(r"<[^>\n]*>|<!--|-->")
_EMPHASIS = re.compile(r"(\*{1,3}|_{2,3}|~~|==|`+)")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~=])")
_CLAUSE = re.compile(r"[。！？；!?;，,：:|、]+|[ \t]{2,}")
_NOT_LETTER_CJK = set("年月日时分秒号第条款项章节页")


def plain_text(markdown: str) -> list[str]:
    """The lines of a Markdown text as a reader sees them (syntax removed, not squashed).

    Fence lines and link definitions become empty lines.
    """
    # Each pattern only where the text holds what it cannot match without (a C-speed
    # ``in``): the same result, and every published page of a portal goes through here.
    s = markdown
    if "```" in s or "~~~" in s or "]:" in s:
        s = _SKIP_LINE.sub("", s)
    if "!!!" in s or "???" in s:
        s = _ADMONITION.sub("", s)
    s = _LINE_PREFIX.sub("", s)
    if "![" in s:
        s = _IMAGE.sub(r"\1", s)
    if "](" in s or "][" in s:
        s = _LINK.sub(r"\1", s)
    if "[^" in s:
        s = _FOOTNOTE_REF.sub("", s)
    if "{:" in s or "{." in s or "{#" in s:
        s = _ATTR_LIST.sub("", s)
    if "<" in s or "-->" in s:
        s = _HTML_TAG.sub(" ", s)
    if "*" in s or "`" in s or "__" in s or "~~" in s or "==" in s:
        s = _EMPHASIS.sub("", s)
    if "\\" in s:
        s = _ESCAPE.sub(r"\1", s)
    if "&" in s:
        s = html.unescape(s)
    return s.split("\n")


def _distinctive(fragment: str, *, short: bool = False) -> bool:
    """Whether a squashed fragment says something particular (not a date, number or symbol)."""
    cjk = sum(1 for ch in fragment if ch not in _NOT_LETTER_CJK and cjk_count(ch))
    if short:
        other = sum(1 for ch in fragment if not ch.isspace() and not cjk_count(ch))
        return cjk >= 2 or (other >= 4 and any(ch.isalnum() for ch in fragment))
    latin = sum(1 for ch in fragment if ch.isalpha() and not cjk_count(ch))
    return cjk >= 4 or latin >= 6


# An ASCII-only needle shorter than this is not evidence of anything (``is_common``).
COMMON_ASCII_LEN = 16
# English prose: three words or more, none of the characters code is written with.
_WORD = re.compile(r"[A-Za-z]{2,}")
_CODE_CHARS = re.compile(r"[(){}\[\]<>=;\"'`$\\/_@#^~|+*&%]")


def is_common(needle: str) -> bool:
    """Whether a needle is too common to be evidence: ASCII only, fewer than 16 characters.

    Measured on MkDocs' and Material's own files: ``function``, ``undefined``,
    ``JavaScript``, ``See https``, ``print(i)``, ``return None`` … occur in
    minified scripts, style sheets and search engines by the dozen, and any
    page about code has them in tables and lists.  Fifteen ASCII characters
    are at most two or three words or one identifier; a withheld page's
    distinctive text is its Chinese sentences (any needle with an ideograph
    is kept), its English sentences (sixteen characters and more without
    spaces) and its numbers (personal data has its own scanner, ``find_pii``).
    """
    return len(needle) < COMMON_ASCII_LEN and needle.isascii()


def is_prose(fragment: str) -> bool:
    """Whether a fragment (normalised, whitespace kept) is a sentence rather than code.

    Four ideographs or more, or three English words or more without any of
    the characters code is written with.  Prose of a withheld page is
    dropped from the needles only where a published page or an installed
    package holds it, never because an approved override or hook does: an
    editor could have put it there to launder it.
    """
    if cjk_count(fragment) >= 4:
        return True
    return len(_WORD.findall(fragment)) >= 3 and not _CODE_CHARS.search(fragment)


def _chunks(fragment: str, min_len: int) -> list[str]:
    if len(fragment) <= 2 * _CHUNK:
        return [fragment]
    parts = [fragment[i:i + _CHUNK] for i in range(0, len(fragment), _CHUNK)]
    if len(parts[-1]) < min_len:
        tail = parts.pop()
        parts[-1] += tail
    return parts


class Corpus(tuple):
    """Texts already in the needle form, one piece per text (``as_corpus``, or built from
    pieces that are): passed as ``exclude`` to the needle functions, it is not read again
    (a portal's pages take a second each time).  The pieces are searched one by one, never
    joined: no needle holds the separator a join would put between them, and a theme's
    few megabytes of text joined and converted for the automaton cost 75 MB at once."""

    def __new__(cls, pieces: Iterable[str] = ()):
        return super().__new__(cls, (p for p in pieces if p))


def as_corpus(exclude: str | Iterable[str]) -> Corpus:
    """``exclude`` (a Corpus already, a text, or texts) in the needle form, one piece a text."""
    if isinstance(exclude, Corpus):
        return exclude
    texts = [exclude] if isinstance(exclude, str) else list(exclude)
    return Corpus(squash("\n".join(plain_text(t))) for t in texts if t)


# Up to this many ASCII words are looked for in ASCII text one by one (``str`` search skips
# ahead by the word's length: far faster than the automaton's character by character).
_FEW_ASCII = 64


def _found_in(words: list[str], pieces: Iterable[str]) -> set[int]:
    """The indexes of ``words`` that occur in any of ``pieces``.

    An ASCII piece (a theme's scripts and style sheets: most of a package's text) can hold
    only ASCII words: with a few of them, each is looked for by ``str`` search in those
    pieces joined (no word holds the NUL between them); the other pieces, or all of them
    when there are many ASCII words, go through one Aho–Corasick automaton of every word.
    """
    where: dict[str, list[int]] = {}
    for i, w in enumerate(words):
        where.setdefault(w, []).append(i)
    unique = list(where)
    ascii_ix = [k for k, w in enumerate(unique) if w.isascii()]
    plain, other = [], []
    for piece in pieces:
        (plain if piece.isascii() else other).append(piece)
    found: set[int] = set()  # indexes into ``unique``
    if plain and ascii_ix:
        if len(ascii_ix) <= _FEW_ASCII:
            joined = "\x00".join(plain)
            found.update(k for k in ascii_ix if unique[k] in joined)
        else:
            other.extend(plain)
    if other:
        auto = ahocorasick.Automaton()
        for k, w in enumerate(unique):
            auto.add_word(_bytes_form(w), k)
        auto.make_automaton()
        for piece in other:
            found.update(map(itemgetter(1), auto.iter(_bytes_form(piece))))
    return {i for k in found for i in where[unique[k]]}


def needles_from_text(text: str, min_len: int = DEFAULT_MIN_LEN, *,
                      exclude: str | Iterable[str] = (), whole: bool = False,
                      prose: set[str] | None = None) -> list[str]:
    """The distinctive fragments of a withheld page or secret point to look for (第二条, 第九条).

    Markdown syntax is removed, each line is cut at sentence and clause
    punctuation, whitespace is dropped, and every fragment of at least
    ``min_len`` characters that is distinctive (four CJK ideographs or six
    letters, not counting date words like 年月日) is kept; fragments longer
    than 64 characters are cut into 32-character pieces, so a truncated
    excerpt is still caught.  With ``whole=True`` (a short 第九条 secret
    point) the whole text is kept too when it has at least 2 CJK characters
    or 4 other letters/digits.  Fragments that also occur in ``exclude`` —
    the published pages' text, which the caller passes — are dropped, since
    finding them proves nothing.  ``prose``, when given, receives the
    needles that come from a sentence (``is_prose``; the whole text with
    ``whole=True``).
    """
    candidates: list[str] = []
    seen: set[str] = set()

    def keep(frag: str, is_prose_: bool) -> None:
        if frag and frag not in seen:
            seen.add(frag)
            candidates.append(frag)
        if is_prose_ and prose is not None:
            prose.add(frag)

    lines = plain_text(text)
    if whole:
        all_text = squash("".join(lines))
        if all_text and _distinctive(all_text, short=True):
            for piece in _chunks(all_text, min_len):
                keep(piece, True)
    for line in lines:
        for raw in _CLAUSE.split(normalise(line)):
            frag = _WS.sub("", raw)
            if len(frag) >= min_len and _distinctive(frag):
                sentence = prose is not None and is_prose(raw)
                for piece in _chunks(frag, min_len):
                    keep(piece, sentence)
    return drop_found_in(candidates, exclude)


def drop_found_in(candidates: list[str], exclude: str | Iterable[str]) -> list[str]:
    """The candidates that occur in none of the ``exclude`` Markdown texts.

    One Aho–Corasick pass; both sides in the needle form (normalised, no
    whitespace, Markdown syntax removed from the texts).
    """
    corpus = as_corpus(exclude)
    if not corpus or not candidates:
        return candidates
    found = _found_in(candidates, corpus)
    return [c for i, c in enumerate(candidates) if i not in found]


REVERSED = "（倒序 reversed）"
PROJECTED = "（仅汉字 CJK projection）"
SPREAD = "（名称中夹有其他字 with other characters put inside a name）"


def _spread_in(key: str, text: str, limit: int) -> bool:
    """Whether ``key``'s characters occur in ``text`` in order, from one start to the end
    within ``limit`` characters (each next character at its earliest place)."""
    start = text.find(key[0])
    while start >= 0:
        pos = start
        for ch in key[1:]:
            pos = text.find(ch, pos + 1, start + limit)
            if pos < 0:
                break
        else:
            return True
        start = text.find(key[0], start + 1)
    return False


def reversed_needles(needles: Mapping[str, str], exclude: str | Iterable[str] = (), *,
                     latin: bool = True) -> dict[str, str]:
    """Each needle written backwards, labelled ``REVERSED``; those in ``exclude`` dropped.

    Text stored backwards is shown forwards by ``<bdo dir="rtl">``, a
    right-to-left override (U+202E, which normalisation then drops) or a
    script reversing a string as the page opens.  ``latin=False`` keeps only
    needles holding CJK text: a short Latin needle backwards is more likely
    to occur by chance (measured: none did on a Material site, so the caller
    keeps them).
    """
    out: dict[str, str] = {}
    for needle, label in needles.items():
        back = needle[::-1]
        if back == needle or back in needles or (not latin and not cjk_count(needle)):
            continue
        out.setdefault(back, label + REVERSED)
    return {n: out[n] for n in drop_found_in(list(out), exclude)}


def projected_needles(needles: Mapping[str, str],
                      exclude: str | Iterable[str] = ()) -> dict[str, str]:
    """The Han-only runs (``project_cjk``) of at least ``MIN_PROJECTED`` ideographs of each
    needle, labelled ``PROJECTED``, minus those the projection of ``exclude`` holds.

    ``exclude`` (the published texts) is projected without the breaks at
    Latin words, which drops more: a published sentence differing from a
    withheld one only in its numbers, punctuation or a word between is not
    taken for it.
    """
    out: dict[str, str] = {}
    for needle, label in needles.items():
        for run in project_cjk(needle).split("\x00"):
            if len(run) >= MIN_PROJECTED:
                out.setdefault(run, label + PROJECTED)
    corpus = as_corpus(exclude) if out else Corpus()
    if not corpus:
        return out
    keys = list(out)
    # Han-only words: a piece without any non-ASCII character projects to nothing.
    found = _found_in(keys, (project_cjk(c).replace("\x00", "") for c in corpus if not c.isascii()))
    return {c: out[c] for i, c in enumerate(keys) if i not in found}


# -- where a hit is ----------------------------------------------------------------

_HAN_ONLY = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")
_U_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
# The needle is in the file only encoded (percent-encoding, base64, escapes …): no place to show.
DECODED_ONLY = "解码后 decoded"


def _line_col(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    return f"{line}:{offset - (text.rfind(chr(10), 0, offset) + 1) + 1}"


def locate(data: bytes, needle: str) -> str:
    """Where ``needle`` (normalised, whitespace removed) is in a file: ``line:column``.

    Looked for in the file's text as it is, then normalised, HTML-unescaped
    and with JSON ``\\uXXXX`` escapes undone (none of these adds or removes a
    line, so the line is the file's); whitespace may separate its characters,
    and an all-Han needle may have other characters between its ideographs
    (the CJK projection).  In a binary file: the byte offset.  Otherwise the
    needle was found only after a decoding this cannot show in place.
    """
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)[:MAX_DECOMPRESSED_BYTES]
        except (OSError, EOFError):
            return DECODED_ONLY
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = data.decode("utf-16", errors="replace")
    elif b"\x00" in data[:8192]:
        for codec in _BINARY_CODECS:
            try:
                at = data.find(needle.encode(codec))
            except UnicodeError:
                continue
            if at >= 0:
                return f"字节 byte {at} ({codec})"
        return DECODED_ONLY
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = bytes_text(data)
    gap = r"\s*"
    patterns = [gap.join(map(re.escape, needle))]
    if _HAN_ONLY.match(needle):
        patterns.append(r"[^\u3400-\u9fff]{0,16}?".join(map(re.escape, needle)))
    forms = [(text, ""), (lambda: normalise(text), ""),
             (lambda: html.unescape(text), "（HTML 实体解码后 after HTML unescaping）"),
             (lambda: _U_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text),
              "（\\u 转义解码后 after \\u unescaping）")]
    for pattern in patterns:
        rx = re.compile(pattern)
        for form, note in forms:
            form = form() if callable(form) else form
            m = rx.search(form)
            if m:
                return _line_col(form, m.start()) + note
    return DECODED_ONLY


# -- the scanner ---------------------------------------------------------------

_HTML_EXT = {".html", ".htm", ".xhtml", ".shtml"}
_JSON_EXT = {".json", ".webmanifest", ".geojson"}
_XML_EXT = {".xml", ".svg", ".rss", ".atom", ".opf", ".ncx", ".rels", ".xsl"}
_CODE_EXT = CODE_EXTENSIONS
_COMPRESSED_UNREADABLE = {".br", ".zst", ".lz4", ".7z", ".rar"}


def _inner_name(name: str) -> str:
    for ext in (".gz", ".gzip", ".bz2", ".xz", ".lzma"):
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return name


def _limited(stream, limit: int) -> bytes | None:
    data = stream.read(limit + 1)
    return None if len(data) > limit else data


def _unique(hits: list[LeakHit]) -> list[LeakHit]:
    """Each hit once (a needle found in a file and again in its decoded payload)."""
    return list({(h.path, h.kind, h.label, h.matched): h for h in hits}.values())


def _documents():
    from . import documents  # imported on first use: the extractors load PDFium
    return documents


def content_digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=20).digest()


class LeakScanner:
    """Searches an output directory for withheld text, redacted text, markings and PII.

    ``needles`` maps a text to look for to its label (``"withheld page
    content/xx.md"``, ``"redacted point in yy.md"``); needles are normalised
    and stripped of whitespace.  ``projected`` maps Han-only needles
    (``projected_needles``) to their labels: they are looked for only in the
    CJK projection (``project_cjk``) of the text a reader sees, where
    separators between the characters are gone.  ``allowed_pii`` is the
    site-wide list of ``pii_allowed`` values; ``markings``/``pii`` switch
    those checks.  ``problems`` are reported by every ``scan_dir`` (a
    withheld file that could not be read: the scan fails closed).
    ``reveal``: a hit gives the needle and its position (``LeakHit.text``,
    ``position``), except for labels of 第九条 secret points (``SECRET_LABEL``).
    ``public_files``: output files equal to one of them are not scanned.
    """

    def __init__(self, needles: Mapping[str, str], *, allowed_pii: Iterable[str] = (),
                 markings: bool = True, pii: bool = True, min_len: int = DEFAULT_MIN_LEN,
                 projected: Mapping[str, str] | None = None, problems: Iterable[LeakHit] = (),
                 reveal: bool = False, public_files=None):
        self.allowed_pii = list(allowed_pii)
        # Say what a withheld page's needle matched, and where (never a secret point's).
        self.reveal = reveal
        # ``build.public.PublicFiles``: output files that copy an installed package's file
        # byte for byte are public code, not scanned.
        self.public_files = public_files
        self._allowed = sorted({canonical(a) for a in self.allowed_pii if a})
        self._already: dict[str, bytes] = {}
        self._unchanged: set[str] = set()
        self.check_markings = markings
        self.check_pii = pii
        self.min_len = min_len
        self._labels: list[tuple[str, str, bool]] = []  # (squashed needle, label, short)
        self._auto: ahocorasick.Automaton | None = None
        self._bin_auto: ahocorasick.Automaton | None = None  # built on the first binary file
        index: dict[str, int] = {}
        for needle, label in needles.items():
            key = squash(needle)
            if not key:
                continue
            if key in index:
                old = self._labels[index[key]]
                if label not in old[1].split("; "):
                    self._labels[index[key]] = (key, f"{old[1]}; {label}", old[2])
                continue
            index[key] = len(self._labels)
            self._labels.append((key, label, len(key) < min_len))
        if self._labels:
            self._auto = ahocorasick.Automaton()
            for i, (key, _, _) in enumerate(self._labels):
                self._auto.add_word(_bytes_form(key), i)
            self._auto.make_automaton()
        # Hits of every scan of a directory: a withheld file whose text could not be read.
        self.problems = list(problems)
        self.summary = None  # what the needles came from (``build.verify.NeedleSummary``)
        self._proj_labels: list[tuple[str, str, bool]] = []
        self._proj_auto: ahocorasick.Automaton | None = None
        self._spread_index: dict[str, list[int]] | None = None  # built on the first name read
        for needle, label in (projected or {}).items():
            key = project_cjk(needle).replace("\x00", "")
            if len(key) >= MIN_PROJECTED:
                self._proj_labels.append((key, label, False))
        if self._proj_labels:
            self._proj_auto = ahocorasick.Automaton()
            for i, (key, _, _) in enumerate(self._proj_labels):
                self._proj_auto.add_word(_bytes_form(key), i)
            self._proj_auto.make_automaton()

    @property
    def needle_count(self) -> int:
        """Needles looked for in every text form (reversed ones included)."""
        return len(self._labels)

    @property
    def projected_count(self) -> int:
        """Han-only needles looked for in the CJK projection."""
        return len(self._proj_labels)

    # -- one text ---------------------------------------------------------------

    def _needle_hits(self, path: str, forms: list[str], readable: bool, *, css: bool = False,
                     depth: int = 0, shown: Iterable[str] = ()) -> list[LeakHit]:
        """Needles in already-normalised ``forms`` and in those forms decoded (whitespace is
        dropped here).

        ``css``: backslash escapes may be CSS escapes too (a style sheet, markup).
        Decoded payloads that are not text (a ``data:`` URI's image) are scanned
        as files, one level deeper.  ``shown``: further forms searched as they
        are, not decoded (markup without its hidden elements).
        """
        if self._auto is None:
            return []
        forms = [f for f in forms if f]
        extra: list[str] = [f for f in shown if f]
        hits: list[LeakHit] = []
        for form in forms:
            for as_css in (False, True) if css and has_css_escapes(form) else (False,):
                decoded = decode_all(form, css=as_css)
                extra.extend(decoded.forms)
                if decoded.markup:
                    extra.append(normalise(_visible(decoded.forms[-1])))
                if decoded.too_deep:
                    hits.append(LeakHit(path, UNSCANNABLE, "text encoded more times over than the "
                                        f"scan decodes ({MAX_ROUNDS})", "", "第二条"))
                for payload in decoded.payloads:
                    hits.extend(self._payload_hits(path, payload, depth))
        hay = "\x00".join(_bytes_form("".join(f.split())) for f in forms + extra)
        return _unique(self._report(path, self._auto.iter(hay), readable) + hits)

    def _payload_hits(self, path: str, payload: bytes, depth: int) -> list[LeakHit]:
        """Needles in bytes decoded from base64 (a ``data:`` URI's image, a gzip stream)."""
        if depth > MAX_PAYLOAD_DEPTH:
            return [LeakHit(path, UNSCANNABLE, "encoded data nested too deep", "", "第二条")]
        return [h for h in self.scan_bytes(path, payload, "data:", depth + 1)
                if h.kind in (LEAKED_TEXT, UNSCANNABLE)]

    def _report(self, path: str, matches, readable: bool, labels=None) -> list[LeakHit]:
        labels = self._labels if labels is None else labels
        found: set[int] = set()
        for _, i in matches:
            if readable or not labels[i][2]:
                found.add(i)
        return [LeakHit(path, LEAKED_TEXT, labels[i][1], mask(labels[i][0]), "第二条、第九条",
                        text=labels[i][0] if self._reveals(labels[i][1]) else "")
                for i in sorted(found)]

    def _reveals(self, label: str) -> bool:
        return self.reveal and SECRET_LABEL not in label

    def _projected_hits(self, path: str, texts: Iterable[str]) -> list[LeakHit]:
        """Han-only needles in the CJK projection of texts a reader sees (already normalised)."""
        if self._proj_auto is None:
            return []
        hay = "\x00".join(_bytes_form(project_cjk(t)) for t in texts if t)
        return self._report(path, self._proj_auto.iter(hay), True, self._proj_labels)

    def _binary_hits(self, path: str, data: bytes) -> list[LeakHit]:
        """Needles in the raw bytes of a binary file or of a text that is not UTF-8.

        Text stored verbatim in it, in UTF-8, GB18030 (GBK, GB2312) or UTF-16
        (reversed needles are left out: they would double the automaton, and no
        binary shows text backwards).
        """
        if self._auto is None:
            return []
        if self._bin_auto is None:
            self._bin_auto = ahocorasick.Automaton()
            for i, (key, label, _) in enumerate(self._labels):
                if all(part.endswith(REVERSED) for part in label.split("; ")):
                    continue  # text stored backwards is a page's trick, not a binary's
                for codec in _BINARY_CODECS:
                    try:
                        form = key.encode(codec).decode("latin-1")
                    except UnicodeError:
                        continue
                    if self._bin_auto.exists(form):
                        continue
                    self._bin_auto.add_word(form, i)
            self._bin_auto.make_automaton()
        if len(self._bin_auto) == 0:
            return []  # every needle is a reversed one
        return self._report(path, self._bin_auto.iter(data.decode("latin-1")), False)

    def _content_hits(self, path: str, text: str, lines: bool) -> list[LeakHit]:
        """Markings and PII in ``text``, which the caller has already normalised."""
        out: list[LeakHit] = []
        nt = NormalisedText.of_normalised(text)
        if self.check_markings:
            for h in _find_markings(nt):
                out.append(LeakHit(path, h.kind, h.detail, h.matched, h.article,
                                   h.line if lines else None))
        if self.check_pii:
            for h in _find_pii(nt, self._allowed):
                out.append(LeakHit(path, h.kind, h.detail, h.matched, h.article,
                                   h.line if lines else None))
        return out

    def _comment_hits(self, path: str, markup: str) -> list[LeakHit]:
        """Markings and PII inside HTML comments: a reader does not see them, but they
        are published in the page's source (an ID number left in ``<!-- … -->``)."""
        if "<!--" not in markup:
            return []
        comments = "\n".join(m.group()[4:-3] for m in _COMMENT.finditer(_closed(markup)))
        return self._content_hits(path, normalise(comments), False) if comments.strip() else []

    def find_in_texts(self, path: str, texts: Iterable[str]) -> list[LeakHit]:
        """Needles in plain texts (a page's Markdown source, a file name), as a reader would
        see them: normalised, every encoding undone, short needles included."""
        return self._needle_hits(path, [normalise(t) for t in texts if t], True)

    def scan_text(self, path: str, text: str, name: str | None = None,
                  depth: int = 0) -> list[LeakHit]:
        """Scan one decoded file; ``name`` (default ``path``) decides how it is read."""
        ext = os.path.splitext((name or path).lower())[1]
        markup = ext in _HTML_EXT or ext in _XML_EXT or (
            ext not in _JSON_EXT | _CODE_EXT
            and text.lstrip()[:15].lower().startswith(("<!doctype html", "<html", "<?xml")))
        if ext in _JSON_EXT or ext == ".map":
            # A source map is JSON too: decoded here at C speed, then read as a script.
            def scan_chunk(chunk: str) -> list[LeakHit]:
                markup = ext in _JSON_EXT and ("<" in chunk or "&" in chunk)
                return self._scan_decoded(path, chunk, markup, ext, depth)

            hits: dict[tuple, LeakHit] = {}
            for found in _in_two(list(_json_strings(text)), scan_chunk):
                for h in found:
                    hits.setdefault((h.kind, h.label, h.matched), h)
            return list(hits.values())
        return self._scan_decoded(path, text, markup, ext, depth)

    def _scan_decoded(self, path: str, text: str, markup: bool, ext: str,
                      depth: int = 0) -> list[LeakHit]:
        if markup:
            # One pass for both readings: the content scanners see list items and cells
            # as check sees them in Markdown; the needles see the text without the marks.
            itemised = normalise(_visible(text, items=True))
            visible = without_items(itemised)
            hidden = normalise(_hidden(text))
            # What a browser shows: without the elements it hides (a separator in a hidden
            # span after every character).
            dropped = _drop_hidden(text) if self._auto is not None else None
            shown = normalise(_visible(dropped)) if dropped is not None else visible
            return (self._needle_hits(path, [visible, hidden], True, css=True, depth=depth,
                                      shown=[shown] if dropped is not None else ())
                    + self._projected_hits(path, [shown])
                    + self._content_hits(path, itemised, False)
                    + self._comment_hits(path, text))
        if ext in _CODE_EXT:
            # JSON and JavaScript escapes (\\uXXXX, \\/) are undone with the other encodings.
            return self._needle_hits(path, [normalise(text)], False, css=ext == ".css",
                                     depth=depth)
        # Plain text and anything else copied (.txt, .md, .csv, .bak …).
        plain = normalise(text)
        return (self._needle_hits(path, [plain], True, depth=depth)
                + self._projected_hits(path, [plain])
                + self._content_hits(path, plain, ext not in _JSON_EXT))

    def scan_bytes(self, path: str, data: bytes, name: str | None = None,
                   depth: int = 0) -> list[LeakHit]:
        """Scan one file's bytes (decompressing and unpacking as needed)."""
        hits = self._scan_bytes(path, data, name, depth)
        if name != "data:" and any(h.text and not h.position and h.path == path for h in hits):
            # Only for hits (rare): where in this file's own text the needle is.
            hits = [replace(h, position=locate(data, h.text))
                    if h.text and not h.position and h.path == path else h for h in hits]
        return hits

    def _scan_bytes(self, path: str, data: bytes, name: str | None = None,
                    depth: int = 0) -> list[LeakHit]:
        name = name or path
        if data[:2] == b"\x1f\x8b" or data[:3] == b"BZh" or data[:6] == b"\xfd7zXZ\x00":
            raw = io.BytesIO(data)
            try:
                fh = (gzip.GzipFile(fileobj=raw) if data[:2] == b"\x1f\x8b"
                      else bz2.BZ2File(raw) if data[:3] == b"BZh" else lzma.LZMAFile(raw))
                with fh:
                    inner = _limited(fh, MAX_DECOMPRESSED_BYTES)
            except (OSError, EOFError, lzma.LZMAError, ValueError) as exc:
                return [LeakHit(path, UNSCANNABLE, f"cannot decompress: {exc}", "", "第二条")]
            if inner is None:
                return [LeakHit(path, UNSCANNABLE, "decompressed size over the limit", "", "第二条")]
            if depth >= MAX_ARCHIVE_DEPTH:
                return [LeakHit(path, UNSCANNABLE, "nested compression too deep", "", "第二条")]
            return self.scan_bytes(path, inner, _inner_name(name), depth + 1)
        if data[:8] == _OLE or (b"%PDF-" in data[:1024] and _documents().family(name, data[:1024]) == "pdf"):
            # A document's text is compressed or encoded in its streams: read it as the gate
            # reads attachments (scanners.documents), and the raw bytes as before.
            return _unique(self._binary_hits(path, data) + self._document_hits(path, name, data))
        if data[:4] == b"PK\x03\x04":
            return _unique(self._scan_zip(path, data, depth) + self._document_hits(path, name, data))
        if _documents().images.is_image(data[:16]):
            # An image's metadata (EXIF, XMP, PNG text chunks) is text anyone's viewer shows:
            # personal data and markings in it leak as they would in a page.
            return _unique(self._binary_hits(path, data) + self._document_hits(path, name, data))
        ext = os.path.splitext(name.lower())[1]
        if ext in _COMPRESSED_UNREADABLE:
            return [LeakHit(path, UNSCANNABLE, f"compressed format {ext} cannot be read", "",
                            "第二条")]
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            text = data.decode("utf-16", errors="replace")
        elif b"\x00" in data[:8192]:
            # Binary: look for needles in whatever text it holds verbatim, nothing else.
            return self._binary_hits(path, data)
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                # Not UTF-8: GB18030 (GBK) text, say, or binary without a NUL early on.
                text = bytes_text(data)
                return _unique(self.scan_text(path, text, name, depth)
                               + self._binary_hits(path, data))
        return self.scan_text(path, text, name, depth)

    def _document_hits(self, path: str, name: str, data: bytes) -> list[LeakHit]:
        """Needles, markings and personal data in the text of a PDF, Office, WPS or
        OpenDocument file, with the place inside it (page, sheet and cell, paragraph).

        Extraction is shared with the gate and kept by sha256 (``documents.CACHE``); a
        document that cannot be read gives nothing here (its raw bytes are still searched):
        the gate withholds such an attachment unless its record acknowledges it."""
        from . import documents
        try:
            extract = documents.extract(name, data)
        except Exception:  # noqa: BLE001 - the raw bytes are searched all the same
            return []
        if extract is None or extract.kind in ("text", "zip", "nested"):
            return []  # plain text and archives: read by the rest of the scan
        texts = [t for t in extract.texts if t.text.strip()]
        if not texts:
            return []

        def scan(text: str) -> list[LeakHit]:
            plain = normalise(text)
            return (self._needle_hits(path, [plain], True) + self._projected_hits(path, [plain])
                    + self._content_hits(path, plain, False))

        if not scan("\n".join(t.text for t in texts)):
            return []
        hits: list[LeakHit] = []
        for t in texts:  # rare: say where inside the document
            for h in scan(t.text):
                hits.append(replace(h, position=h.position or self._doc_place(t, h)))
        return _unique(hits)

    def _doc_place(self, t, hit: LeakHit) -> str:
        from .documents.model import COLUMN
        return self._doc_anchor(t, hit).replace(COLUMN, "")  # (a spreadsheet row: no column)

    def _doc_anchor(self, t, hit: LeakHit) -> str:
        if len(t.anchors) < 2:
            return t.where(0)[0]
        bounds = [a[0] for a in t.anchors] + [len(t.text)]
        for k, (start, zh, _) in enumerate(t.anchors):
            part = normalise(t.text[start:bounds[k + 1]])
            if any(h.kind == hit.kind and h.matched == hit.matched
                   for h in (self._needle_hits(hit.path, [part], True)
                             + self._content_hits(hit.path, part, False))):
                return zh
        return t.anchors[0][1]

    def _scan_zip(self, path: str, data: bytes, depth: int) -> list[LeakHit]:
        if depth >= MAX_ARCHIVE_DEPTH:
            return [LeakHit(path, UNSCANNABLE, "nested archive too deep", "", "第二条")]
        out: list[LeakHit] = []
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                # The members' names are what anyone who opens the archive reads first.
                out.extend(self._name_hits([_member_name(i) for i in zf.infolist()], f"{path}!"))
                total = 0
                for info in zf.infolist():
                    if info.is_dir():
                        continue
                    total += info.file_size
                    if info.file_size > MAX_DECOMPRESSED_BYTES or total > MAX_DECOMPRESSED_BYTES:
                        return out + [LeakHit(path, UNSCANNABLE, "archive content over the limit",
                                              "", "第二条")]
                    with zf.open(info) as fh:
                        member = _limited(fh, MAX_DECOMPRESSED_BYTES)
                    if member is None:
                        return out + [LeakHit(path, UNSCANNABLE, "archive content over the limit",
                                              "", "第二条")]
                    out.extend(self.scan_bytes(f"{path}!{info.filename}", member, info.filename,
                                               depth + 1))
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as exc:
            # Not a readable zip (or encrypted): still look at the raw bytes, and say so.
            return (self._binary_hits(path, data)
                    + [LeakHit(path, UNSCANNABLE, f"cannot open archive: {exc}", "", "第二条")])
        return out

    # -- a directory ----------------------------------------------------------------

    def _scan_file(self, root: Path, rel: str) -> list[LeakHit]:
        full = root / rel
        seen = self._already.get(rel)
        try:
            st = full.stat()
            if not stat.S_ISREG(st.st_mode):
                return [LeakHit(rel, UNSCANNABLE, "not a regular file", "", "第二条")]
            if st.st_size > MAX_FILE_BYTES:
                return [LeakHit(rel, UNSCANNABLE, "file over the size limit", "", "第二条")]
            data = full.read_bytes()
        except OSError as exc:
            return [LeakHit(rel, UNSCANNABLE, f"cannot read: {exc}", "", "第二条")]
        if seen is not None and seen == content_digest(data):
            self._unchanged.add(rel)
            return []  # scanned as it was written, and unchanged since
        if self.public_files is not None and self.public_files.holds(data):
            return []  # a copy of an installed theme's or plugin's own file: public code
        return self.scan_bytes(rel, data)

    def _scan_files(self, root: Path, rels: list[str]) -> list[LeakHit]:
        hits: list[LeakHit] = []
        for rel in rels:
            hits.extend(self._scan_file(root, rel))
        return hits

    def _name_hits(self, rels: list[str], prefix: str = "") -> list[LeakHit]:
        """Withheld text, markings and personal data in the output's file and directory
        names (or an archive's member names, ``prefix`` its path and ``!``): a name is on
        the site (its address, every link to it, the sitemap) as much as a file's text is.
        All names are searched at once; only when something is found is each one searched
        again, to say which."""
        joined = "\n".join(rels)
        if not joined or not self._name_texts_hits(prefix + "(names)", joined):
            return []
        out: list[LeakHit] = []
        for rel in rels:
            for h in self._name_texts_hits(prefix + rel, rel):
                out.append(replace(h, label=f"{h.label}（在文件或目录名中 in the file or directory name）"))
        return out

    def _spread_hits(self, path: str, names: str) -> list[LeakHit]:
        """Han-only needles found, in order, in the ideographs of one name with other
        ideographs between (信访人反映的目录问题正在核查中), within twice the needle's length:
        an editor chooses names alone.  Each needle is tried only on names holding every
        one of its characters (found by its rarest one)."""
        if not self._proj_labels:
            return []
        if self._spread_index is None:
            freq: dict[str, int] = {}
            for key, _, _ in self._proj_labels:
                for ch in set(key):
                    freq[ch] = freq.get(ch, 0) + 1
            index: dict[str, list[int]] = {}
            for i, (key, _, _) in enumerate(self._proj_labels):
                index.setdefault(min(set(key), key=lambda c: (freq[c], c)), []).append(i)
            self._spread_index = index
        found: set[int] = set()
        for line in names.split("\n"):
            han = project_cjk(line).replace("\x00", "")
            if len(han) < MIN_PROJECTED:
                continue
            chars = set(han)
            for ch in chars & self._spread_index.keys():
                for i in self._spread_index[ch]:
                    key = self._proj_labels[i][0]
                    if i not in found and set(key) <= chars and _spread_in(key, han, 2 * len(key)):
                        found.add(i)
        return [LeakHit(path, LEAKED_TEXT, self._proj_labels[i][1] + SPREAD, mask(self._proj_labels[i][0]),
                        "第二条、第九条") for i in sorted(found)]

    def _name_texts_hits(self, path: str, text: str) -> list[LeakHit]:
        """A name (or names, one per line) read every way a reader may read an address:
        as written; without its separators (``/``, ``_``, ``-``, ``.``, brackets …: a
        sentence split over directories or by punctuation); without Latin letters either
        (``620602x1985…``); by its ideographs alone (the projected needles, as in a page's
        text); and, for markings and personal data, also cut at every separator
        (``绝密-1年`` holds the marking ``绝密``)."""
        text = _as_digits(text)  # ٦٢٠, 〇一二…: digits as any reader reads them
        simplified = _simplified(text)
        if simplified != text:  # 信訪人… as 信访人…: a name in traditional characters
            text = f"{text}\n{simplified}"
        nosep = _NAME_SEPARATOR.sub("", text)
        core = _NAME_LETTER.sub("", nosep)
        pieces = _NAME_SEPARATOR.sub("\n", text)
        # A name's directories each dropped in turn: a sentence with a word put between its
        # halves as a directory of its own (信访人反映的/目录/问题正在核查中).
        dropped = _dropped_levels(text)
        shown = normalise(text)
        hits = (self.find_in_texts(path, [text, nosep, core, dropped])
                + self._projected_hits(path, [shown, dropped])
                + self._spread_hits(path, shown))
        for form in (pieces, nosep, core):
            hits += self._content_hits(path, normalise(form), False)
        # Digits alone, ideographs between them dropped too (620602年1985…): an ID number
        # only, whose check digit makes a chance match of a name's digits unlikely.
        digits = "\n".join(_NAME_NOT_DIGIT.sub("", part) for line in text.split("\n")
                           for part in (line, *line.split("/")))
        hits += [h for h in self._content_hits(path, digits, False) if h.kind == "resident-id"]
        return _unique(hits)

    def scan_dir(self, site_dir: str | Path, workers: int = 1,
                 already: Mapping[str, bytes] | None = None,
                 unchanged: set[str] | None = None) -> list[LeakHit]:
        """Scan every file under ``site_dir``; returns hits sorted by path.

        ``workers > 1`` scans in that many processes (files are shared out
        by size); worth it for output directories of tens of megabytes.
        ``already`` maps a path to the ``content_digest`` of the bytes that
        were scanned before they were written; such a file is read and
        compared, and scanned again only if it changed since; ``unchanged`` (when
        given, with ``workers=1``) receives the paths found unchanged.
        """
        self._already = dict(already or {})
        self._unchanged = unchanged if unchanged is not None else set()
        root = Path(site_dir)
        hits: list[LeakHit] = list(self.problems)
        files: list[tuple[int, str]] = []
        dirs: list[str] = []
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            for d in dirnames:
                full = Path(dirpath, d)
                dirs.append(full.relative_to(root).as_posix())
                if full.is_symlink():
                    hits.append(LeakHit(full.relative_to(root).as_posix(), UNSCANNABLE,
                                        "symbolic link to a directory in the output", "", "第二条"))
            for fn in filenames:
                full = Path(dirpath, fn)
                try:
                    size = full.stat().st_size
                except OSError:
                    size = 0
                files.append((size, full.relative_to(root).as_posix()))
        hits.extend(self._name_hits([rel for _, rel in files] + dirs))
        if workers > 1 and len(files) > 1:
            # Largest first, each to the least-loaded share.
            shares: list[list[str]] = [[] for _ in range(workers)]
            loads = [0] * workers
            for size, rel in sorted(files, reverse=True):
                i = loads.index(min(loads))
                shares[i].append(rel)
                loads[i] += size + 4096
            method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
            with ProcessPoolExecutor(workers, mp_context=mp.get_context(method)) as pool:
                for part in pool.map(self._scan_files, [root] * workers, shares):
                    hits.extend(part)
        else:
            hits.extend(self._scan_files(root, [rel for _, rel in files]))
        hits.sort(key=lambda h: h.path)
        return hits
