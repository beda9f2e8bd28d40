"""The audit trail report: who signed what, when, and what became of it (第十条, 第十八条).

第四条 and 第十八条 make the leaders answer for the review system; this module
gives them the evidence from git history, read once through
``gitaudit.History``:

- for each page, every commit that touched it from the day it entered review
  (its first version with a review record; ``--since`` chooses another start,
  a date or a commit) — the commits before are counted in one line, not listed:
  a site with years of pre-gate history would otherwise print one "does not
  parse" line per old version — and the *trail* of review
  entries through history: each signature (第十条) and consent (第十一条) ever
  added, the commit that added it, whether that commit's author is the roster
  person the entry names (第十条, 第十八条), the later commit that changed what
  the digest covers (voiding it), and the commit that removed it;
- every change to the roster, which is security-critical;
- each page's current verdict, as the build would judge it.

Building the data is separate from rendering it (``auditrender``).  Nothing
here decides a verdict, and an error is reported as an error: a page whose
trail cannot be read is listed with the error, never left out.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path

from ..core import frontmatter, titles
from ..history import gitaudit
from ..history.entries import has_review
from ..build import report
from ..core.digest import page_digest
from ..core.findings import Finding
from ..review.gate import Gate, GateConfig, PageResult
from ..core.roster import Roster
from ..core.schema import STEPS
from .queue import CHINA


@dataclass(frozen=True)
class CommitRef:
    """One commit as the report shows it."""

    sha: str
    author: str
    email: str
    time: str  # ISO 8601 in China Standard Time (+08:00)
    subject: str

    def as_dict(self) -> dict:
        return {"sha": self.sha, "author": self.author, "email": self.email, "time": self.time,
                "subject": self.subject}


def commit_ref(commit: gitaudit.Commit) -> CommitRef:
    # In China Standard Time, as ``--since DATE`` and the deadlines read days (not the
    # time zone of whichever machine makes the report).
    when = _dt.datetime.fromtimestamp(commit.time, CHINA)
    return CommitRef(commit.sha, commit.name, commit.email, when.isoformat(timespec="seconds"),
                     commit.subject)


@dataclass
class TrailEvent:
    """A signature or consent entry as it went through history (第十条, 第十一条, 第十八条)."""

    id: int
    kind: str  # "signature" | "consent"
    fields: dict  # the entry as written: step/agency, name, date, opinion, comment, digest
    commits: list[CommitRef]  # the commits that introduced it, oldest first
    signer_ok: bool | None  # every introducing author is the named roster person; None: no roster
    voided_by: CommitRef | None = None  # first commit whose content differs from the digest
    removed_by: CommitRef | None = None
    current: bool = False  # in the page as committed at HEAD
    # 第十条, 第十八条: a later version on the way to HEAD differed (withdrawn, changed,
    # deleted); the entry is void whatever brought the approved version back.
    withdrawn_by: CommitRef | None = None
    valid_digest: bool = False  # the digest matches the page as it is now
    valid: bool = False  # current, by its signer, and the digest matches the page now
    # What proves the signer: "git" (the introducing commits' author), "ssh SHA256:…" (the
    # entry's SSH signature by that key), "ssh" (an SSH-judged entry without a valid one).
    proof: str = "git"

    @property
    def commit(self) -> CommitRef:
        return self.commits[0]

    @property
    def what(self) -> str:
        """The step (第十条) or the consenting agency (第十一条)."""
        return self.fields.get("step") or self.fields.get("agency") or "?"

    @property
    def void_when_added(self) -> bool:
        """The digest never matched: the entry approved something the commit did not contain."""
        return self.voided_by is not None and self.voided_by.sha == self.commit.sha

    def as_dict(self) -> dict:
        f = self.fields
        return {
            "id": self.id, "kind": self.kind, "step": f.get("step"), "agency": f.get("agency"),
            "name": f.get("name"), "date": f.get("date"), "opinion": f.get("opinion"),
            "comment": f.get("comment", ""), "digest": f.get("digest"),
            "commits": [c.as_dict() for c in self.commits],
            "signer_is_named_person": self.signer_ok,
            "voided_by": self.voided_by.as_dict() if self.voided_by else None,
            "void_when_added": self.void_when_added,
            "removed_by": self.removed_by.as_dict() if self.removed_by else None,
            "current": self.current, "valid": self.valid, "proof": self.proof,
            "withdrawn_by": self.withdrawn_by.as_dict() if self.withdrawn_by else None,
            "digest_valid": self.current and self.valid_digest,
            "changed_after_signing": self.voided_by is not None or not self.valid_digest,
        }


@dataclass
class TimelineStep:
    """One commit that touched a page, with the review events it caused."""

    commit: CommitRef
    parse_error: str | None = None  # the page at this commit does not parse (第二条)
    deleted: bool = False
    # A merge that took the page from another parent (its version differs from its first
    # parent's only): it introduces nothing, but it is where an old version came back.
    merged_from_other_parent: bool = False
    in_review: bool = False  # this version has a review record (``has_review``)
    added: list[int] = field(default_factory=list)  # TrailEvent ids
    voided: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    @property
    def has_events(self) -> bool:
        return bool(self.added or self.voided or self.removed)

    def as_dict(self) -> dict:
        return {**self.commit.as_dict(), "parse_error": self.parse_error, "deleted": self.deleted,
                "merged_from_other_parent": self.merged_from_other_parent,
                "added": self.added, "voided": self.voided, "removed": self.removed}


@dataclass
class PageAudit:
    path: str
    title: str
    outcome: str  # Outcome value
    verdict: str  # its label in the report's language
    first_reason: str
    published: bool
    timeline: list[TimelineStep] = field(default_factory=list)
    trail: list[TrailEvent] = field(default_factory=list)
    error: str | None = None  # the trail could not be read
    # Commits before the start of ``timeline`` (not listed), and the commit in which the
    # page entered review (its first version with a review record; None: none has one).
    earlier: int = 0
    entered: CommitRef | None = None

    @property
    def valid_signatures(self) -> int:
        return sum(1 for e in self.trail if e.kind == "signature" and e.valid)

    @property
    def last_signed(self) -> str:
        """Date of the newest signature commit still in the page (the git-proven date)."""
        times = [e.commit.time for e in self.trail if e.kind == "signature" and e.current]
        return max(times)[:10] if times else ""

    def event(self, event_id: int) -> TrailEvent:
        return self.trail[event_id]

    def as_dict(self) -> dict:
        current = [e for e in self.trail if e.current]
        return {
            "page": self.path, "title": self.title, "outcome": self.outcome, "verdict": self.verdict,
            "first_reason": self.first_reason, "published": self.published,
            "signatures_valid": self.valid_signatures, "signatures_required": len(STEPS),
            "last_signed": self.last_signed, "error": self.error,
            "entered_review": self.entered.as_dict() if self.entered else None,
            "earlier_commits": self.earlier,
            "commits": [s.as_dict() for s in self.timeline],
            "trail": [e.as_dict() for e in self.trail],
            # The entries in the page now, in record order (signatures, then consents).
            "entries": [e.as_dict() for e in sorted(current, key=_record_order)],
        }


@dataclass
class AuditReport:
    generated: str
    head: str | None
    repository: str
    lang: str
    site_findings: list[Finding] = field(default_factory=list)
    pages: list[PageAudit] = field(default_factory=list)
    roster_path: str = ""
    roster_changes: list[CommitRef] = field(default_factory=list)
    error: str | None = None  # the report as a whole is incomplete
    since: str | None = None  # ``--since`` as given; None: each page from when it entered review

    @property
    def complete(self) -> bool:
        return self.error is None and not any(p.error for p in self.pages)

    def as_dict(self) -> dict:
        return {
            "notice": NOTICE, "generated": self.generated, "head": self.head,
            "repository": self.repository, "error": self.error, "since": self.since,
            "site_findings": [f.as_dict() for f in self.site_findings],
            "pages": [p.as_dict() for p in self.pages],
            "roster": self.roster_path,
            "roster_changes": [c.as_dict() for c in self.roster_changes],
        }


# Shown at the top of every format, in both languages: the report names withheld pages.
NOTICE = "内部审计材料，不得公开发布 / internal audit material, not for publication"


def _step_rank(fields: dict) -> tuple[int, int]:
    """Signatures in 第十条 step order, then consents (第十一条)."""
    step = fields.get("step")
    if step is None:
        return (1, 0)
    return (0, STEPS.index(step) if step in STEPS else len(STEPS))


def _record_order(event: TrailEvent) -> tuple:
    return (*_step_rank(event.fields), event.id)


def _key_order(key: tuple) -> tuple:
    return (*_step_rank(dict(key)), key)


# -- one version of a page ------------------------------------------------------

@dataclass(frozen=True)
class Version:
    """A page blob: what its digest covers and which entries it holds."""

    digest: str | None  # None when it does not parse (then it matches no signature)
    entries: frozenset
    error: str | None = None
    reviewed: bool = False  # has a review record (``has_review``): the page is under review


def read_version(raw: bytes | None, lang: str) -> Version:
    """Parse one blob with the strict reader; a blob that does not parse says why (第二条)."""
    if raw is None:
        return Version(None, frozenset(), "无法从 git 读取该版本" if lang == "zh"
                       else "this version cannot be read from git")
    # The same reading as the gate's attribution, so report and verdict agree.
    entries = gitaudit.entries_of(raw, False)
    reviewed = has_review(raw)
    try:
        doc = frontmatter.parse(raw)
    except frontmatter.FrontMatterError as exc:
        return Version(None, entries, exc.zh if lang == "zh" else exc.en, reviewed)
    try:
        return Version(page_digest(doc.meta, doc.body), entries, None, reviewed)
    except Exception as exc:  # noqa: BLE001 - a version without a digest matches no signature
        return Version(None, entries, repr(exc), reviewed)


def _entry_kind(fields: dict) -> str:
    return "signature" if "step" in fields else "consent"


# -- the trail of one page ---------------------------------------------------------

def page_trail(history: gitaudit.History, repo_path: str, versions: dict[str, Version],
               roster, current_digest: str | None, lang: str
               ) -> tuple[list[TimelineStep], list[TrailEvent]]:
    """Every commit that touched the page, oldest first, and every entry it ever held.

    An entry is added by a commit whose version holds it and none of whose parents'
    versions did (as ``History.introductions``); it is voided by the first commit, at or
    after that one, whose version's digest differs from the entry's while the entry
    was there (第十条: any change voids it); removed by the first commit that drops it.
    """
    changes = history.changes.get(repo_path, [])
    listed = {c.commit for c in changes}
    merges = [c for c in history.touching(repo_path, merges=True) if c.sha not in listed]
    merged = {c.sha for c in merges}
    for m in merges:
        changes = changes + [gitaudit.Change(m.sha, (), blob) for blob in (_blob_at(history, m.sha, repo_path),)]
    changes = sorted(changes, key=lambda c: -history.commits[c.commit].index)
    events: dict[tuple, TrailEvent] = {}
    timeline: list[TimelineStep] = []
    for ch in changes:
        ref = commit_ref(history.commits[ch.commit])
        if ch.commit in merged:
            version = versions.get(ch.blob) or read_version(history.blob_text(ch.blob), lang) \
                if ch.blob != gitaudit.NULL_SHA else Version(None, frozenset())
            timeline.append(TimelineStep(ref, version.error, ch.blob == gitaudit.NULL_SHA,
                                         merged_from_other_parent=True, in_review=version.reviewed))
            continue
        version = versions[ch.blob] if ch.blob != gitaudit.NULL_SHA else Version(None, frozenset())
        step = TimelineStep(ref, version.error, ch.blob == gitaudit.NULL_SHA, in_review=version.reviewed)
        before: set = set()
        for pb in ch.parent_blobs:
            if pb != gitaudit.NULL_SHA:
                before |= versions[pb].entries
        for key in sorted(version.entries - before, key=_key_order):
            event = events.get(key)
            if event is None:
                fields = dict(key)
                event = events[key] = TrailEvent(len(events), _entry_kind(fields), fields, [], None)
            event.commits.append(ref)
            step.added.append(event.id)
        for key in sorted(before | version.entries, key=_key_order):
            event = events.get(key)
            if event is None:
                continue  # held by a parent outside this page's known history (a shallow clone)
            # Only a version holding the entry, or one whose parent held it, gets here:
            # every such version comes at or after the commit that added the entry.
            if event.voided_by is None and version.digest != event.fields.get("digest"):
                event.voided_by = ref
                step.voided.append(event.id)
            if key not in version.entries and event.removed_by is None:
                event.removed_by = ref
                step.removed.append(event.id)
        timeline.append(step)
    head_blob = history.head_blobs.get(repo_path)
    at_head = versions[head_blob].entries if head_blob in versions else frozenset()
    withdrawn = history.evidence(repo_path).voided if head_blob else {}
    for key, event in events.items():
        event.signer_ok = _by_signer(event, roster)
        event.current = key in at_head
        event.valid_digest = current_digest is not None and event.fields.get("digest") == current_digest
        if key in withdrawn and event.current:
            event.withdrawn_by = commit_ref(withdrawn[key])
        event.valid = (event.current and bool(event.signer_ok) and event.valid_digest
                       and event.withdrawn_by is None)
    return timeline, sorted(events.values(), key=lambda e: e.id)


def _blob_at(history: gitaudit.History, sha: str, repo_path: str) -> str:
    """The page's blob in a merge the combined diff left out (from the first-parent diff)."""
    for ch in (history.merge_changes or {}).get(repo_path, []):
        if ch.commit == sha:
            return ch.blob
    return gitaudit.NULL_SHA


def _by_signer(event: TrailEvent, roster) -> bool | None:
    """第十条, 第十八条: every commit that wrote the entry was made by the person it names, as
    the roster in force at that commit names them.  ``roster`` is that roster by commit
    (a callable), one roster for all, or None when no roster can be proven."""
    if roster is None:
        return None
    at = roster if callable(roster) else (lambda sha: roster)
    name = event.fields.get("name", "")
    return all(at(c.sha) is not None and at(c.sha).owns_email(name, c.email) for c in event.commits)


def _ssh_proofs(trail: list[TrailEvent], page: PageResult, hist: gitaudit.History, review,
                gc: GateConfig) -> None:
    """Under ``signatures: ssh``: which entries are proven by their SSH signature (and by
    which key), which still by their git author (before ``ssh_since``)."""
    from ..signatures import policy as sp

    if gc.signatures != "ssh":
        return
    pol = sp.Policy(gc.signatures, gc.ssh_since,
                    next((s for s in hist.commits if isinstance(gc.ssh_since, str)
                          and s.startswith(gc.ssh_since)), None))
    proofs = {}
    if page.record is not None and page.proofs is not None:
        for kind, entries in (("signatures", page.record.signatures), ("consents", page.record.consents)):
            for i, e in enumerate(entries):
                proofs[e.raw] = page.proofs.get((kind, i))
    chain = review.trust if review.trust is not None and review.trust.usable else None
    for event in trail:
        commits = [hist.commits[c.sha] for c in event.commits if c.sha in hist.commits]
        if commits and all(pol.judged_by_git(c, hist.is_ancestor) for c in commits):
            continue
        key = tuple(sorted(event.fields.items()))
        proof = proofs.get(key)
        if proof is None or proof.key is None:
            event.proof, event.signer_ok = "ssh", False
        else:
            event.proof = f"ssh {proof.key.fingerprint}"
            name = event.fields.get("name", "")
            rosters = [chain.at(c.sha) for c in commits] if chain is not None else [review.roster]
            event.signer_ok = all(r is not None and r.person(name) is not None
                                  and r.person(name).key(proof.key.blob) is not None for r in rosters)
        event.valid = (event.current and bool(event.signer_ok) and event.valid_digest
                       and event.withdrawn_by is None)


# -- where each page's listing starts ----------------------------------------------

class SinceError(ValueError):
    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en


@dataclass(frozen=True)
class Since:
    """Where the listing of each page's commits starts (``audit --since``)."""

    text: str  # as given
    day: _dt.date | None = None  # a date: commits of that day (China Standard Time) and later
    commit: str | None = None  # a commit: it, and every commit that is not its ancestor


def parse_since(start: Path, text: str) -> Since:
    """``YYYY-MM-DD`` or anything ``git rev-parse`` names a commit by (sha, tag, ``HEAD~20``)."""
    try:
        return Since(text, day=_dt.date.fromisoformat(text.strip()))
    except ValueError:
        pass
    try:
        root = gitaudit.find_root(start)
        sha = gitaudit._git(root, "rev-parse", "--verify", "-q", "--end-of-options",
                            f"{text}^{{commit}}").decode().strip()
    except gitaudit.GitUnavailable:
        raise SinceError(f"--since {text!r} 既不是日期（YYYY-MM-DD）也不是本仓库的提交",
                         f"--since {text!r} is neither a date (YYYY-MM-DD) nor a commit of this "
                         "repository") from None
    return Since(text, commit=sha)


def _ancestors(history: gitaudit.History, sha: str) -> set[str]:
    seen, stack = set(), [sha]
    while stack:
        for parent in history.commits[stack.pop()].parents:
            if parent not in seen and parent in history.commits:
                seen.add(parent)
                stack.append(parent)
    return seen


def cut_timeline(history: gitaudit.History, timeline: list[TimelineStep], since: Since | None,
                 ancestors: set[str] | None = None) -> tuple[list[TimelineStep], int, CommitRef | None]:
    """(the steps listed, how many earlier ones are not, the step where the page entered review).

    By default a page is listed from its first version with a review record — or the
    first step with a review event, whichever comes first, so that no signature or
    consent is ever hidden by the default.  ``since`` lists from a date or a commit
    instead (``ancestors``: that commit's, computed once for all pages).
    """
    entered = next((s for s in timeline if s.in_review or s.has_events), None)
    if since is None:
        kept = timeline[timeline.index(entered):] if entered is not None else []
    elif since.day is not None:
        from .queue import commit_day
        # From the first step on that day or later, in the order of history: a commit after
        # it whose date was written earlier (backdated) is listed all the same.
        first = next((i for i, s in enumerate(timeline)
                      if commit_day(history.commits[s.commit.sha]) >= since.day), len(timeline))
        kept = timeline[first:]
    else:
        ancestors = _ancestors(history, since.commit) if ancestors is None else ancestors
        kept = [s for s in timeline if s.commit.sha == since.commit or s.commit.sha not in ancestors]
    return kept, len(timeline) - len(kept), entered.commit if entered is not None else None


# -- the whole report ----------------------------------------------------------------

def _title(page: PageResult, docs_dir: Path | None = None) -> str:
    """The page's title as the build shows it: front matter ``title``, else its first heading.

    A page without front matter (a pre-gate page) has its heading read from the file.
    """
    if page.document is not None:
        return titles.page_title(page.document.meta, page.publish_body or "") or ""
    if docs_dir is None:
        return ""
    try:
        text = frontmatter.decode((docs_dir / page.path).read_bytes())
    except Exception:  # noqa: BLE001 - a title is for display: none rather than a failed report
        return ""
    if text.lstrip("\ufeff").startswith("---"):
        return ""  # front matter that does not read: what MkDocs would show is not known
    return titles.heading_title(text) or ""


def _versions(history: gitaudit.History, repo_paths: list[str], lang: str) -> dict[str, Version]:
    """Every blob these pages ever had, read through one pipelined ``git cat-file``."""
    wanted: list[str] = []
    seen: set[str] = set()
    for rp in repo_paths:
        for ch in history.changes.get(rp, []):
            for blob in (ch.blob, *ch.parent_blobs):
                if blob != gitaudit.NULL_SHA and blob not in seen:
                    seen.add(blob)
                    wanted.append(blob)
    return {sha: read_version(raw, lang) for sha, raw in gitaudit.read_blobs(history.root, wanted)}


def _page_audit(page: PageResult, lang: str, docs_dir: Path | None = None) -> PageAudit:
    return PageAudit(page.path, _title(page, docs_dir), page.verdict.outcome.value,
                     report.label(page.verdict.outcome, lang), report.first_reason(page, lang),
                     page.published)


def build_report(gc: GateConfig, paths: list[str] | None = None, lang: str = "zh",
                 now: _dt.datetime | None = None, since: str | None = None) -> AuditReport:
    """Review the pages as the build would and read each one's trail from git history.

    ``since`` (a date or a commit, see ``parse_since``) chooses where each page's
    listing starts; by default, where the page entered review.  Raises SinceError.
    """
    where = parse_since(gc.docs_dir, since) if since is not None else None
    review = Gate(gc).review(paths)
    hist = review.history
    if hist is not None and hist.partial:
        # A large site's history was read ahead in another process, which kept only each
        # page's evidence; the report lists every commit, so it reads the history itself.
        hist = gitaudit.read_history(gc.docs_dir)
    if hist is not None and where is not None and where.commit is not None \
            and where.commit not in hist.commits:
        raise SinceError(f"--since {since}：该提交不在 HEAD 的历史中",
                         f"--since {since}: that commit is not in the history of HEAD")
    generated = (now or _dt.datetime.now().astimezone()).isoformat(timespec="seconds")
    out = AuditReport(generated, hist.head if hist else None,
                      str(hist.root) if hist else str(gc.docs_dir), lang,
                      list(review.site_findings), since=since)
    pages = sorted(review.pages.values(), key=lambda p: p.path)
    out.pages = [_page_audit(p, lang, gc.docs_dir) for p in pages]
    if hist is None:
        out.error = ("无法读取 git 历史，审计记录不完整" if lang == "zh"
                     else "git history could not be read; the audit trail is incomplete")
        return out
    to_repo = hist.page_paths(gc.docs_dir)
    repo_paths = {p.path: p.repo_path or to_repo(p.path) for p in pages}
    try:
        versions = _versions(hist, [rp for rp in repo_paths.values() if rp], lang)
        ancestors = _ancestors(hist, where.commit) if where is not None and where.commit else None
        for page, audit in zip(pages, out.pages):
            rp = repo_paths[page.path]
            if not rp:
                continue
            try:
                roster_at = (review.trust.at if review.trust is not None and review.trust.usable
                             else review.roster)
                timeline, audit.trail = page_trail(hist, rp, versions, roster_at, page.digest, lang)
                _ssh_proofs(audit.trail, page, hist, review, gc)
                audit.timeline, audit.earlier, audit.entered = cut_timeline(hist, timeline, where,
                                                                            ancestors)
            except Exception as exc:  # noqa: BLE001 - shown as an error, never dropped
                audit.error = (f"读取审计记录时出错：{exc!r}" if lang == "zh"
                               else f"the audit trail could not be read: {exc!r}")
        out.roster_path = hist.repo_path(gc.roster) or str(gc.roster)
        out.roster_changes = [commit_ref(c) for c in hist.touching(out.roster_path)]
    except Exception as exc:  # noqa: BLE001 - shown as an error, never dropped
        out.error = (f"读取 git 历史时出错：{exc!r}" if lang == "zh"
                     else f"reading git history failed: {exc!r}")
    finally:
        hist.close()
    return out
