"""What changed in a page since its last valid signature (第十条, 第十八条).

Re-signing a changed page is a review of the change, not a rubber stamp: the
signer sees the body, the signed fields of the record and the attachments as
they differ from the version someone last validly approved.  That version is
found with the gate's own history evidence: among the entries (signatures and
consents) ever introduced into the page (``History.introductions``), the
newest whose introducing commit is well formed, was made by the person the
entry names as the roster in force at that commit knows them, who held the
right for that step, and whose digest is the digest of the page as that
commit left it.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path

from ..core import frontmatter
from ..core.digest import UNSIGNED_FIELDS, page_digest
from ..history.entries import digest_of
from ..history.gitaudit import NULL_SHA, Commit, History
from ..review.gate import resolve


@dataclass
class Approval:
    commit: Commit
    entry: dict  # the entry as written (name, step or agency, date, digest …)
    raw: bytes  # the page as that commit left it


def last_valid_approval(history: History, roster_at, repo_path: str) -> Approval | None:
    """The newest valid entry of the page's history, with the version it approved."""
    blob_at = {ch.commit: ch.blob for ch in history.changes.get(repo_path, [])}
    best: tuple[int, Commit, dict] | None = None
    for key, commits in history.introductions(repo_path, exact=True).items():
        entry = dict(key)
        step = entry.get("step") or ("consent" if "agency" in entry else None)
        for c in commits:
            if c.malformed or (best is not None and c.index >= best[0]):
                continue
            roster = roster_at(c.sha)
            person = roster.person(entry.get("name", "")) if roster is not None else None
            if person is None or not roster.owns_email(person.name, c.email) or not person.may(step or ""):
                continue
            blob = blob_at.get(c.sha, NULL_SHA)
            raw = history.blob_text(blob)
            if raw is None or digest_of(raw) != entry.get("digest"):
                continue
            best = (c.index, c, entry)
    if best is None:
        return None
    _, commit, entry = best
    return Approval(commit, entry, history.blob_text(blob_at[commit.sha]))


def _flatten(value, prefix: str, out: dict[str, str]) -> None:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, v in enumerate(value):
            _flatten(v, f"{prefix}[{i}]", out)
    else:
        out[prefix] = json.dumps(value, ensure_ascii=False)


def signed_fields(meta: dict) -> dict[str, str]:
    """The front matter the digest covers, as ``field: value`` lines (attachments apart)."""
    data = frontmatter.to_jsonable(meta)
    review = data.get("review")
    if isinstance(review, dict):
        data["review"] = {k: v for k, v in review.items()
                          if k not in (*UNSIGNED_FIELDS, "attachments")}
    out: dict[str, str] = {}
    _flatten(data, "", out)
    return out


def _attachments(meta: dict, page: str) -> dict[str, str]:
    review = meta.get("review")
    out = {}
    for att in (review.get("attachments") or []) if isinstance(review, dict) else []:
        if isinstance(att, dict):
            target = resolve(page, str(att.get("path", ""))) or str(att.get("path", ""))
            out[target] = str(att.get("sha256", ""))
    return out


@dataclass
class PageDiff:
    approval: Approval | None
    unchanged: bool = False
    fields: list[str] | None = None  # "- key: value" / "+ key: value"
    attachments: list[str] | None = None
    body: list[str] | None = None


def page_diff(approval: Approval | None, current: bytes, page: str, shown: str) -> PageDiff:
    if approval is None:
        return PageDiff(None)
    old, new = frontmatter.parse(approval.raw), frontmatter.parse(current)
    if page_digest(old.meta, old.body) == page_digest(new.meta, new.body):
        return PageDiff(approval, unchanged=True)
    of, nf = signed_fields(old.meta), signed_fields(new.meta)
    fields = []
    for k in sorted(of.keys() | nf.keys()):
        if of.get(k) != nf.get(k):
            if k in of:
                fields.append(f"- {k}: {of[k]}")
            if k in nf:
                fields.append(f"+ {k}: {nf[k]}")
    oa, na = _attachments(old.meta, page), _attachments(new.meta, page)
    atts = []
    for t in sorted(oa.keys() | na.keys()):
        if t not in na:
            atts.append(f"- {t}  sha256:{oa[t]}")
        elif t not in oa:
            atts.append(f"+ {t}  sha256:{na[t]}")
        elif oa[t] != na[t]:
            atts.append(f"~ {t}  sha256:{oa[t]} → {na[t]}")
    lf = lambda s: s.replace("\r\n", "\n").replace("\r", "\n")  # noqa: E731 - the digest's reading
    body = list(difflib.unified_diff(lf(old.body).splitlines(), lf(new.body).splitlines(),
                                     f"{shown}@{approval.commit.sha[:10]}",
                                     f"{shown} (工作区 / working copy)", lineterm=""))
    return PageDiff(approval, False, fields, atts, body)


def render(d: PageDiff, shown: str) -> list[str]:
    if d.approval is None:
        return [f"{shown}: 本页还没有有效的签署，整页都是待审查的内容，请完整审阅（第十条） / "
                "no valid signature yet: all of the page is to be reviewed, read it in full (第十条)"]
    a = d.approval
    e = a.entry
    who = f"{e.get('name')}（{e.get('step') or 'consent ' + str(e.get('agency'))}，{e.get('date')}）"
    out = [f"{shown}: 最近一次有效签署 / last valid signature: {who}, "
           f"commit {a.commit.sha[:10]} {a.commit.subject}".rstrip()]
    if d.unchanged:
        out.append("自该签署以来页面未变（内容摘要相同） / unchanged since then (same digest)")
        return out
    out.append("审查记录中签署覆盖的字段 / signed fields of the front matter:")
    out.extend("  " + line for line in d.fields or ["（未变 / unchanged）"])
    out.append("附件 review.attachments / attachments:")
    out.extend("  " + line for line in d.attachments or ["（未变 / unchanged）"])
    out.append("正文 / body:")
    out.extend(d.body or ["  （未变 / unchanged）"])
    return out
