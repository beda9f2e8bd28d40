"""What an attachment holds once read: texts with their places, metadata, or why it cannot be read.

Every extractor (``pdf``, ``ooxml``, ``sheets``, ``odf``, ``plain``) returns an
``Extract``.  The texts keep *where* each character came from (a page, a
sheet and cell, a paragraph, a tracked deletion, a comment) as anchors, so a
finding can say where inside the file to look; the scanners run on the texts
as they run on a page body (``scan.py``).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


# In a place of a ``grid`` text: the spreadsheet column, counted from the row's cell separators.
COLUMN = "\x00col\x00"


@dataclass
class Text:
    """One text of a document (a page, a sheet, a document part) and its places.

    ``anchors`` are (offset, where in Chinese, where in English), sorted by
    offset: the place of a character is the last anchor at or before it.
    """

    text: str = ""
    grid: bool = False  # rows of ``| a | b |`` lines whose places name the column by COLUMN
    anchors: list[tuple[int, str, str]] = field(default_factory=list)
    _buf: list[str] = field(default_factory=list, repr=False)
    _len: int = 0
    _offsets: list[int] = field(default_factory=list, repr=False)

    def at(self, zh: str, en: str) -> None:
        """What follows comes from ``zh``/``en``."""
        if self.anchors and self.anchors[-1][0] == self._len:
            self.anchors[-1] = (self._len, zh, en)
        else:
            self.anchors.append((self._len, zh, en))

    def add(self, s: str) -> None:
        if s:
            self._buf.append(s)
            self._len += len(s)

    def done(self) -> Text:
        if self._buf:
            self.text += "".join(self._buf)
            self._buf = []
        return self

    def where(self, offset: int) -> tuple[str, str]:
        if len(self._offsets) != len(self.anchors):
            self._offsets = [a[0] for a in self.anchors]
        i = bisect.bisect_right(self._offsets, offset) - 1
        if i < 0:
            return ("", "")
        zh, en = self.anchors[i][1], self.anchors[i][2]
        if self.grid and COLUMN in zh:
            from .sheets import column
            col = column(max(0, self.text.count("|", self._offsets[i], offset) - 1))
            zh, en = zh.replace(COLUMN, col), en.replace(COLUMN, col)
        return zh, en


@dataclass(frozen=True)
class MetaField:
    """A metadata value that may name people or drafts (author, last modified by, company …)."""

    name_zh: str
    name_en: str
    value: str


@dataclass
class LossyNumber:
    """A number stored as a floating-point value that an ID or card number may have been typed
    into: its last digits are gone (``6.20602E+17``), so no check can say what it was."""

    where_zh: str
    where_en: str
    shown: str  # masked digits as stored


@dataclass
class Extract:
    """An attachment as read: ``kind`` is the format family; ``unreadable`` (zh, en) says why
    (part of) it could not be read — encrypted, corrupt, unknown format, image-only pages."""

    kind: str
    texts: list[Text] = field(default_factory=list)
    meta: list[MetaField] = field(default_factory=list)
    embedded: list[str] = field(default_factory=list)
    lossy: list[LossyNumber] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    size: int = 0

    def cost(self) -> int:
        """Characters held (what the cache counts against its limit)."""
        return sum(len(t.text) for t in self.texts) + 256

    def merge(self, other: Extract, prefix_zh: str, prefix_en: str) -> None:
        """Take in an embedded file's extract, its places prefixed with its name."""
        for t in other.texts:
            t.anchors = [(o, f"{prefix_zh} {zh}".strip(), f"{prefix_en} {en}".strip())
                         for o, zh, en in (t.anchors or [(0, "", "")])]
            self.texts.append(t)
        self.meta.extend(MetaField(f"{prefix_zh} {m.name_zh}", f"{prefix_en} {m.name_en}", m.value)
                         for m in other.meta)
        self.embedded.extend(f"{prefix_en} {e}" for e in other.embedded)
        self.lossy.extend(LossyNumber(f"{prefix_zh} {n.where_zh}", f"{prefix_en} {n.where_en}",
                                      n.shown) for n in other.lossy)
        self.unreadable.extend((f"{prefix_zh}：{zh}", f"{prefix_en}: {en}") for zh, en in other.unreadable)


class Unreadable(Exception):
    """The file (or a part of it) cannot be read; ``zh``/``en`` say why."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en
