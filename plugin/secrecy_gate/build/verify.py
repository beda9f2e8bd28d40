"""The leak scan of a built site (第二条): nothing withheld, nothing redacted, no marking.

Built from a ``SiteReview`` and docs_dir: the text of every file under
docs_dir that is not published becomes a needle — the pages the review
withheld, and every file MkDocs never publishes and so never judged (a
dot-file, a file ``exclude_docs`` matches, a README.md beside an index.md,
a ``draft_docs`` page): a hook or a package can still copy it into the
output.  Fragments that published pages (or published file names) also
contain are dropped — finding those proves nothing.  Every 第九条 secret
point becomes a needle too, kept even where a published page holds it (the
review withholds such a page, ``review/secrets.py``).  Each needle is also
looked for written backwards, and the Han ideographs of each (eight or more)
in the ideographs of the text a reader sees (``scanners.leakscan``).
``verify_site`` runs the scan over any output directory — the plugin's own at
the end of every build, or one made by a generator that ignores MkDocs plugins.

``scanner_inputs`` gathers plain strings, so the scanner can also be built
in another process (``leakwatch``).
"""

from __future__ import annotations

import os
import re
import stat
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from .catalogue import column_headings
from ..review.gate import SiteReview, is_page
from ..review.secrets import SHORTEST_KEPT, secret_points
from ..scanners import LeakHit, LeakScanner, documents, needles_from_text
from ..scanners.encodings import SNIFF_BYTES, source_text
from ..scanners.leakscan import (SECRET_LABEL, UNSCANNABLE, Corpus, as_corpus, drop_found_in,
                                 is_common, projected_needles, reversed_needles)
from .public import PublicFiles, approved_texts
from ..review.inputs import package_names
from ..core.schema import vocabulary

# The most of one withheld file read for needles; a longer one gives the needles of its
# start, and is named as read in part.
MAX_SOURCE_BYTES = 16 * 1024 * 1024
# A withheld document (PDF, Office) up to this size is read for its text (``scanners.documents``).
MAX_DOCUMENT_BYTES = 128 * 1024 * 1024
PARTLY = "（只读前 16 MiB read in part: first 16 MiB）"


def _text_of(path: Path, *, page: bool = False) -> str | None:
    """The text of a withheld file, in whatever encoding it is (``source_text``).

    ``""`` for a binary file (it gives no needles: the scan looks for text),
    None when it cannot be read or is not a regular file.  A page (Markdown) is always text.
    """
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return None  # a FIFO would block the build; a device is no text
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
            if not page and source_text(head) is None:
                # Binary: a document's text (a withheld PDF or spreadsheet) gives needles; the
                # rest of a binary gives none, and is not read.
                if documents.family(path.name, head) in ("pdf", "zip", "ole") and \
                        path.stat().st_size <= MAX_DOCUMENT_BYTES:
                    extract = documents.extract(path.name, head + fh.read())
                    return "\n".join(t.text for t in extract.texts) if extract else ""
                return ""
            data = head + fh.read(MAX_SOURCE_BYTES - len(head))
    except OSError:
        return None
    return source_text(data, text=page) or ""


def _source(path: Path, label: str, *, page: bool = False) -> tuple[str | None, str]:
    """(text, label) of a withheld file read from disk; the label says so if read in part."""
    text = _text_of(path, page=page)
    try:
        if text and path.stat().st_size > MAX_SOURCE_BYTES:
            label += PARTLY
    except OSError:
        pass
    return text, label


def unpublished_files(review: SiteReview, docs_dir: Path,
                      unreadable: list[str] | None = None) -> list[str]:
    """Every file under docs_dir that is not published, docs-relative POSIX, sorted.

    docs_dir is walked here, not through MkDocs' file list: dot-files and
    dot-directories are included, and so is whatever ``exclude_docs``,
    ``draft_docs`` or the README.md/index.md rule leaves out.  Symbolic
    links are followed only to a target inside docs_dir (never out of it: a
    link to ``/`` would make every file of the machine a needle).  A
    directory that cannot be listed is appended to ``unreadable``.
    """
    root = Path(docs_dir)
    try:
        real_root = root.resolve(strict=True)
    except OSError:
        return []
    published = ({p.path for p in review.published()}
                 | {f.path for f in review.files.values() if f.published})
    out: list[str] = []

    def failed(exc: OSError) -> None:
        if unreadable is not None and exc.filename:
            unreadable.append(Path(exc.filename).relative_to(root).as_posix() + "/")

    for dirpath, dirnames, filenames in os.walk(root, onerror=failed, followlinks=False):
        dirnames.sort()
        for name in filenames:
            full = Path(dirpath, name)
            rel = full.relative_to(root).as_posix()
            if rel in published:
                continue
            if full.is_symlink():
                try:
                    if not full.resolve(strict=True).is_relative_to(real_root):
                        continue
                except (OSError, RuntimeError):
                    continue  # a dangling link or a loop: nothing to read
            out.append(rel)
    return sorted(out)


def scanner_inputs(review: SiteReview, docs_dir: Path):
    """(needle sources, published texts, allowed personal data, public sources): what the
    scanner is made of.

    A needle source is ``(text, label, whole)``; ``whole`` keeps a short text
    (a title, a secret point) as one needle too; ``(text, label, whole, True)``
    is a 第九条 secret point.  A source whose text is None could not be read.
    The public sources (``build.public``) are ``{"site": (theme, plugins,
    extensions), "inputs": [(path, approved digest) …]}``, empty unless the
    build inputs are approved.
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
    # A published attachment's text was reviewed with its page: public, like the page's own.
    for path, result in review.files.items():
        if result.published and result.code == "file.attachment":
            try:
                data = (docs_dir / path).read_bytes()
                extract = documents.extract(path, data)
            except OSError:
                continue
            if extract is not None and extract.kind != "text":
                published_text.append("\n".join(t.text for t in extract.texts))
    # The link and image targets a published page's signed text holds are public too (the
    # Markdown reading above keeps a link's words, not its target): the output's links hold
    # them, percent-encoded.  A page's own path is not: no signature covers it, and an
    # editor could rename a signed page to a withheld sentence (red team, issue 15).
    targets = [link_targets(p.publish_text) for p in review.published() if p.publish_text]
    published_text.extend(t for t in targets if t)
    sources: list[tuple] = []
    done: set[str] = set()
    for page in review.withheld():
        label = f"未发布页面 withheld page {page.path}"
        title = page.document.meta.get("title") if page.document else None
        if isinstance(title, str):
            sources.append((title, label, True))
        if page.source is not None:
            sources.append((page.source, label, False))
        else:
            sources.append((*_source(docs_dir / page.path, label, page=True), False))
        done.add(page.path)
    for point in secret_points(review.pages.values()):
        # Kept even where published text holds it: the review withholds such a page.
        sources.append((point.text, f"{SECRET_LABEL} redacted point in {point.page}", True, True))
    for path, result in review.files.items():
        if not result.published and not is_page(path):
            sources.append((*_source(docs_dir / path, f"未发布文件 withheld file {path}"), False))
            done.add(path)
    # What the review never judged because MkDocs never publishes it.
    unlisted: list[str] = []
    for path in unpublished_files(review, docs_dir, unlisted):
        if path in done or path in review.pages:
            continue
        page = is_page(path)
        kind = "未发布页面 withheld page" if page else "未发布文件 withheld file"
        sources.append((*_source(docs_dir / path, f"{kind} {path}", page=page), False))
    for path in unlisted:
        sources.append((None, f"未发布目录 directory {path}", False))
    public = ({"site": review.public_packages, "inputs": list(review.public_inputs)}
              if review.public_packages is not None else {})
    return sources, published_text, allowed_pii, public


_TARGET = re.compile(r"\]\(\s*<?([^)\s>]+)|(?:src|href)\s*=\s*[\"']([^\"']+)|^\s*\[[^\]\n]+\]:\s*<?(\S+?)>?\s*$",
                     re.MULTILINE)


def link_targets(markdown: str) -> str:
    """The targets of a page's links and images (Markdown, reference definitions, HTML
    ``src``/``href``), decoded, one per line: text of the page that its reading for the
    needles leaves out."""
    found = []
    for m in _TARGET.finditer(markdown):
        target = m.group(1) or m.group(2) or m.group(3) or ""
        found.append(urllib.parse.unquote(target.split("#", 1)[0]))
    return "\n".join(t for t in found if t)


@dataclass
class NeedleSummary:
    """What the scanner was made of, for an honest "checked against" line.

    ``with_needles``: withheld sources (labels) that gave at least one needle;
    ``without_needles``: those that gave none (an image, a page every
    fragment of which a published page holds too); ``unreadable``: files
    that could not be read (each is also a hit).
    """

    with_needles: list[str] = field(default_factory=list)
    without_needles: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    secret_points: int = 0
    needles: int = 0
    reversed: int = 0
    projected: int = 0
    # Fragments not looked for: too common (``is_common``), or held by an installed package
    # or an approved input (``build.public``).
    common: int = 0
    public: int = 0
    packages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"withheld_sources_with_needles": len(self.with_needles),
                "withheld_sources_without_needles": self.without_needles,
                "unreadable": self.unreadable, "secret_points": self.secret_points,
                "needles": self.needles, "reversed_needles": self.reversed,
                "projected_needles": self.projected, "common_fragments": self.common,
                "public_fragments": self.public, "public_packages": self.packages}


def scanner_from_inputs(sources, published_text, allowed_pii, public=None) -> LeakScanner:
    """The scanner: needles of every source, minus those that prove nothing when found.

    A fragment is not looked for when

    * it is common (``is_common``: ASCII only, under 16 characters — ``function`` — and not
      prose of three words or more);
    * published text holds it (the published pages, the approved configuration's
      strings, published file names), or an installed package of the site's
      theme, plugins or Markdown extensions does (``build.public``);
    * an approved build input (a ``custom_dir`` override, a hook, an ``assets:``
      file) holds it and it is not prose (``is_prose``): code shared by an
      override and a withheld page proves nothing, but a withheld sentence in
      an override is still a leak, whoever approved the override.

    A source ``(text, label, whole, True)`` is a 第九条 secret point: its needles
    (of ``SHORTEST_KEPT`` characters or more) are dropped only for the record
    format's fixed words and for what an installed package holds, never
    because a published page holds them (``review/secrets.py`` withholds such
    a page).  Each kept needle is also looked for backwards
    (``reversed_needles``) and by its ideographs alone (``projected_needles``),
    each dropped in turn where published text or a package holds it so —
    secret points too.  The scanner's ``summary`` says which sources gave
    needles; a source that could not be read is a hit of every scan (fail
    closed).  Output files that copy a package file byte for byte are not
    scanned.
    """
    candidates: dict[str, str] = {}
    secret: dict[str, str] = {}
    prose: set[str] = set()
    by_label: dict[str, set[str]] = {}
    problems: list[LeakHit] = []
    summary = NeedleSummary()
    points: set[str] = set()
    for text, label, whole, *keep in sources:
        if keep and keep[0]:
            points.add(label + "\x00" + str(text))
        if text is None:
            summary.unreadable.append(label)
            problems.append(LeakHit("(docs_dir)", UNSCANNABLE, f"{label}: 无法读取，其文字无从查找 / "
                                    "cannot be read, so its text cannot be looked for", "", "第二条"))
            continue
        mine = by_label.setdefault(label, set())
        for n in needles_from_text(text, whole=whole, prose=prose):
            kept_anyway = keep and keep[0] and len(n) >= SHORTEST_KEPT
            (secret if kept_anyway else candidates).setdefault(n, label)
            mine.add(n)
    public = public or {}
    names = list(public.get("packages") or [])
    if public.get("site"):
        names += package_names(*public["site"])
    packages = PublicFiles(names)
    summary.packages = list(packages.names)
    # Short ASCII is common unless it is prose (three words and more): a withheld English
    # sentence written in short clauses stays looked for (red team, third round).
    common = {n for n in candidates if is_common(n) and n not in prose}
    summary.common = len(common)
    input_text = Corpus(approved_texts(public.get("inputs") or []))
    fixed = [vocabulary(), column_headings()]
    published_text = as_corpus(published_text)  # once, for the three needle forms
    unpublished = drop_found_in([n for n in candidates if n not in common], published_text)
    secret_left = drop_found_in(list(secret), fixed)
    # An ASCII-only file holds no needle with another character: when every fragment still
    # looked for has one (a Chinese site), a theme's scripts and style sheets are not read.
    ascii_needles = any(n.isascii() for n in (*unpublished, *secret_left))
    package_text = Corpus(packages.texts(ascii=ascii_needles))
    public_text = Corpus((*published_text, *package_text))
    kept = {n: candidates[n] for n in drop_found_in(unpublished, package_text)}
    shared = set(drop_found_in([n for n in kept if n not in prose], input_text))
    kept = {n: label for n, label in kept.items() if n in prose or n in shared}
    kept_secret = {n: secret[n] for n in drop_found_in(secret_left, package_text)}
    summary.public = len(candidates) - len(common) - len(kept) + len(secret) - len(kept_secret)
    needles = {**kept, **kept_secret}
    # Backwards and by its ideographs alone, a secret point is dropped where published text
    # holds it so, like any other needle: the review withholds a page holding the point
    # itself, not one holding it reversed or with other characters between.
    backwards = reversed_needles(needles, public_text)
    backwards = {n: label for n, label in backwards.items() if n not in needles}
    projected = projected_needles({**needles, **reversed_needles(needles)}, public_text)
    for label, mine in by_label.items():
        if label.startswith(SECRET_LABEL):
            continue
        (summary.with_needles if any(n in needles for n in mine)
         else summary.without_needles).append(label)
    summary.secret_points = len(points)
    summary.needles, summary.reversed, summary.projected = (len(needles), len(backwards),
                                                            len(projected))
    scanner = LeakScanner({**needles, **backwards}, allowed_pii=allowed_pii, projected=projected,
                          problems=problems, reveal=True,
                          public_files=packages if packages.names else None)
    scanner.summary = summary
    return scanner


def build_scanner(review: SiteReview, docs_dir: Path) -> LeakScanner:
    return scanner_from_inputs(*scanner_inputs(review, docs_dir))


def verify_report(site_dir: Path, review: SiteReview,
                  docs_dir: Path) -> tuple[list[LeakHit], NeedleSummary]:
    """The hits in ``site_dir``, and what they were looked for with (``NeedleSummary``)."""
    scanner = build_scanner(review, docs_dir)
    return scanner.scan_dir(site_dir), scanner.summary


def verify_site(site_dir: Path, review: SiteReview, docs_dir: Path) -> list[LeakHit]:
    return verify_report(site_dir, review, docs_dir)[0]
