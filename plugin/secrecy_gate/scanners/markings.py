"""Secrecy markings, internal-material markers and disclosure notes in a page body.

第六条（一）: 已标注国家秘密标志并仍在保密期限内的政府信息不得公开 — a body
that carries a secrecy marking (GB/T 9704-2012 ``密级★保密期限``) is evidence
that the text is classified.  第六条（二）: 工作秘密 has no statutory mark, so
the usual internal-material marker *lines* (``内部资料 注意保存``) count too.
第五条 (and 政府信息公开条例): a note such as ``（此件公开发布）`` states the
disclosure decided when the document was issued; ``contradicts`` compares it
with the review record.

Everything is matched on ``normalise(body)`` (NFKC, format characters
removed).  Ordinary words are not markings: 国家秘密, 商业秘密, 机密性,
保守国家秘密法, “涉及国家秘密、工作秘密、商业秘密” in a sentence never match.

What counts as a marking:

* anywhere in a line: a level followed by a star and a period
  (``秘密★1年``, ``机密 ★ 6个月``, ``绝密★长期``, ``秘密★2027年12月31日解密``),
  or by a real star alone (``机密★``); a star followed by a level at the end
  of a phrase (``★秘密``); ``密级：秘密``.  Stars: ★☆*※ and look-alikes.
  The ASCII ``*`` (also what ``＊`` becomes) counts only when it cannot be
  Markdown emphasis (``**机密**`` is bold text, not a marking);
* a line that, once heading marks, block quotes, emphasis, brackets and
  inline HTML tags are stripped, is just a level (``秘　密``, ``## 绝密``);
* a line made only of internal-material markers and secrecy markings
  (``内部资料 注意保存``, ``【工作秘密】``, ``**仅供内部使用**``), or such a
  bracketed group at the very start or end of a line
  (``关于……的通知（内部资料）``).

List items (``- 秘密``) and table cells are not marking lines: a list of the
three levels explains them, it does not mark the page.
"""

from __future__ import annotations

import bisect
import re

from .text import (DISCLOSURE_NOTE, INTERNAL_MARKER, SECRECY_MARKING, Hit, NormalisedText,
                   as_normalised)

__all__ = ["Hit", "find_markings", "find_disclosure_notes", "contradicts", "NOTE_VALUES"]

_SP = r"[ \t]*"
_LEVEL = (r"(?P<level>(?:绝|絕|絶)[ \t]*密|(?:机|機)[ \t]*密|(?:秘|祕)[ \t]*密"
          r"|核[ \t]*心[ \t]*商[ \t]*密|普[ \t]*通[ \t]*商[ \t]*密)")
_REALSTAR = "[★☆※∗⁎✱✲✳✶✷✸✹✺⭐✩✪✫✬✭✮✯✰٭]"
_NUM = "[0-9一二三四五六七八九十两]+"
_PERIOD = (
    r"(?P<period>"
    rf"[0-9]{{4}}{_SP}年{_SP}[0-9]{{1,2}}{_SP}月{_SP}[0-9]{{1,2}}{_SP}日{_SP}(?:前{_SP})?解{_SP}密"
    rf"|[0-9]{{4}}[-./][0-9]{{1,2}}[-./][0-9]{{1,2}}{_SP}(?:前{_SP})?解{_SP}密"
    rf"|长{_SP}期|永{_SP}久"
    rf"|{_NUM}{_SP}(?:年|个{_SP}月|月|天|日)"
    r")"
)
# What may follow a marking that ends without a period: the end of the line,
# a closing bracket or punctuation — never more running text.
_END = r"(?=[ \t]*(?:$|[)\]】〕」』>|,，。.;；:：、]))"

# Level + star (+ period), anywhere.
_LEVEL_STAR = re.compile(
    rf"{_LEVEL}{_SP}{_REALSTAR}(?:{_SP}{_PERIOD})?"
    rf"|(?<!\*){_LEVEL.replace('?P<level>', '?P<level2>')}{_SP}\*(?!\*)"
    rf"(?:{_SP}{_PERIOD.replace('?P<period>', '?P<period2>')}|{_END})",
    re.MULTILINE,
)
# Star + level, at the end of a phrase.
_STAR_LEVEL = re.compile(
    rf"(?:{_REALSTAR}{_SP}|(?<![*\w])\*(?![ \t*])){_LEVEL}(?!\*)"
    rf"(?:{_SP}{_PERIOD.replace('?P<period>', '?P<period2>')})?{_END}",
    re.MULTILINE,
)
# 密级：秘密 (a form field), optionally with star and period.
_FIELD = re.compile(
    rf"密{_SP}级{_SP}[:：]{_SP}{_LEVEL}(?:{_SP}(?:{_REALSTAR}|\*))?"
    rf"(?:{_SP}{_PERIOD})?(?![ \t]*[、和或及与至到])",
    re.MULTILINE,
)

# Internal-material markers (工作秘密 has no statutory mark).
_MARKER_WORDS = (
    "工作秘密", "内部资料", "内部文件", "内部事项", "内部使用", "内部参考", "内部传阅",
    "内部刊物", "内部发行", "内部明电", "仅供内部使用", "仅供内部参考", "仅供内部传阅",
    "仅供内部", "仅限内部使用", "限内部使用", "注意保存", "注意保管", "妥善保管", "注意保密",
    "不得外传", "严禁外传", "请勿外传", "禁止外传", "不得翻印", "严禁翻印", "请勿翻印",
    "不得复制", "用后收回", "会后收回", "阅后收回", "阅后退回",
)
_MARKER = "(?:" + "|".join(
    _SP.join(re.escape(c) for c in w) for w in sorted(_MARKER_WORDS, key=len, reverse=True)
) + ")"
_LEVEL_TOKEN = rf"{_LEVEL.replace('?P<level>', '?:')}(?:{_SP}(?:{_REALSTAR}|\*))?(?:{_SP}{_PERIOD.replace('?P<period>', '?:')})?"
_TOKEN = rf"(?:{_MARKER}|{_LEVEL_TOKEN})"
_SEP = r"(?:[ \t、,，·・/;；()\[\]【】〔〕「」『』])+"
_TOKENS = re.compile(rf"{_TOKEN}(?:{_SEP}{_TOKEN})*")
_HAS_MARKER = re.compile(_MARKER)
_LEVEL_ALONE = re.compile(_LEVEL_TOKEN)
_BRACKET_OPEN = "([【〔「『"
_BRACKET_CLOSE = ")]】〕」』"
_BRACKET_GROUP_START = re.compile(rf"^[{re.escape(_BRACKET_OPEN)}]{_SP}(?P<g>{_TOKENS.pattern}){_SP}[{re.escape(_BRACKET_CLOSE)}]")
_BRACKET_GROUP_END = re.compile(rf"[{re.escape(_BRACKET_OPEN)}]{_SP}(?P<g>{_TOKENS.pattern}){_SP}[{re.escape(_BRACKET_CLOSE)}]$")

# Lines worth a closer look: a cheap first pass (a character-class prefix the
# regex engine scans for quickly); only the lines it finds are examined.
# (Two patterns: one alternation of both is ten times slower.)
_QUICK = (re.compile(r"[绝絕絶机機秘祕商][ \t]*密"), re.compile(_MARKER))

# A marking line (with a bracketed group, a title: 【工作秘密】关于……的通知) is
# short; longer lines are running text and only the patterns above apply.
_MAX_MARKING_LINE = 200

_STRIP_TAGS = re.compile(r"<[^<>\n]*>")
_BLOCKQUOTE = re.compile(r"^(?:[ \t]*>)+")
_HEADING = re.compile(r"^[ \t]*#{1,6}(?:[ \t]+|$)")
_HEADING_CLOSE = re.compile(r"[ \t]+#+[ \t]*$")
_ATTR_LIST = re.compile(r"[ \t]*\{[:.#][^}\n]*\}[ \t]*$")
_EDGE_CHARS_NO_BRACKETS = " \t*_~=`\\"
_EDGE_CHARS = _EDGE_CHARS_NO_BRACKETS + _BRACKET_OPEN + _BRACKET_CLOSE


def _core(line: str, edges: str = _EDGE_CHARS) -> str:
    """A line without Markdown decoration: the text a reader sees as the line."""
    s = _STRIP_TAGS.sub(" ", line)
    s = _BLOCKQUOTE.sub("", s)
    s = _HEADING.sub("", s)
    s = _HEADING_CLOSE.sub("", s)
    s = _ATTR_LIST.sub("", s)
    return s.strip(edges)


def _describe(m: re.Match) -> tuple[str, str]:
    compact = re.sub(r"[ \t]", "", m.group())
    return f"国家秘密标志“{compact}”", f"secrecy marking {compact}"


def find_markings(body: str | NormalisedText) -> list[Hit]:
    """Secrecy markings and internal-material marker lines (第六条（一）（二）).

    Returns one ``Hit`` per marking, kind ``secrecy-marking`` or
    ``internal-marker``, sorted by position; offsets refer to ``body``.
    """
    return _find_markings(as_normalised(body))


def _find_markings(nt: NormalisedText) -> list[Hit]:
    text = nt.text
    hits: list[Hit] = []
    # Per kind, the accepted spans (never overlapping, so sorted by start and by end alike):
    # an overlap test is a bisection, and 30,000 markings cost no more than 30,000 lookups.
    taken: dict[str, tuple[list[int], list[int]]] = {}

    def add(kind: str, start: int, end: int, zh: str, en: str, article: str) -> None:
        starts, ends = taken.setdefault(kind, ([], []))
        i = bisect.bisect_left(starts, end)   # spans starting before this one ends
        if i and ends[i - 1] > start:
            return
        j = bisect.bisect_left(starts, start)
        if j < len(starts) and starts[j] < end:
            return
        starts.insert(j, start)
        ends.insert(j, end)
        hits.append(nt.hit(kind, start, end, detail=zh, detail_en=en, article=article))

    lines: set[tuple[int, int]] = set()
    for quick in _QUICK:
        q = quick.search(text)
        while q:
            ls, le = nt.line_bounds(q.start())
            lines.add((ls, le))
            q = quick.search(text, le + 1)  # each candidate line is examined once
    for ls, le in sorted(lines):
        for rx in (_LEVEL_STAR, _STAR_LEVEL, _FIELD):
            for m in rx.finditer(text, ls, le):
                zh, en = _describe(m)
                add(SECRECY_MARKING, m.start(), m.end(), zh, en, "第六条（一）")
        line = text[ls:le]
        if len(line) > _MAX_MARKING_LINE:
            continue
        core = _core(line)
        if not core:
            continue
        offset = ls + line.find(core) if core in line else ls
        end = offset + len(core) if core in line else le
        if _LEVEL_ALONE.fullmatch(core):
            lm = re.match(_LEVEL, core)
            level = re.sub(r"[ \t]", "", lm.group("level")) if lm else core
            add(SECRECY_MARKING, offset, end, f"单独成行的密级标志“{level}”",
                f"secrecy level {level} on a line of its own", "第六条（一）")
            continue
        group = None
        if _TOKENS.fullmatch(core) and _HAS_MARKER.search(core):
            group = (offset, end)
        else:
            # A bracketed marker group opening or closing a line: 【工作秘密】关于…, …（内部资料）
            loose = _core(line, _EDGE_CHARS_NO_BRACKETS)
            loffset = ls + line.find(loose) if loose and loose in line else ls
            for rx in (_BRACKET_GROUP_START, _BRACKET_GROUP_END):
                bm = rx.search(loose)
                if bm and _HAS_MARKER.search(bm.group("g")):
                    group = (loffset + bm.start(), loffset + bm.end())
                    break
        if group:
            words = re.sub(r"[ \t]+", " ", text[group[0]:group[1]]).strip()
            add(INTERNAL_MARKER, group[0], group[1], f"内部资料标志“{words}”",
                f"internal-material marking {words!r}", "第六条（二）")

    hits.sort(key=lambda h: h.start)
    return hits


# -- disclosure notes (第五条) ----------------------------------------------------

NOTE_VALUES = ("主动公开", "依申请公开", "删减后公开", "不予公开")

_NOTE_WORDS = {
    "公开发布": "主动公开", "主动公开": "主动公开", "予以公开": "主动公开", "公开": "主动公开",
    "依申请公开": "依申请公开", "删减后公开": "删减后公开",
    "不予公开": "不予公开", "不公开": "不予公开",
}
_NOTE_ALT = "|".join(sorted(_NOTE_WORDS, key=len, reverse=True))
_NOTE = re.compile(rf"[(\[【〔]{_SP}此{_SP}件{_SP}(?P<w>{_NOTE_ALT}){_SP}[)\]】〕]")
_NOTE_FIELD = re.compile(
    rf"(?:信息{_SP})?公开{_SP}(?:属性|方式|选项|类型|形式){_SP}[:：]{_SP}"
    r"(?P<w>主动公开|依申请公开|删减后公开|不予公开|不公开)"
)
_DISCLOSURE_ALIASES = {
    "proactive": "主动公开", "on_request": "依申请公开", "redacted": "删减后公开",
    "withheld": "不予公开",
}
# How open each decision is: a page may be less open than its note, never more.
_OPENNESS = {"不予公开": 0, "依申请公开": 1, "删减后公开": 2, "主动公开": 3}


def find_disclosure_notes(body: str | NormalisedText) -> list[tuple[str, Hit]]:
    """Disclosure notes in the body (第五条; 政府信息公开条例第二十条).

    ``（此件公开发布）``/``（此件主动公开）`` → 主动公开, ``（此件依申请公开）`` →
    依申请公开, ``（此件不予公开）`` → 不予公开, ``（此件删减后公开）`` →
    删减后公开; also the catalogue line ``公开属性：主动公开`` (or
    ``信息公开选项：``/``公开方式：``).  Returns ``(note_value, hit)`` pairs.
    """
    nt = as_normalised(body)
    out: list[tuple[str, Hit]] = []
    for rx in (_NOTE, _NOTE_FIELD):
        for m in rx.finditer(nt.text):
            value = _NOTE_WORDS.get(m.group("w"), m.group("w"))
            if value == "不公开":
                value = "不予公开"
            out.append((value, nt.hit(DISCLOSURE_NOTE, m.start(), m.end(),
                                      detail=f"公开属性注记“{value}”",
                                      detail_en=f"disclosure note {value}", article="第五条")))
    out.sort(key=lambda p: p[1].start)
    return out


def contradicts(note_value: str, disclosure: str) -> bool:
    """Whether a disclosure note in the body contradicts ``review.disclosure`` (第五条).

    The review may be *stricter* than the note, never *more open*.  Openness:
    不予公开 < 依申请公开 < 删减后公开 < 主动公开.  So:

    * a 主动公开 note fits every decision (a 删减后公开 page publishes the
      document with its secret points removed; a later review may restrict it);
    * a 删减后公开 note contradicts 主动公开 (the full text would be published);
    * a 依申请公开 note contradicts 主动公开 and 删减后公开;
    * a 不予公开 note contradicts every decision except 不予公开.

    English aliases (``proactive`` …) are accepted.  An unknown value on
    either side counts as a contradiction (fail closed).
    """
    note = _DISCLOSURE_ALIASES.get(note_value, note_value)
    decision = _DISCLOSURE_ALIASES.get(disclosure, disclosure)
    if note not in _OPENNESS or decision not in _OPENNESS:
        return True
    return _OPENNESS[decision] > _OPENNESS[note]
