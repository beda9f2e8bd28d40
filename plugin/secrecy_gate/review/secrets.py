"""第九条 across the site: a secret point cut from one page must not be published anywhere.

A 删减后公开 page marks each secret point (密点) and the build cuts it before
rendering.  The cut protects nothing if the same text is published another
way: unmarked in another page, a second time in the same page (its title,
its ``document:`` fields, another paragraph, an image's alt text, a link's
title), in a page's file name, or in a published attachment.  Markers inside
the front matter cut nothing at all: the title and the other fields are
rendered as written.

The texts are compared as the leak scan compares them — normalised, without
whitespace, Markdown syntax removed, every encoding undone (``LeakScanner``
with the secret points' needles) — so a copy that the leak scan would find
in the output is reported here, on the page that carries it, and withholds
that page instead of failing the whole build.  The leak scan keeps looking
for every secret point in the output all the same (``build/verify.py``).

Pure: works on the texts a ``SiteReview`` already holds, and on the bytes of
published attachments its caller reads.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core.findings import Finding
from ..core.schema import vocabulary
from ..scanners import LeakScanner, mask, needles_from_text
from ..scanners.leakscan import drop_found_in, plain_text
from ..scanners.redaction import _KEYWORD, _MARKER

if TYPE_CHECKING:
    from .gate import PageResult, SiteReview

__all__ = ["SecretPoint", "SecretCopies", "secret_points", "secret_needles", "front_matter_markers",
           "front_matter_finding", "attachment_finding", "SHORTEST_KEPT", "TEXT_EXTENSIONS"]

# A secret point of fewer characters (two: 东区, 王芳) is too common a string to withhold
# every page holding it; like a withheld page's text, it is looked for only where no
# published page holds it.
SHORTEST_KEPT = 3

# Attachments whose text is compared with the secret points (other formats: the leak scan).
TEXT_EXTENSIONS = frozenset({".txt", ".csv", ".tsv", ".md", ".markdown", ".html", ".htm", ".json",
                             ".xml", ".svg"})

_FIX_ZH = ("删除该处文字，或以 <!-- 密点 -->…<!-- /密点 --> 标出（本页须按删减后公开重新审查）；"
           "密点一经删除，网站任何位置都不得再出现")
_FIX_EN = ("remove the text, or mark it as <!-- 密点 -->…<!-- /密点 --> (the page then needs a new "
           "删减后公开 review); a secret point, once cut, must appear nowhere on the site")


@dataclass(frozen=True)
class SecretPoint:
    """The text of one secret point and the page that marks it."""

    page: str
    text: str


def _front_matter(page: PageResult) -> str:
    if page.source is None or page.document is None:
        return ""
    return page.source[: len(page.source) - len(page.document.body)]


_SPAN = re.compile(rf"<!--\s*{_KEYWORD}\s*-->(.*?)<!--\s*/\s*{_KEYWORD}\s*-->", re.DOTALL)


def front_matter_markers(page: PageResult) -> tuple[int, list[str]]:
    """(markers, secret texts) in a page's front matter: what no cut removes.

    Only closed pairs give a secret text (an unclosed marker would make the
    rest of the record a "secret"); every marker counts.
    """
    fm = _front_matter(page)
    if "<!--" not in fm:
        return 0, []
    markers = list(_MARKER.finditer(fm))
    secrets = [m.group(1).strip() for m in _SPAN.finditer(fm)]
    return len(markers), [s for s in secrets if s]


def secret_points(pages: Iterable[PageResult]) -> list[SecretPoint]:
    """Every secret point of the site: those cut from 删减后公开 pages, published or not (a
    secret stays secret while its page waits for review), and those marked in any page's
    front matter.

    A page whose markers are broken (``redaction.markers``) is withheld for that; its
    spans (an unclosed marker runs to the end of the page) are not taken as secret points.
    """
    points: list[SecretPoint] = []
    for page in pages:
        record = page.record
        broken = any(f.code == "redaction.markers" for f in page.verdict.findings)
        if record is not None and record.disclosure == "删减后公开" and not broken:
            points.extend(SecretPoint(page.path, s) for s in page.secrets if s.strip())
        points.extend(SecretPoint(page.path, s) for s in front_matter_markers(page)[1])
    return points


def secret_needles(points: Iterable[SecretPoint], exclude: Iterable[str] = ()) -> dict[str, str]:
    """needle -> the pages marking it ("a.md; b.md"), as the leak scan looks for them.

    Needles are not dropped because published pages hold them (that is what is being
    looked for), only because ``exclude`` (the record format's fixed words) does, or
    because they are shorter than ``SHORTEST_KEPT``.
    """
    labels: dict[str, list[str]] = {}
    for point in points:
        for needle in needles_from_text(point.text, whole=True):
            if len(needle) < SHORTEST_KEPT:
                continue
            pages = labels.setdefault(needle, [])
            if point.page not in pages:
                pages.append(point.page)
    kept = drop_found_in(list(labels), [vocabulary(), *exclude])
    return {n: "; ".join(labels[n]) for n in kept}


def _sources(label: str) -> list[str]:
    return label.split("; ")


class SecretCopies:
    """Finds the site's secret points in a published page, file name or attachment."""

    def __init__(self, points: list[SecretPoint]):
        self.points = points
        # file -> source page -> (zh, en) place inside the document where its secret point is
        self.places: dict[str, dict[str, tuple[str, str]]] = {}
        self.scanner = LeakScanner(secret_needles(points), markings=False, pii=False)

    @classmethod
    def of(cls, review: SiteReview) -> SecretCopies | None:
        points = secret_points(review.pages.values())
        return cls(points) if points else None

    def _found(self, where: str, texts: list[str]) -> dict[str, list[str]]:
        """source page -> masked matches, in ``texts`` (plain texts, Markdown)."""
        found: dict[str, list[str]] = {}
        for hit in self.scanner.find_in_texts(where, texts):
            for source in _sources(hit.label):
                found.setdefault(source, []).append(hit.matched)
        return found

    def in_page(self, page: PageResult) -> list[Finding]:
        """第九条 findings on a published page that carries a secret point outside the markers."""
        text = page.publish_text
        if text is None or self.scanner.needle_count == 0:
            return []
        body = page.publish_body or ""
        if body and text.endswith(body):
            front = text[: len(text) - len(body)]
        else:
            front, body = text, ""
        parts = (
            ("文件名", "file name", [page.path]),
            ("前置信息", "front matter", [front, "\n".join(plain_text(front))]),
            ("正文", "body", [body, "\n".join(plain_text(body))]),
        )
        if not self._found(page.path, [t for _, _, texts in parts for t in texts if t]):
            return []  # the usual case, in one pass; which field holds a copy is asked below
        where: dict[str, list[tuple[str, str]]] = {}  # source page -> [(zh, en)] fields
        matched: dict[str, str] = {}
        for zh, en, texts in parts:
            for source, hits in self._found(page.path, [t for t in texts if t]).items():
                where.setdefault(source, []).append((zh, en))
                matched.setdefault(source, hits[0])
        findings = []
        for source, fields in where.items():
            in_zh = "、".join(zh for zh, _ in fields)
            in_en = ", ".join(en for _, en in fields)
            if source == page.path:
                findings.append(Finding(
                    "redaction.secret-repeated", "第九条", page.path,
                    f"本页标出并删除的密点 [{matched[source]}] 在密点标记之外再次出现（{in_zh}），"
                    "删除密点后仍会随页面发布",
                    f"a secret point this page marks and cuts [{matched[source]}] appears again "
                    f"outside the markers ({in_en}), so it would still be published",
                    _FIX_ZH, _FIX_EN, in_en))
            else:
                findings.append(Finding(
                    "redaction.secret-elsewhere", "第九条", page.path,
                    f"本页（{in_zh}）含有删减后公开页面 {source} 标出并删除的密点 [{matched[source]}]："
                    "该页删除的密点会由本页公开",
                    f"the page ({in_en}) holds a secret point [{matched[source]}] that the 删减后公开 "
                    f"page {source} marks and cuts: this page would publish it",
                    _FIX_ZH, _FIX_EN, in_en))
        return findings

    def in_file(self, path: str, data: bytes | None, extract=None) -> dict[str, str]:
        """source page -> a masked match, in an attachment's name and (plain-text formats) text,
        and in the texts of a document (``extract``: PDF, Office, spreadsheet …), where the match
        is followed by the place inside the file (``[东区**厂] 第3页``)."""
        found = {s: m[0] for s, m in self._found(path, [path]).items()}
        if data is not None and os.path.splitext(path.lower())[1] in TEXT_EXTENSIONS:
            for hit in self.scanner.scan_bytes(path, data):
                for source in _sources(hit.label):
                    found.setdefault(source, hit.matched)
        texts = [t for t in (extract.texts if extract is not None else ()) if t.text.strip()]
        if texts and self._found(path, [t.text for t in texts]):
            for t in texts:  # rare: which page, sheet or paragraph holds it
                for source, hits in self._found(path, [t.text]).items():
                    if source not in found:
                        found[source] = hits[0]
                        self.places.setdefault(path, {})[source] = (
                            t.where(0) if len(t.anchors) < 2 else self._place(t, path))
        return found

    def _place(self, t, path: str) -> tuple[str, str]:
        """The place of the first anchor span of ``t`` holding a secret point."""
        bounds = [a[0] for a in t.anchors] + [len(t.text)]
        for k, (start, zh, en) in enumerate(t.anchors):
            if self._found(path, [t.text[start:bounds[k + 1]]]):
                return zh, en
        return t.anchors[0][1], t.anchors[0][2]


def front_matter_finding(page: PageResult) -> Finding | None:
    """第九条: secret-point markers in the front matter cut nothing (the fields render as written)."""
    count, _ = front_matter_markers(page)
    if not count:
        return None
    return Finding(
        "redaction.front-matter", "第九条", page.path,
        f"前置信息（标题、document 等字段）中有 {count} 个密点标记：密点删除只作用于正文，"
        "这些字段会原样发布",
        f"the front matter (title, document fields …) holds {count} secret-point marker(s): secret "
        "points are cut from the body only, and these fields are published as written",
        "从前置信息中删除密点内容（标题等字段不得含有密点），必要时改写标题后重新送审",
        "take the secret point out of the front matter (a title must not hold one); reword the "
        "field and have the page reviewed again", "front matter")


def attachment_finding(page: str, file: str, source: str, matched: str,
                       where: tuple[str, str] | None = None) -> Finding:
    """第九条: a published attachment (its name or text) carries a secret point; ``where``: the
    place inside a document (page, sheet and cell, paragraph, tracked deletion)."""
    own = source == page
    if where and where[0]:
        file_zh, file_en = f"{file}（{where[0]}）", f"{file} ({where[1]})"
    else:
        file_zh = file_en = file
    zh_whose = "本页" if own else f"删减后公开页面 {source} "
    en_whose = "this page" if own else f"the 删减后公开 page {source}"
    return Finding(
        "redaction.secret-in-attachment", "第九条", page,
        f"附件 {file_zh} 含有{zh_whose}标出的密点 [{matched}]：附件与本页均不发布",
        f"the attachment {file_en} holds a secret point [{matched}] that {en_whose} marks and cuts; "
        "neither the attachment nor the page is published",
        "从附件中删除该内容（或改用删除密点后的附件），更新 sha256 后重新送审",
        "remove the text from the attachment (or attach the redacted version), update its sha256 "
        "and have the page reviewed again", "review.attachments")
