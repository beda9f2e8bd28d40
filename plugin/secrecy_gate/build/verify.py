"""The leak scan of a built site (第二条): nothing withheld, nothing redacted, no marking.

Built from a ``SiteReview``: the text of every withheld page and file and
every 第九条 secret point becomes a needle, minus fragments that published
pages also contain (finding those proves nothing).  ``verify_site`` runs
the scan over any output directory — the plugin's own at the end of every
build, or one made by a generator that ignores MkDocs plugins.

``scanner_inputs`` gathers plain strings, so the scanner can also be built
in another process (``leakwatch``).
"""

from __future__ import annotations

from pathlib import Path

from .catalogue import column_headings
from ..review.gate import SiteReview, is_page
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
    sources: list[tuple[str, str, bool]] = []
    for page in review.withheld():
        text = page.source if page.source is not None else _text_of(docs_dir / page.path)
        if not text:
            continue
        label = f"未发布页面 withheld page {page.path}"
        title = page.document.meta.get("title") if page.document else None
        if isinstance(title, str):
            sources.append((title, label, True))
        sources.append((text, label, False))
    for page in review.published():
        for secret in page.secrets:
            sources.append((secret, f"第九条密点 redacted point in {page.path}", True))
    for path, result in review.files.items():
        if not result.published and not is_page(path):
            text = _text_of(docs_dir / path)
            if text:
                sources.append((text, f"未发布文件 withheld file {path}", False))
    return sources, published_text, allowed_pii


def scanner_from_inputs(sources, published_text, allowed_pii) -> LeakScanner:
    candidates: dict[str, str] = {}
    for text, label, whole in sources:
        for n in needles_from_text(text, whole=whole):
            candidates.setdefault(n, label)
    kept = drop_found_in(list(candidates), published_text)
    return LeakScanner({n: candidates[n] for n in kept}, allowed_pii=allowed_pii)


def build_scanner(review: SiteReview, docs_dir: Path) -> LeakScanner:
    return scanner_from_inputs(*scanner_inputs(review, docs_dir))


def verify_site(site_dir: Path, review: SiteReview, docs_dir: Path) -> list[LeakHit]:
    return build_scanner(review, docs_dir).scan_dir(site_dir)
