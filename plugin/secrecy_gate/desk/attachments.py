"""A page's linked files and its ``review.attachments`` (第二条, 第十条).

A non-page file is published only when a published page lists it in
``review.attachments`` with the sha256 of its bytes (or an ``assets:`` glob
lets it through).  The files a page links to are found with the gate's own
link reading (``gate.link_targets``: Markdown links and images, reference
definitions, HTML ``src``/``href``), so that what this lists is what the
build will look for.  Writing the list changes the record, and so the digest
every signature approved: on a page that has signatures it is refused unless
the caller says so (``force``), and then said plainly that they are void.
"""

from __future__ import annotations

import fnmatch
import hashlib
import posixpath
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml.comments import CommentedSeq

from ..core import frontmatter
from ..review.gate import GateConfig, is_page, link_targets, published_files, resolve
from .signing import _flow, _rewrite

LISTED, UNLISTED, CHANGED, ASSET, NOT_LINKED, MISSING = (
    "listed", "unlisted", "changed", "asset", "not-linked", "missing")

LABELS = {
    LISTED: ("已列入", "listed"),
    UNLISTED: ("未列入", "not listed"),
    CHANGED: ("已列入但文件已变", "listed, file changed"),
    ASSET: ("assets 规则放行，无需列入", "asset glob, needs no listing"),
    NOT_LINKED: ("已列入但正文未链接", "listed, not linked"),
    MISSING: ("已列入但文件不存在", "listed, file missing"),
}


@dataclass
class Linked:
    target: str  # docs-relative path
    state: str
    sha256: str = ""  # of the file as it is now ("" when missing)
    recorded: str = ""  # the sha256 the record lists
    entry: int | None = None  # index in review.attachments
    glob: str = ""  # the assets: glob that lets it through


@dataclass
class PageFiles:
    page: Path
    rel: str
    files: list[Linked] = field(default_factory=list)
    signatures: int = 0  # signatures and consents the record holds
    error: tuple[str, str] | None = None  # (zh, en): the page cannot be read or has no record
    text: str | None = None  # the page with review.attachments written (``plan(write=True)``)

    @property
    def needs_write(self) -> bool:
        return any(f.state in (UNLISTED, CHANGED) for f in self.files)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def survey(gc: GateConfig, pages: list[tuple[Path, str]]) -> list[PageFiles]:
    """Each page's linked files and listed attachments, with their state."""
    docs = gc.docs_dir
    publishable = {p for p in published_files(docs, gc.discovery) if not is_page(p)}
    out = []
    for page, rel in pages:
        pf = PageFiles(page, rel)
        out.append(pf)
        try:
            doc = frontmatter.parse(page.read_bytes())
        except frontmatter.FrontMatterError as exc:
            pf.error = (exc.zh, exc.en)
            continue
        except OSError as exc:
            pf.error = (f"无法读取：{exc.strerror}", f"cannot read: {exc.strerror}")
            continue
        review = doc.meta.get("review")
        if not isinstance(review, dict):
            pf.error = (f"页面没有 review 审查记录：先运行 secrecy-gate adopt {page}",
                        f"the page has no review record: run `secrecy-gate adopt {page}` first")
            continue
        pf.signatures = len(review.get("signatures") or []) + len(review.get("consents") or [])
        listed: dict[str, tuple[int, str]] = {}
        for i, att in enumerate(review.get("attachments") or []):
            target = resolve(rel, str(att.get("path", ""))) if isinstance(att, dict) else None
            if target is not None:
                listed.setdefault(target, (i, str(att.get("sha256", ""))))
        linked = []
        for target in link_targets(rel, doc.body):
            if target not in publishable:
                unquoted = urllib.parse.unquote(target)
                if unquoted not in publishable:
                    continue  # a page, a folder, a missing or an unpublished file
                target = unquoted
            if target not in linked:
                linked.append(target)
        for target in linked:
            glob = next((g for g in gc.assets if fnmatch.fnmatchcase(target, g)), "")
            sha = _sha256(docs / target)
            if target in listed:
                i, recorded = listed[target]
                pf.files.append(Linked(target, LISTED if recorded == sha else CHANGED, sha, recorded, i, glob))
            elif glob:
                pf.files.append(Linked(target, ASSET, sha, glob=glob))
            else:
                pf.files.append(Linked(target, UNLISTED, sha))
        for target, (i, recorded) in listed.items():
            if target in linked:
                continue
            path = docs / target
            if path.is_file():
                sha = _sha256(path)
                pf.files.append(Linked(target, NOT_LINKED if sha == recorded else CHANGED, sha, recorded, i))
            else:
                pf.files.append(Linked(target, MISSING, "", recorded, i))
    return out


def plan_write(pf: PageFiles) -> None:
    """Render the page with its unlisted linked files added to review.attachments and
    changed ones given their current sha256 (files missing or unlinked stay as listed)."""
    if pf.error or not pf.needs_write:
        return
    adds = [f for f in pf.files if f.state == UNLISTED]
    updates = [f for f in pf.files if f.state == CHANGED]
    base = posixpath.dirname(pf.rel) or "."

    def mutate(data):
        rv = data["review"]
        atts = rv.get("attachments")
        if atts is None:
            atts = CommentedSeq()
            keys = list(rv.keys())
            # Beside the record's other fields, before the entries sign and consent write.
            pos = min((keys.index(k) for k in ("consents", "signatures") if k in keys), default=len(keys))
            rv.insert(pos, "attachments", atts)
        for f in updates:
            atts[f.entry]["sha256"] = f.sha256
            # An `unreadable:` acknowledgement was about the file reviewed before; the new
            # file is read afresh and needs its own (第二条).
            if "unreadable" in atts[f.entry]:
                del atts[f.entry]["unreadable"]
        for f in adds:
            atts.append(_flow({"path": posixpath.relpath(f.target, base), "sha256": f.sha256}))

    text = frontmatter.decode(pf.page.read_bytes())
    new_text = _rewrite(text, mutate)
    doc = frontmatter.parse(new_text)
    if doc.body != frontmatter.parse(text).body:  # the body is never touched
        raise RuntimeError("the body changed while writing review.attachments")
    pf.text = new_text


def render(pages: list[PageFiles], lang_both: bool = True) -> list[str]:
    out = []
    for pf in pages:
        out.append(str(pf.page))
        if pf.error:
            out.append(f"  {pf.error[0]} / {pf.error[1]}")
            continue
        if not pf.files:
            out.append("  没有链接的本地文件 / links no local file")
        for f in pf.files:
            zh, en = LABELS[f.state]
            extra = ""
            if f.state == CHANGED:
                extra = f" (审查记录 / recorded: {f.recorded or '—'})"
            elif f.state == ASSET:
                extra = f" (assets: {f.glob})"
            digest = f"sha256:{f.sha256}" if f.sha256 else "—"
            out.append(f"  {zh} / {en}: {f.target}  {digest}{extra}")
    return out
