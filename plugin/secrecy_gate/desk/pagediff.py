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
from ..core.schema import STEPS
from ..history.entries import digest_of
from ..history.gitaudit import NULL_SHA, Commit, History
from ..review.gate import resolve


@dataclass
class Approval:
    commit: Commit
    entry: dict  # the entry as written (name, step or agency, date, digest …)
    raw: bytes  # the page as that commit left it


def valid_approvals(history: History, roster_at, repo_path: str) -> list[Approval]:
    """Every valid entry of the page's history, oldest first, with the version it approved."""
    blob_at = {ch.commit: ch.blob for ch in history.changes.get(repo_path, [])}
    found: list[tuple[int, Commit, dict]] = []
    for key, commits in history.introductions(repo_path, exact=True).items():
        entry = dict(key)
        step = entry.get("step") or ("consent" if "agency" in entry else None)
        for c in commits:
            if c.malformed:
                continue
            roster = roster_at(c.sha)
            person = roster.person(entry.get("name", "")) if roster is not None else None
            if person is None or not roster.owns_email(person.name, c.email) or not person.may(step or ""):
                continue
            raw = history.blob_text(blob_at.get(c.sha, NULL_SHA))
            if raw is None or digest_of(raw) != entry.get("digest"):
                continue
            found.append((c.index, c, entry))
    found.sort(key=lambda t: t[0], reverse=True)  # ``index``: 0 is the newest commit
    return [Approval(c, entry, history.blob_text(blob_at[c.sha])) for _, c, entry in found]


def baseline(approvals: list[Approval], signer: str | None) -> tuple[Approval | None, str]:
    """The version a signer must compare with, and why that one.

    ``own``: the version the signer last validly signed — what *they* approved, whoever
    signed since (a re-review starts with the drafter signing again, and the later steps
    must still see what changed since their own signature).  ``approved``: otherwise the
    newest version all four steps of 第十条 validly approved.  ``latest``: otherwise the
    newest valid signature of anyone.
    """
    own = [a for a in approvals if signer and a.entry.get("name") == signer and a.entry.get("step")]
    if own:
        return own[-1], "own"
    steps_by_digest: dict[str, set] = {}
    for a in approvals:
        steps_by_digest.setdefault(str(a.entry.get("digest")), set()).add(a.entry.get("step"))
    complete = [a for a in approvals if set(STEPS) <= steps_by_digest[str(a.entry.get("digest"))]]
    if complete:
        return complete[-1], "approved"
    return (approvals[-1], "latest") if approvals else (None, "none")


def last_valid_approval(history: History, roster_at, repo_path: str) -> Approval | None:
    """The newest valid entry of the page's history, with the version it approved."""
    approvals = valid_approvals(history, roster_at, repo_path)
    return approvals[-1] if approvals else None


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
            if att.get("unreadable"):
                # A reviewer's acknowledgement that the file's text cannot be read is shown too.
                out[target] += f"  unreadable: {att['unreadable']}"
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


_BASELINE = {
    "own": "你上次有效签署的版本 / the version you last validly signed",
    "approved": "最近一次四步审查全部有效通过的版本 / the version last approved in all four steps",
    "latest": "最近一次有效签署 / last valid signature",
}


def render(d: PageDiff, shown: str, why: str = "latest") -> list[str]:
    if d.approval is None:
        return [f"{shown}: 本页还没有有效的签署，整页都是待审查的内容，请完整审阅（第十条） / "
                "no valid signature yet: all of the page is to be reviewed, read it in full (第十条)"]
    a = d.approval
    e = a.entry
    who = f"{e.get('name')}（{e.get('step') or 'consent ' + str(e.get('agency'))}，{e.get('date')}）"
    out = [f"{shown}: 对照 / compared with {_BASELINE.get(why, _BASELINE['latest'])}: {who}, "
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
