"""Unmasked personal information in a page body (第六条（二）个人隐私, 第七条).

第六条（二）: information that touches 个人隐私 must not be published;
第七条: 个人隐私 of a third party is published only with its consent or a
public-interest approval.  A page may publish a number on purpose (an
official's published mobile, an agency account) by listing it in
``review.pii_allowed`` with a reason; everything else is reported.

Detected, on ``normalise(body)`` (full-width digits count), always with digit
look-arounds — never ``\\b``, since CJK characters are word characters:

* resident ID numbers (GB 11643-1999): 17 digits and a check character
  (``X`` or ``x``), weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, check
  ``"10X98765432"[sum % 11]``, and a real birth date between 1900-01-01 and
  today; written solid or grouped 6-8-4 by spaces;
* bank card numbers: 16–19 digits starting 62, 4 or 51–55, solid or grouped in
  fours by spaces or hyphens, only when a context word (银行卡, 卡号, 账号,
  帐号, 开户, 银行账户 …) stands within 20 characters before; the Luhn check
  is reported as a hint, never required (some UnionPay debit cards fail it);
* mobile numbers: ``1[3-9]`` and 9 more digits, optionally ``+86``/``86``
  and 3-4-4 grouping by spaces or hyphens.

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

from .text import BANK_CARD, MOBILE, RESIDENT_ID, Hit, NormalisedText, as_normalised, mask

__all__ = ["Hit", "find_pii", "canonical", "id_checksum_ok", "luhn_ok", "CONTEXT_WORDS"]

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

_ID = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{6} [0-9]{8} [0-9]{3}[0-9Xx])(?![0-9])")
_CARD = re.compile(
    r"(?<![0-9])(?:62|4[0-9]|5[1-5])[0-9]{2}"
    r"(?:[0-9]{12,15}|(?P<sep>[ \-])[0-9]{4}(?:(?P=sep)[0-9]{4}){2}(?:(?P=sep)[0-9]{1,4})?"
    r"|[0-9]{2} ?[0-9]{11,13})"
    r"(?![0-9])"
)
_MOBILE = re.compile(
    r"(?<![0-9+])(?:(?:\+|00)?86[ \-]?)?"
    r"1[3-9][0-9](?:[0-9]{8}|(?P<sep>[ \-])[0-9]{4}(?P=sep)[0-9]{4})"
    r"(?![0-9])"
)
# A cheap first pass: runs of at least 11 digits (spaces and hyphens allowed
# inside); the exact patterns only look at those runs.
_RUN = re.compile(r"[0-9][0-9 \-]{9,}[0-9Xx]")
CONTEXT_WORDS = ("银行卡", "卡号", "账号", "帐号", "开户", "银行账户", "银行帐户", "账户", "帐户",
                 "信用卡", "借记卡", "储蓄卡", "收款账", "收款帐")
_CONTEXT = re.compile("|".join(CONTEXT_WORDS))
CONTEXT_WINDOW = 20


def id_checksum_ok(digits17_and_check: str) -> bool:
    """GB 11643-1999 check character of an 18-character resident ID number."""
    v = digits17_and_check.upper()
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
    v = re.sub(r"[^0-9X]", "", value.upper())
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


def _find_pii(nt: NormalisedText, allowed: Iterable[str] = (),
              today: _dt.date | None = None) -> list[Hit]:
    today = today or _dt.date.today()
    allow = {canonical(a) for a in allowed if a}
    text = nt.text
    hits: list[Hit] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, start: int, end: int, value: str, zh: str, en: str) -> None:
        if canonical(value) in allow:
            return
        for a, b in taken:
            if start < b and a < end:
                return
        taken.append((start, end))
        hits.append(nt.hit(kind, start, end, matched=mask(canonical(value)), detail=zh, detail_en=en,
                           article="第六条（二）、第七条"))

    for run in _RUN.finditer(text):
        # The window reaches back for a "+86"/"0086" prefix; the exact patterns
        # check their own digit look-arounds against the whole text.
        lo, hi = max(0, run.start() - 4), min(len(text), run.end() + 1)
        for m in _ID.finditer(text, lo, hi):
            v = m.group().replace(" ", "").upper()
            if id_checksum_ok(v) and _birth_date_ok(v, today):
                add(RESIDENT_ID, m.start(), m.end(), v, "居民身份证号码（校验位与出生日期均有效）",
                    "resident ID number (valid check character and birth date)")

        for m in _CARD.finditer(text, lo, hi):
            digits = re.sub(r"[ \-]", "", m.group())
            if not 16 <= len(digits) <= 19:
                continue
            window = text[max(0, m.start() - CONTEXT_WINDOW):m.start()]
            cm = None
            for cm in _CONTEXT.finditer(window):
                pass
            if cm is None:
                continue
            ok = luhn_ok(digits)
            luhn = "，Luhn 校验通过" if ok else "，Luhn 校验未通过（部分银联借记卡如此）"
            add(BANK_CARD, m.start(), m.end(), digits, f"银行卡号（前有“{cm.group()}”{luhn}）",
                f"bank card number after {cm.group()!r} (Luhn {'ok' if ok else 'fails'})")

        for m in _MOBILE.finditer(text, lo, hi):
            add(MOBILE, m.start(), m.end(), m.group(), "手机号码", "mobile phone number")

    hits.sort(key=lambda h: h.start)
    return hits
