"""The leak scan of a built site (第二条): nothing withheld, nothing redacted, no marking.

Built from a ``SiteReview``: the text of every withheld page and file
becomes a needle, minus fragments that published pages (or published file
names) also contain — finding those proves nothing; every 第九条 secret point
becomes a needle too, kept even where a published page holds it (the review
withholds such a page, ``review/secrets.py``).  ``verify_site`` runs
the scan over any output directory — the plugin's own at the end of every
build, or one made by a generator that ignores MkDocs plugins.

``scanner_inputs`` gathers plain strings, so the scanner can also be built
in another process (``leakwatch``).
"""

from __future__ import annotations

from pathlib import Path

from .catalogue import column_headings
from ..review.gate import SiteReview, is_page
from ..review.secrets import SHORTEST_KEPT, secret_points
from ..scanners import LeakHit, LeakScanner, needles_from_text
from ..scanners.leakscan import drop_found_in
from ..core.schema import vocabulary


def _text_of(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if b"\x00" in data[:8192]:
        return None  # a binary file: it is simply not copied
    return data.decode("utf-8", errors="replace")


def scanner_inputs(review: SiteReview, docs_dir: Path):
    """(needle sources, published texts, allowed personal data): what the scanner is made of.

    A needle source is ``(text, label, whole)``; ``whole`` keeps a short text
    (a title, a secret point) as one needle too.
    """
    # Fixed words of the record format and the catalogue are public whatever a page says.
    published_text: list[str] = [vocabulary(), column_headings()]
    allowed_pii: list[str] = []
    for page in review.published():
        if page.publish_text:
            published_text.append(page.publish_text)
        if page.record:
            allowed_pii.extend(a["value"] for a in page.record.get("pii_allowed") or [])
    # The approved configuration's strings (site name, copyright, nav titles …) are on every page.
    if review.site_text:
        published_text.append(review.site_text)
    # Published file names are public too: the output's links hold them, percent-encoded.
    published_text.append("\n".join([p.path for p in review.published()]
                                     + [f.path for f in review.files.values() if f.published]))
    sources: list[tuple] = []
    for page in review.withheld():
        text = page.source if page.source is not None else _text_of(docs_dir / page.path)
        if not text:
            continue
        label = f"未发布页面 withheld page {page.path}"
        title = page.document.meta.get("title") if page.document else None
        if isinstance(title, str):
            sources.append((title, label, True))
        sources.append((text, label, False))
    for point in secret_points(review.pages.values()):
        # Kept even where published text holds it: the review withholds such a page.
        sources.append((point.text, f"第九条密点 redacted point in {point.page}", True, True))
    for path, result in review.files.items():
        if not result.published and not is_page(path):
            text = _text_of(docs_dir / path)
            if text:
                sources.append((text, f"未发布文件 withheld file {path}", False))
    return sources, published_text, allowed_pii


def scanner_from_inputs(sources, published_text, allowed_pii) -> LeakScanner:
    """The scanner: needles of every source, minus those published text also holds.

    A source ``(text, label, whole, True)`` is a 第九条 secret point: its needles
    (of ``SHORTEST_KEPT`` characters or more) are dropped only for the record
    format's fixed words, never because a published page holds them
    (``review/secrets.py`` withholds such a page).
    """
    candidates: dict[str, str] = {}
    secret: dict[str, str] = {}
    for text, label, whole, *keep in sources:
        for n in needles_from_text(text, whole=whole):
            kept_anyway = keep and keep[0] and len(n) >= SHORTEST_KEPT
            (secret if kept_anyway else candidates).setdefault(n, label)
    kept = {n: candidates[n] for n in drop_found_in(list(candidates), published_text)}
    kept.update((n, secret[n]) for n in drop_found_in(list(secret), [vocabulary(), column_headings()]))
    return LeakScanner(kept, allowed_pii=allowed_pii)


def build_scanner(review: SiteReview, docs_dir: Path) -> LeakScanner:
    return scanner_from_inputs(*scanner_inputs(review, docs_dir))


def verify_site(site_dir: Path, review: SiteReview, docs_dir: Path) -> list[LeakHit]:
    return build_scanner(review, docs_dir).scan_dir(site_dir)
