"""Unmasked personal information in a page body (第六条（二）个人隐私, 第七条).

第六条（二）: information that touches 个人隐私 must not be published;
第七条: 个人隐私 of a third party is published only with its consent or a
public-interest approval.  A page may publish a number on purpose (an
official's published mobile, an agency account) by listing it in
``review.pii_allowed`` with a reason; everything else is reported.

Detected on the text a reader sees (``NormalisedText.reader``: full-width digits
count, tags removed, character references decoded, so ``<span>620602</span><span>…``
and ``620602&nbsp;19850315&nbsp;1239`` are one number), by following the number,
not the line: a digit run is digit groups joined by what people type between them
(one to three spaces, hyphens or dots in any mix, a hard line break, ``<br>``), and
every stretch of consecutive groups is judged — never ``\\b``, since CJK characters
are word characters:

* resident ID numbers (GB 11643-1999): 17 digits and a check character
  (``X`` or ``x``), weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, check
  ``"10X98765432"[sum % 11]``, and a real birth date between 1900-01-01 and
  today; in any grouping (``620602-1985-0315-1239``, ``6206 0219 8503 1512 39``);
* first-generation resident ID numbers (issued until 2004, valid until 2013, and
  still in old registers and spreadsheets): 15 digits — a province code (11–82),
  four more region digits, a birth date ``YYMMDD`` of the 1900s that is a real
  date, and three sequence digits; they have no check character, so the province
  and the date are all that tell them from other 15-digit numbers;
* bank card numbers: 16–19 digits starting 62, 4 or 51–55, in any grouping, only
  with a context word (银行卡, 卡号, 账号, 一卡通 …, spaced out or not: ``账　号``)
  within 20 characters before or 12 after (``6228…（卡号）``), or in the header
  cell of the table column the number stands in (Markdown or ``<th>``); the Luhn
  check is reported as a hint, never required (some UnionPay debit cards fail it);
* mobile numbers: ``1[3-9]`` and 9 more digits, optionally ``+86``/``86``, in
  groups of three digits or more; not an amount: no decimal part
  (``13812345678.56``), no unit after (``13812345678元``), no currency sign before.

Each group is used by one finding at most, so findings are collected in one
pass, linear in the text.

Not personal information: landlines (``0935-2212345``, ``(0935)2212345``),
统一社会信用代码 (letters), document and index numbers, 18-digit numbers with a
bad date or check character, and masked forms (``110105********002X``,
``620***********1234``, ``138****5678``, ``张*``, ``张某``): any mask character
(``*＊×●•``) breaks the digit run, so a masked number never matches.  ``X``
is never a mask inside an ID: only the last character may be ``X``.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable

import bisect

from .text import (BANK_CARD, MOBILE, RESIDENT_ID, ROW, TABLE, Hit, NormalisedText, as_normalised,
                   mask)

__all__ = ["Hit", "find_pii", "canonical", "id_checksum_ok", "old_id_ok", "luhn_ok", "CONTEXT_WORDS"]

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# The check character X as it is typed: Latin ``X``/``x``, the multiplication sign ``×``
# (Chinese input methods offer it for "x"), Greek ``Χ``/``χ`` and Cyrillic ``Х``/``х``
# (they look the same in every font); all are read as ``X``.
X_CHARS = "Xx\u00d7\u03a7\u03c7\u0425\u0445"
_TO_X = str.maketrans({c: "X" for c in X_CHARS[1:]})

# A number as people type it: digit groups joined by the separators clerks use — one to
# three spaces, hyphens or dots in any mix, or a hard line break (text pasted from a PDF,
# ``<br>`` in a table cell) — with an ``X`` check character at the very end.  The groups
# are judged, not the run: a run may hold several numbers side by side.
# Dashes Word's autoformat types (en, em, minus …), slashes, underscores and middle dots
# join groups too: ``620602–19850315–1239``, ``620602/19850315/1239``.
_SEP = r"(?:[ \t.\-/_·・\u2010-\u2015\u2212\ufe63]{1,3}|[ \t]*\n[ \t]*)"
_RUN = re.compile(rf"(?<![0-9])[0-9]+(?:{_SEP}[0-9]+)*(?:[{X_CHARS}](?![0-9A-Za-z]))?")
_GROUP = re.compile(rf"[0-9]+[{X_CHARS}]?")
# Stretches of digits and separators long enough to hold a number of 11 characters or more:
# ``_RUN`` is tried inside them only (a page's many dates and short figures cost one pass of
# a character class).
_DENSE = re.compile(rf"[0-9][0-9 \t\n.\-/_·・\u2010-\u2015\u2212\ufe63]{{9,}}[0-9{X_CHARS}]")
# UnionPay 62, Visa 4, Mastercard 51–55, and the banks' own account numbers people list
# as card numbers (Bank of China 601382, ICBC 9558, ABC 95599 …): judged with a context word.
_CARD_PREFIX = re.compile(r"6[0-9]|4[0-9]|5[1-5]|9[0-9]")
_MOBILE_DIGITS = re.compile(r"(?:0086|86)?1[3-9][0-9]{9}")
# What makes an 11-digit number an amount, not a mobile: a decimal part (a separator
# that is a lone dot, before or after), a currency sign before or a unit after.
_AMOUNT_AFTER = re.compile(r"[ \t]*(?:元|圆|万|亿|角|块|美元|港元|欧元|RMB|CNY|USD)")
_CURRENCY_BEFORE = ("¥", "$", "￥", "RMB", "CNY")
CONTEXT_WORDS = ("银行卡", "卡号", "账号", "帐号", "开户", "银行账户", "银行帐户", "账户", "帐户",
                 "信用卡", "借记卡", "储蓄卡", "收款账", "收款帐", "一卡通", "存折", "社保卡", "社会保障卡")
# A form label may be spaced out to align a form (``账　号：``, ``账&nbsp;&nbsp;号``): blanks
# between the characters of a context word do not hide it.
_CONTEXT = re.compile("|".join("[ \t]*".join(w) for w in sorted(CONTEXT_WORDS, key=len, reverse=True)))
CONTEXT_WINDOW = 20        # characters before a card number
# A form label with a note in brackets before its colon: ``账号（开户银行为…支行营业部）：6228…``.
_LABEL_NOTE = re.compile(r"[（(][^（）()\n]{0,60}[）)][ \t]*[：:][ \t]*\Z")
CONTEXT_AFTER = 12         # characters after it: ``6228…（卡号）``


def id_checksum_ok(digits17_and_check: str) -> bool:
    """GB 11643-1999 check character of an 18-character resident ID number."""
    v = digits17_and_check.translate(_TO_X).upper()
    if len(v) != 18 or not v[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(v[:17], ID_WEIGHTS))
    return ID_CHECK[total % 11] == v[17]


def _birth_date_ok(v: str, today: _dt.date) -> bool:
    try:
        born = _dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return False
    return _dt.date(1900, 1, 1) <= born <= today


# 第一代居民身份证: the first two digits are a province (GB/T 2260).
PROVINCES = frozenset({"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35",
                       "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54",
                       "61", "62", "63", "64", "65", "71", "81", "82"})


def old_id_ok(digits15: str) -> bool:
    """A 15-digit first-generation resident ID number: province code and a real 19YYMMDD date."""
    if len(digits15) != 15 or not digits15.isdigit() or digits15[:2] not in PROVINCES:
        return False
    try:
        _dt.date(1900 + int(digits15[6:8]), int(digits15[8:10]), int(digits15[10:12]))
    except ValueError:
        return False
    return True


def _old_id_grouping(sizes: list[int]) -> bool:
    """How people write a 15-digit ID: in one piece, region|birth date|sequence (6 6 3), or in
    fours (4 4 4 3) — never dates and amounts that happen to follow each other."""
    ends, total = set(), 0
    for size in sizes[:-1]:
        total += size
        ends.add(total)
    return ends <= {6, 12} or ends <= {4, 8, 12}


def luhn_ok(digits: str) -> bool:
    """Luhn (mod 10) check; a hint only for bank cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def canonical(value: str) -> str:
    """The comparable form of a number: digits and ``X`` only, ``+86`` dropped from mobiles."""
    v = re.sub(r"[^0-9X]", "", value.translate(_TO_X).upper())
    if len(v) == 13 and v.startswith("86") and v[2] == "1":
        v = v[2:]
    elif len(v) == 15 and v.startswith("0086") and v[4] == "1":
        v = v[4:]
    return v


def find_pii(body: str | NormalisedText, allowed: Iterable[str] = (), *, today: _dt.date | None = None) -> list[Hit]:
    """Unmasked personal information (第六条（二）, 第七条).

    ``allowed`` is the list of ``review.pii_allowed[].value`` strings: a hit
    whose canonical value (digits and X) equals an allowed value's canonical
    form is not reported.  ``Hit.matched`` is always masked.
    """
    return _find_pii(as_normalised(body), allowed, today)


class _Tables:
    """The header cell above a position of a reader's text, for Markdown and HTML tables.

    A Markdown table is a block of consecutive lines holding ``|``; its header is the
    first.  An HTML table (``ReaderView``: ``\\x1d`` table, ``\\x1e`` row, ``|`` cell)
    has as its header the first row with a cell.  Built once per text, when a card-like
    number has no context word near it; each lookup is a bisection.
    """

    def __init__(self, text: str):
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.block_start: list[int] = []   # per line: the first line of its table block
        first = -1
        for k, ls in enumerate(self.line_starts):
            le = self.line_starts[k + 1] - 1 if k + 1 < len(self.line_starts) else len(text)
            if "|" in text[ls:le] and TABLE not in text[ls:le]:
                first = k if first < 0 else first
            else:
                first = -1
            self.block_start.append(first)
        self.tables = [m.start() for m in re.finditer(TABLE, text)]

    def header(self, pos: int) -> str:
        text = self.text
        t = bisect.bisect_right(self.tables, pos) - 1
        if t >= 0 and t % 2 == 0 and text.find(TABLE, self.tables[t] + 1) > pos:
            # Inside an HTML table (its rows may span lines): the first row with a cell.
            row_start = max(text.rfind(ROW, 0, pos), self.tables[t]) + 1
            before = text[row_start:pos]
            i = text.find("|", self.tables[t], pos)
            if "|" not in before or i < 0 or i >= row_start:
                return ""
            he = text.find(ROW, i)
            head = text[i:he if he >= 0 else pos]
        else:
            row_start = text.rfind("\n", 0, pos) + 1
            before = text[row_start:pos]
            if "|" not in before:
                return ""
            k = bisect.bisect_right(self.line_starts, pos) - 1
            first = self.block_start[k]
            if first < 0 or first == k:
                return ""
            head = text[self.line_starts[first]:self.line_starts[first + 1] - 1]
        cells = head.split("|")
        index = before.count("|")
        if head.lstrip().startswith("|") != before.lstrip().startswith("|"):
            index += 1 if head.lstrip().startswith("|") else -1
        return cells[index] if 0 <= index < len(cells) else ""


def _context(text: str, start: int, end: int, tables: list) -> tuple[str, str, str] | None:
    """The context word that makes a card-like number a bank card, and where it stands."""
    cm = None
    for cm in _CONTEXT.finditer(text, max(0, start - CONTEXT_WINDOW), start):
        pass
    if cm is not None:
        return re.sub(r"[ \t]", "", cm.group()), "前有", "after"
    note = _LABEL_NOTE.search(text, max(0, start - 70), start)
    if note is not None:
        cm = None
        for cm in _CONTEXT.finditer(text, max(0, note.start() - 8), note.start()):
            pass
        if cm is not None and not text[cm.end():note.start()].strip(" \t"):
            return re.sub(r"[ \t]", "", cm.group()), "前有", "after"
    cm = _CONTEXT.search(text[end:end + CONTEXT_AFTER])
    if cm is not None:
        return re.sub(r"[ \t]", "", cm.group()), "后有", "before"
    if "|" not in text:
        return None
    if not tables:
        tables.append(_Tables(text))
    cm = _CONTEXT.search(tables[0].header(start))
    if cm is not None:
        return re.sub(r"[ \t]", "", cm.group()), "所在表格列的表头为", "under the column header"
    return None


def _is_amount(text: str, start: int, end: int, seps: tuple[str, str]) -> bool:
    """An 11-digit number with a decimal part, a currency sign or a unit is an amount."""
    if seps[0] == "." or seps[1] == ".":
        return True
    if _AMOUNT_AFTER.match(text, end):
        return True
    head = text[max(0, start - 4):start].rstrip()
    return head.endswith(_CURRENCY_BEFORE)


def _find_pii(nt: NormalisedText, allowed: Iterable[str] = (),
              today: _dt.date | None = None) -> list[Hit]:
    today = today or _dt.date.today()
    allow = {canonical(a) for a in allowed if a}
    view = nt.reader
    text = view.text
    hits: list[Hit] = []
    tables: list = []  # built at most once, when a number needs its column header

    def add(kind: str, start: int, end: int, value: str, zh: str, en: str) -> None:
        if canonical(value) in allow:
            return
        s, e = view.to_source(start), view.to_source(end, True)
        hits.append(nt.hit(kind, s, e, matched=mask(canonical(value)), detail=zh, detail_en=en,
                           article="第六条（二）、第七条"))

    runs = (run for dense in _DENSE.finditer(text)
            # One character past the stretch: the lookahead after a final X sees what follows.
            for run in _RUN.finditer(text, dense.start(), dense.end() + 1))
    for run in runs:
        if run.end() - run.start() < 11:
            continue
        base = run.start()
        groups = [(base + g.start(), base + g.end(), g.group()) for g in _GROUP.finditer(run.group())]
        n = len(groups)
        i = 0
        while i < n:
            # The groups from i on, as long as they can still make one number (19 digits).
            spans: list[tuple[int, str]] = []
            digits = ""
            for j in range(i, n):
                digits += groups[j][2]
                if len(digits) > 19:
                    break
                spans.append((j, digits))
                if digits[-1] in X_CHARS:
                    break
            found = -1
            for j, d in spans:
                if len(d) == 18:
                    v = d.translate(_TO_X).upper()
                    if id_checksum_ok(v) and _birth_date_ok(v, today):
                        add(RESIDENT_ID, groups[i][0], groups[j][1], v,
                            "居民身份证号码（校验位与出生日期均有效）",
                            "resident ID number (valid check character and birth date)")
                        found = j
                        break
            if found < 0:
                for j, d in spans:
                    if len(d) == 15 and old_id_ok(d) and _old_id_grouping(
                            [len(g[2]) for g in groups[i:j + 1]]):
                        add(RESIDENT_ID, groups[i][0], groups[j][1], d,
                            "第一代居民身份证号码（15 位，省份代码与出生日期有效）",
                            "first-generation (15-digit) resident ID number (valid province code "
                            "and birth date)")
                        found = j
                        break
            if found < 0:
                cards = [(j, d) for j, d in reversed(spans)
                         if 16 <= len(d) <= 19 and d.isdigit() and _CARD_PREFIX.match(d)]
                ctx = _context(text, groups[i][0], groups[cards[0][0]][1], tables) if cards else None
                if ctx is not None:
                    j, d = cards[0]
                    word, where, where_en = ctx
                    ok = luhn_ok(d)
                    luhn = "，Luhn 校验通过" if ok else "，Luhn 校验未通过（部分银联借记卡如此）"
                    add(BANK_CARD, groups[i][0], groups[j][1], d, f"银行卡号（{where}“{word}”{luhn}）",
                        f"bank card number ({where_en} {word!r}; Luhn {'ok' if ok else 'fails'})")
                    found = j
            if found < 0:
                for j, d in spans:
                    if not (len(d) in (11, 13, 15) and _MOBILE_DIGITS.fullmatch(d)):
                        continue
                    lead = len(d) - 11  # the 86 / 0086 prefix, a group of its own or not
                    sizes = [len(g[2]) for g in groups[i:j + 1]]
                    if lead:
                        if sizes[0] == lead:
                            sizes = sizes[1:]
                        elif sizes[0] > lead:
                            sizes[0] -= lead
                        else:
                            continue
                    if min(sizes) < 3:
                        continue  # 1 38 1234 5678: not how anyone writes a mobile
                    s, e = groups[i][0], groups[j][1]
                    seps = (text[groups[i - 1][1]:s] if i else "", text[e:groups[j + 1][0]] if j + 1 < n else "")
                    if _is_amount(text, s, e, seps):
                        continue
                    if i == 0 and text[max(0, s - 1):s] == "+" and not lead:
                        continue  # +44 …: a foreign number, never a prefix of ours
                    add(MOBILE, s, e, d, "手机号码", "mobile phone number")
                    found = j
                    break
            i = found + 1 if found >= 0 else i + 1

    hits.sort(key=lambda h: h.start)
    return hits
