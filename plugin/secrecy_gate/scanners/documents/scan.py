"""The page scanners on an attachment's texts: markings (第六条（一）) and personal information
(第六条（二）、第七条), with the places the hits came from.

Hits are found once per extract and per day (the birth-date check depends on
today) with no allowance; each page's ``review.pii_allowed`` is applied
afterwards, per value (``DocHit.value``), so two pages listing the same file
with different allowances share one scan.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from ..markings import find_markings
from ..pii import canonical, find_pii
from .model import Extract


@dataclass(frozen=True)
class DocHit:
    kind: str          # secrecy-marking, internal-marker, resident-id, bank-card, mobile
    where_zh: str
    where_en: str
    matched: str       # masked for personal information
    detail_zh: str
    detail_en: str
    article: str
    value: str = ""    # canonical digits of personal information (compared with pii_allowed)


PII_KINDS = ("resident-id", "bank-card", "mobile")


def scan(extract: Extract, today: _dt.date | None = None) -> list[DocHit]:
    today = today or _dt.date.today()
    memo = getattr(extract, "_scanned", None)
    if memo is not None and memo[0] == today:
        return memo[1]
    hits: list[DocHit] = []
    for t in extract.texts:
        if not t.text.strip():
            continue
        for h in find_markings(t.text):
            zh, en = t.where(h.start)
            hits.append(DocHit(h.kind, zh, en, h.matched, h.detail, h.detail_en, h.article or "第六条（一）"))
        for h in find_pii(t.text, today=today):
            zh, en = t.where(h.start)
            hits.append(DocHit(h.kind, zh, en, h.matched, h.detail, h.detail_en,
                               h.article or "第六条（二）、第七条",
                               canonical(t.text[h.start:h.end])))
    extract._scanned = (today, hits)
    return hits


def allowed(hits: list[DocHit], values) -> list[DocHit]:
    """The hits not covered by ``review.pii_allowed`` values."""
    allow = {canonical(v) for v in values if v}
    return [h for h in hits if h.kind not in PII_KINDS or h.value not in allow]
