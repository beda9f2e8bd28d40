"""Who may sign, as git history proves it: the roster's chain of approvals (第十条, 第十一条, 第十八条).

The roster decides whose signature counts, so changing it is as sensitive as
signing.  Three rules keep one editor from changing who may sign:

1. **Judged when signed.**  A signature or consent is judged against the roster
   in force at the commit that introduced it — never the roster as it is today.
   A forged entry does not become valid when its writer is added later, and a
   leader who leaves does not take the pages they approved with them.
2. **Changes take effect once approved.**  Every roster version carries a
   ``version`` number.  Version *n* is in force at a commit once ``quorum``
   administrators (``steps: [admin]``) of version *n − 1* have approved exactly
   its content (an ``approvals`` entry bound to its digest, introduced by a
   commit authored by that administrator, made where version *n − 1* was in
   force) and those approving commits are ancestors of that commit.  The
   highest version in force wins: bringing an old roster file back (revert,
   merge, checkout) changes nothing, and two different approved versions with
   one number (a fork) stop every page until the trust root is pinned anew.
3. **A root of trust outside the editor's reach.**  The first version is taken
   on trust.  Set ``SECRECY_GATE_TRUST_ROOT`` (a CI setting only
   administrators of the hosting platform can change) to the commit that
   introduced it; without it the gate trusts the one version with
   administrators that every other such version descends from (trust on first
   use), and says so on every build.  The roster is read from
   ``reviews/roster.yml`` beside ``mkdocs.yml``; another path needs the pin,
   since ``mkdocs.yml`` can name any file.

The roster is read from git objects only: an uncommitted or
``--skip-worktree`` working copy is never used.

Under the site policy ``signatures: ssh`` (``signatures/policy.py``) an approval
counts by its SSH signature (``sshsig``) by a key the approving version gives
that administrator, not by the git author of the commit that introduced it: a
squash-merged roster change keeps working, and a forged author approves
nothing.  The first version's keys are trusted as the first version is (the
pinned or first commit); with ``SECRECY_GATE_ADMIN_KEYS`` set in CI, the first
version must in addition carry approvals by ``quorum`` of its own
administrators signed with keys of those fingerprints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..core import frontmatter
from ..core.findings import Finding, Severity
from ..core.record import entry_key
from ..core.roster import Roster, RosterError, parse_roster
from ..history.gitaudit import NULL_SHA, Commit, GitUnavailable, History, _git

TRUST_ROOT_ENV = "SECRECY_GATE_TRUST_ROOT"
DEFAULT_ROSTER = Path("reviews") / "roster.yml"
ARTICLE = "第十条、第十八条"


@dataclass
class Version:
    """One roster blob of the history."""

    blob: str
    roster: Roster | None
    error: RosterError | None = None


@dataclass
class TrustChain:
    """The approved roster versions and where each is in force."""

    path: str | None = None  # the roster's repository path
    genesis: list[Commit] = field(default_factory=list)  # commits that introduced the first version
    pinned: bool = False
    approved: dict[int, Roster] = field(default_factory=dict)  # version number -> roster
    in_force: dict[int, set[str]] = field(default_factory=dict)  # version number -> commits
    findings: list[Finding] = field(default_factory=list)
    head_version: Roster | None = None  # the roster as committed at HEAD (maybe not approved)
    history: History | None = None
    policy: object = None  # signatures.policy.Policy; None: `signatures: git`
    _after: dict = field(default_factory=dict)  # commit -> its descendants (computed on demand)
    _numbers: dict = field(default_factory=dict)  # commit -> the version in force there

    @property
    def usable(self) -> bool:
        return bool(self.approved) and not any(f.withholds for f in self.findings)

    @property
    def first(self) -> int | None:
        return min(self.approved) if self.approved else None

    def number_at(self, sha: str) -> int | None:
        """The version in force at a commit (the first version before the root)."""
        if sha in self._numbers:
            return self._numbers[sha]
        best = None
        if self.usable:
            for n, commits in self.in_force.items():
                if sha in commits and (best is None or n > best):
                    best = n
            if best is None:
                best = self.first
        self._numbers[sha] = best
        return best

    def at(self, sha: str) -> Roster | None:
        n = self.number_at(sha)
        return None if n is None else self.approved[n]

    def revoked(self, name: str, step: str, sha: str) -> int | None:
        """A later version, not made after ``sha``, in which ``name`` may not take ``step``.

        A signature is judged by the roster in force at its commit; but a removal
        approved on another line of history — concurrently, not after the signature —
        still applies when the two lines are merged: a reviewer removed on the main
        line cannot sign on a branch forked before the removal.  Returns that
        version's number, or None.
        """
        return self._withdrawn(name, sha, lambda person: person.may(step))

    def key_revoked(self, name: str, blob: bytes, sha: str) -> int | None:
        """A later version, not made after ``sha``, that no longer gives ``name`` that key.

        As ``revoked`` for a step: a key removed on the main line cannot sign on a branch
        forked before the removal, once the two lines meet.
        """
        return self._withdrawn(name, sha, lambda person: person.key(blob) is not None)

    def _withdrawn(self, name: str, sha: str, still) -> int | None:
        """The first later version, not made after ``sha``, where ``still(person)`` is false
        for ``name`` (or ``name`` is gone)."""
        n = self.number_at(sha)
        if n is None or self.history is None:
            return None
        for m in sorted(k for k in self.approved if k > n):
            person = self.approved[m].person(name)
            if person is not None and still(person):
                continue
            if sha not in self._after:
                self._after[sha] = self.history.descendants(sha)
            if not self.in_force[m] <= self._after[sha]:
                return m
        return None

    def at_head(self, history: History) -> Roster | None:
        return self.at(history.head) if history.head else None

    @property
    def pending(self) -> Roster | None:
        """The committed roster when it is not (yet) an approved version."""
        head = self.head_version
        if head is None or not self.approved:
            return None
        if head.version in self.approved and self.approved[head.version].digest == head.digest:
            return None
        return head


def _site(code: str, zh: str, en: str, fix_zh: str, fix_en: str,
          severity: Severity = Severity.ERROR) -> Finding:
    return Finding(code, ARTICLE, "(site)", zh, en, fix_zh, fix_en, "roster", None, severity)


def _approval_entries(version: Version | None) -> frozenset:
    if version is None or version.roster is None:
        return frozenset()
    return frozenset(entry_key(a) for a in version.roster.approvals)


def approval_signed(approval: dict, what: str, digest: str, person, days) -> str | None:
    """Why an approval's SSH signature does not prove ``person`` approved ``digest``; None if it does.

    ``days``: the approval's own date and its commits' dates, each inside the key's window.
    """
    from ..signatures import messages, sshsig

    armoured = approval.get(messages.ENTRY_FIELD)
    if not armoured:
        return "sshsig.missing"
    try:
        key = sshsig.verify(armoured, messages.approval_message(
            what, approval.get("name"), approval.get("date"), digest), messages.NAMESPACE)
    except sshsig.SSHSigError as exc:
        return exc.code
    rk = person.key(key.blob)
    if rk is None:
        return f"sshsig.unknown-key {key.fingerprint}"
    if not all(rk.valid_on(d) for d in days if d is not None):
        return f"sshsig.key-expired {key.fingerprint}"
    return None


def _approval_day(approval: dict):
    import datetime as _dt
    try:
        return _dt.date.fromisoformat(str(approval.get("date")))
    except ValueError:
        return _dt.date.min  # no key is valid on no day


def _proves(chain: TrustChain, history: History, approval: dict, what: str, digest: str,
            person, c: Commit) -> str | None:
    """Why commit ``c``'s introduction of ``approval`` does not prove ``person`` approved; None if it does."""
    policy = chain.policy
    if c.malformed:
        return f"malformed commit {c.sha[:10]}"
    if policy is not None and not policy.judged_by_git(c, history.is_ancestor):
        return approval_signed(approval, what, digest, person, (_approval_day(approval), c.local_date))
    if c.email not in person.emails:
        return f"not written by that administrator ({c.sha[:10]} {c.email})"
    return None


def _signing_key(chain: TrustChain, history: History, approval: dict, what: str, digest: str,
                 c: Commit) -> bytes | None:
    """The key blob whose SSH signature proves ``approval`` at ``c``, or None where git proves it."""
    policy = chain.policy
    if policy is None or policy.judged_by_git(c, history.is_ancestor):
        return None
    from ..signatures import messages, sshsig
    try:
        return sshsig.verify(approval.get(messages.ENTRY_FIELD), messages.approval_message(
            what, approval.get("name"), approval.get("date"), digest), messages.NAMESPACE).blob
    except sshsig.SSHSigError:
        return None  # _proves has refused it already


def read_version(history: History, blob: str) -> Version:
    raw = history.blob_text(blob)
    if raw is None:
        return Version(blob, None, RosterError("无法从 git 读取名册", "the roster cannot be read from git"))
    try:
        return Version(blob, parse_roster(frontmatter.decode(raw)))
    except (RosterError, frontmatter.FrontMatterError) as exc:
        return Version(blob, None, RosterError(getattr(exc, "zh", str(exc)), getattr(exc, "en", str(exc))))


def trust_chain(history: History, roster_path: Path, default_path: Path | None,
                pin: str | None = None, policy=None) -> TrustChain:
    """Follow the roster's approvals through history.  Never raises: problems are findings.

    ``policy``: the site's signatures.policy.Policy (None or ``git``: approvals are proven
    by their commits' authors)."""
    pin = os.environ.get(TRUST_ROOT_ENV, "").strip() if pin is None else pin.strip()
    chain = TrustChain(path=history.repo_path(roster_path), history=history,
                       policy=policy if policy is not None and policy.ssh else None)
    rp = chain.path
    fix_pin_zh = (f"由管理员在 CI 设置中把 {TRUST_ROOT_ENV} 设为名册首个版本的提交"
                  "（secrecy-gate trust 显示该提交）")
    fix_pin_en = (f"an administrator sets {TRUST_ROOT_ENV} in the CI settings to the commit of the "
                  "roster's first version (`secrecy-gate trust` shows it)")
    if rp is None:
        chain.findings.append(_site("roster.outside", f"名册 {roster_path} 不在 git 仓库中",
                                    f"the roster {roster_path} is outside the git repository",
                                    "把名册放在仓库内并提交", "keep the roster in the repository and commit it"))
        return chain
    if default_path is not None and not pin and Path(roster_path).resolve() != Path(default_path).resolve():
        chain.findings.append(_site(
            "roster.path-unpinned",
            f"名册路径被设为 {roster_path}，而不是 {default_path}：mkdocs.yml 可以指向任何文件，"
            "只有固定信任根后才能使用其他路径",
            f"the roster option points at {roster_path}, not {default_path}: mkdocs.yml can name any "
            "file, so another path is used only with a pinned trust root",
            "使用 reviews/roster.yml，或" + fix_pin_zh, "use reviews/roster.yml, or " + fix_pin_en))
        return chain
    versions: dict[str, Version] = {}

    def version(blob: str) -> Version | None:
        if blob == NULL_SHA:
            return None
        if blob not in versions:
            versions[blob] = read_version(history, blob)
        return versions[blob]

    head_blob = history.head_blobs.get(rp)
    if head_blob is not None:
        chain.head_version = version(head_blob).roster
    changes = history.changes.get(rp, [])
    try:
        genesis_blob = _genesis(history, rp, changes, version, pin, chain)
    except GitUnavailable as exc:
        chain.findings.append(_site("trust-root.unknown", exc.zh, exc.en, fix_pin_zh, fix_pin_en))
        return chain
    if genesis_blob is None:
        return chain
    first = version(genesis_blob).roster
    n0 = first.version
    chain.approved[n0] = first
    descendants = set()
    for g in chain.genesis:
        descendants |= history.descendants(g.sha)
    chain.in_force[n0] = descendants
    _follow(history, rp, changes, version, chain, n0)
    return chain


def _genesis(history: History, rp: str, changes, version, pin: str, chain: TrustChain) -> str | None:
    """The blob of the first trusted version; records the commits that introduced it."""
    fix_zh = "在名册中写明 version: 1，并把至少两名管理员的 steps 加上 admin，提交后在 CI 中固定该提交"
    fix_en = ("write `version: 1` in the roster, add `admin` to the steps of at least two "
              "administrators, commit, and pin that commit in CI")
    if pin:
        matches = [s for s in history.commits if s.startswith(pin.lower())] if len(pin) >= 7 else []
        if len(matches) != 1:
            chain.findings.append(_site(
                "trust-root.unknown", f"{TRUST_ROOT_ENV}={pin} 不是本仓库 HEAD 历史中的唯一提交",
                f"{TRUST_ROOT_ENV}={pin} is not one commit in the history of HEAD",
                "核对 CI 设置中的提交编号", "check the commit id in the CI settings"))
            return None
        sha = matches[0]
        blob = _git(history.root, "rev-parse", "--verify", "-q", f"{sha}:{rp}").decode().strip()
        v = version(blob)
        if v is None or v.roster is None or v.roster.version is None or not v.roster.admins:
            chain.findings.append(_site(
                "trust-root.invalid", f"信任根提交 {sha[:10]} 中的名册 {rp} 无效、没有 version 或没有管理员",
                f"the roster {rp} at the trust root {sha[:10]} is invalid, has no version or no "
                "administrator", fix_zh, fix_en))
            return None
        chain.genesis = [history.commits[sha]]
        chain.pinned = True
        return blob
    candidates = []
    for ch in changes:
        v = version(ch.blob)
        if v is not None and v.roster is not None and v.roster.version is not None and v.roster.admins:
            candidates.append((history.commits[ch.commit], ch.blob))
    if not candidates:
        chain.findings.append(_site(
            "roster.no-root", f"名册 {rp} 的历史中没有带 version 和管理员（admin）的版本：谁能改名册无从约束，"
            "任何有推送权限的人都能改变谁可以签署",
            f"no version of the roster {rp} in history has a version number and administrators "
            "(admin): nothing limits who may change who signs", fix_zh, fix_en))
        return None
    minimal = [(c, b) for c, b in candidates
               if not any(history.is_ancestor(o.sha, c.sha) for o, _ in candidates if o.sha != c.sha)]
    if len({b for _, b in minimal}) > 1:
        chain.findings.append(_site(
            "trust-root.ambiguous",
            "名册有多个互不相干的初始版本（" + "、".join(c.sha[:10] for c, _ in minimal)
            + "），无法确定信任根", "the roster has several unrelated first versions ("
            + ", ".join(c.sha[:10] for c, _ in minimal) + "); the root of trust is ambiguous",
            f"由管理员在 CI 设置中把 {TRUST_ROOT_ENV} 设为正确的首个版本提交",
            f"an administrator sets {TRUST_ROOT_ENV} in the CI settings to the right first commit"))
        return None
    chain.genesis = [c for c, _ in minimal]
    chain.findings.append(_site(
        "trust-root.unpinned",
        f"信任根未固定：名册首个版本（提交 {minimal[0][0].sha[:10]}）按首次使用信任；"
        f"请在 CI 设置中固定 {TRUST_ROOT_ENV}={minimal[0][0].sha}",
        f"the trust root is not pinned: the roster's first version (commit {minimal[0][0].sha[:10]}) "
        f"is trusted on first use; pin {TRUST_ROOT_ENV}={minimal[0][0].sha} in the CI settings",
        f"管理员在 CI 的受保护变量中设置 {TRUST_ROOT_ENV}={minimal[0][0].sha}",
        f"an administrator sets the protected CI variable {TRUST_ROOT_ENV}={minimal[0][0].sha}",
        Severity.NOTICE))
    return minimal[0][1]


def _follow(history: History, rp: str, changes, version, chain: TrustChain, n0: int) -> None:
    """Approve versions n0+1, n0+2 … in turn, as far as approvals reach."""
    intro = history.introductions(rp, entries=lambda blob: _approval_entries(version(blob)))
    # version number -> digest -> (the roster, every approval any blob of it ever held):
    # blobs of one version differ only in their approvals, each proven on its own below.
    by_number: dict[int, dict[str, tuple[Roster, list[dict]]]] = {}
    for ch in changes:
        v = version(ch.blob)
        if v is not None and v.roster is not None and v.roster.version is not None:
            roster, approvals = by_number.setdefault(v.roster.version, {}).setdefault(
                v.roster.digest, (v.roster, []))
            approvals.extend(a for a in v.roster.approvals if a not in approvals)
    if chain.policy is not None:
        _first_keys(chain, by_number.get(n0, {}).get(chain.approved[n0].digest, (None, []))[1])
    n = n0
    while n + 1 in by_number:
        previous, prev_force = chain.approved[n], chain.in_force[n]
        admins = {p.name: p for p in previous.admins}
        winners: dict[str, tuple[Roster, set[str]]] = {}
        for digest, (candidate, approvals) in by_number[n + 1].items():
            approvers: dict[str, set[str]] = {}  # commit -> administrators whose approval reaches it
            for approval in approvals:
                person = admins.get(approval.get("name"))
                if person is None or approval.get("digest") != digest:
                    continue
                for c in intro.get(entry_key(approval), ()):
                    if c.sha in prev_force and _proves(chain, history, approval, "roster", digest,
                                                       person, c) is None:
                        for sha in history.descendants(c.sha):
                            approvers.setdefault(sha, set()).add(person.name)
            force = {sha for sha, names in approvers.items() if len(names) >= previous.quorum}
            if force:
                winners[digest] = (candidate, force)
        if not winners:
            break
        if len(winners) > 1:
            chain.findings.append(_site(
                "roster.fork", f"名册第 {n + 1} 版有 {len(winners)} 个不同的已批准版本：名册的批准链出现分叉",
                f"version {n + 1} of the roster was approved in {len(winners)} different forms: the "
                "chain of approvals forks",
                f"管理员核对名册历史，并在 CI 设置中把 {TRUST_ROOT_ENV} 设为正确的版本提交",
                f"administrators check the roster's history and pin {TRUST_ROOT_ENV} to the right commit"))
            return
        (candidate, force), = winners.values()
        chain.approved[n + 1] = candidate
        chain.in_force[n + 1] = force
        n += 1


def _first_keys(chain: TrustChain, approvals: list[dict]) -> None:
    """``signatures: ssh``: where trust in the first version's keys comes from (第十条, 第十八条).

    With ``SECRECY_GATE_ADMIN_KEYS`` (a protected CI variable): ``quorum`` administrators of
    the first version approved it with keys of those fingerprints — a history rewritten
    around another first roster fails.  Without it: the first version is trusted as its
    commit is (pinned or first use), and a notice says so.
    """
    from ..signatures.policy import ADMIN_KEYS_ENV

    first = chain.approved[chain.first]
    pins = chain.policy.pins
    if not pins:
        chain.findings.append(_site(
            "trust-root.keys-unpinned",
            f"管理员密钥未固定：名册中的密钥随给出它们的名册版本一同信任（信任根第 {first.version} 版按"
            f"{'固定的提交' if chain.pinned else '首次使用'}信任，此后各版须经批准）；请在 CI 设置中固定 {ADMIN_KEYS_ENV}",
            f"the administrators' keys are not pinned: keys are trusted as the roster version that "
            f"gives them is (the trust root, version {first.version}, "
            f"{'by its pinned commit' if chain.pinned else 'on first use'}; each later version by its "
            f"approvals); pin {ADMIN_KEYS_ENV} in the CI settings",
            f"管理员在 CI 的受保护变量中设置 {ADMIN_KEYS_ENV}=管理员公钥指纹（ssh-keygen -lf 密钥.pub），"
            "并各自运行 secrecy-gate approve roster 签署第一版",
            f"an administrator sets the protected CI variable {ADMIN_KEYS_ENV} to the administrators' "
            "key fingerprints (`ssh-keygen -lf KEY.pub`), and each runs `secrecy-gate approve roster` "
            "on the first version", Severity.NOTICE))
        return
    names = set()
    for approval in approvals:
        person = first.person(approval.get("name"))
        if person is None or not person.may("admin") or approval.get("digest") != first.digest:
            continue
        if approval_signed(approval, "roster", first.digest, person, (_approval_day(approval),)) is None:
            from ..signatures import messages, sshsig
            key = sshsig.verify(approval[messages.ENTRY_FIELD], messages.approval_message(
                "roster", approval.get("name"), approval.get("date"), first.digest), messages.NAMESPACE)
            if key.fingerprint in pins:
                names.add(person.name)
    if len(names) < first.quorum:
        have = "、".join(sorted(names)) or "无"
        chain.findings.append(_site(
            "trust-root.keys-unapproved",
            f"名册第 {first.version} 版（信任根）须由 {first.quorum} 名管理员用 {ADMIN_KEYS_ENV} 固定的密钥签署批准，"
            f"现有：{have}",
            f"roster version {first.version} (the trust root) needs approvals by {first.quorum} "
            f"administrator(s) signed with keys pinned in {ADMIN_KEYS_ENV}; signed by: "
            f"{', '.join(sorted(names)) or 'none'}",
            "管理员核对第一版名册后各自运行 secrecy-gate approve roster；或在 CI 设置中核对固定的指纹",
            "administrators check the first roster version and each run `secrecy-gate approve roster`; "
            "or check the fingerprints pinned in the CI settings"))


def single_approver_finding(roster: Roster) -> Finding:
    """A warning: one administrator alone can change who signs and what the site is built with."""
    admins = "、".join(p.name for p in roster.admins) or "—"
    return _site("roster.single-approver",
                 f"名册第 {roster.version} 版只需一名管理员（{admins}）批准即可修改名册和构建输入：一人即可改变谁能签署",
                 f"roster version {roster.version} lets one administrator ({admins}) approve the next "
                 "version and the build inputs alone: one person can change who signs",
                 "在下一版名册中至少设两名管理员，并保留 admin_quorum 默认值 2",
                 "name at least two administrators in the next roster version and keep the default "
                 "admin_quorum of 2", Severity.WARNING)


def pending_finding(chain: TrustChain, history: History) -> Finding:
    """A warning: the committed roster is not (yet) the approved one in force."""
    pending = chain.pending
    current = chain.at_head(history)
    number = current.version if current is not None else "?"
    need = current.quorum if current is not None else "?"
    admins = "、".join(p.name for p in current.admins) if current is not None else ""
    if pending.version != (current.version + 1 if current is not None else None):
        zh = (f"已提交的名册（version: {pending.version}）不是生效版本 {number} 的下一版：它不会生效，"
              f"审查仍按第 {number} 版进行")
        en = (f"the committed roster (version: {pending.version}) is not the successor of version "
              f"{number} in force: it cannot take effect, and reviews are judged by version {number}")
        fix_zh = f"把 version 改为 {number + 1 if isinstance(number, int) else '下一版'} 后提交并送管理员批准"
        fix_en = f"set version to {number + 1 if isinstance(number, int) else 'the next number'}, commit it and have it approved"
    else:
        zh = (f"名册第 {pending.version} 版已提交，尚待 {need} 名管理员（{admins}）批准；"
              f"批准前审查仍按第 {number} 版进行")
        en = (f"roster version {pending.version} is committed and awaits approval by {need} "
              f"administrator(s) ({admins}); until then reviews are judged by version {number}")
        fix_zh = "管理员核对名册变更后运行 secrecy-gate approve roster"
        fix_en = "administrators check the change and run `secrecy-gate approve roster`"
    return _site("roster.pending", zh, en, fix_zh, fix_en, Severity.WARNING)


# -- the build inputs' approval (reviews/site.yml) -------------------------------------

@dataclass
class RecordState:
    """``reviews/site.yml`` as committed at HEAD, and whether administrators approved it."""

    path: str | None
    recorded: dict | None = None  # the inputs it records; None when absent or invalid
    error: Exception | None = None  # RecordError when it cannot be read
    digest: str | None = None
    approvers: list[str] = field(default_factory=list)
    quorum: int = 0
    notes: list[str] = field(default_factory=list)  # why an approval entry did not count

    @property
    def approved(self) -> bool:
        return self.recorded is not None and len(self.approvers) >= self.quorum > 0


def record_approval(history: History, chain: TrustChain, record_path: Path) -> RecordState:
    """第二条, 第十八条: the committed record of the build inputs and its valid approvals.

    An approval counts when it names the digest of the recorded inputs, its name
    is an administrator in the roster in force at the commit that introduced it,
    that commit was authored by that administrator, and no later version of the
    record on the way to HEAD differed (the resurrection rule of pages).
    """
    from . import inputs  # the record's format lives with the inputs

    rp = history.repo_path(record_path)
    state = RecordState(rp)
    head = history.head_blobs.get(rp) if rp is not None else None
    if head is None or not chain.usable:
        return state
    parsed: dict[str, tuple] = {}

    def read(blob: str):
        if blob not in parsed:
            raw = history.blob_text(blob)
            try:
                parsed[blob] = inputs._record_data(frontmatter.decode(raw or b""), str(record_path))
            except (inputs.RecordError, frontmatter.FrontMatterError) as exc:
                parsed[blob] = exc
        return parsed[blob]

    def entries(blob: str) -> frozenset:
        got = read(blob)
        if isinstance(got, Exception):
            return frozenset()
        return frozenset(entry_key(a) for a in got[1] if isinstance(a, dict))

    def same(a: str, b: str) -> bool:
        ra, rb = (read(x) if x != NULL_SHA else None for x in (a, b))
        return (isinstance(ra, tuple) and isinstance(rb, tuple)
                and inputs.record_digest(ra[0]) == inputs.record_digest(rb[0]))

    got = read(head)
    if isinstance(got, Exception):
        state.error = got
        return state
    state.recorded, approvals = got
    state.digest = inputs.record_digest(state.recorded)
    current = chain.at_head(history)
    state.quorum = current.quorum if current is not None else 0
    intro = history.introductions(rp, entries=entries)
    keys = {entry_key(a) for a in approvals if isinstance(a, dict)}
    voided = history.voided(rp, intro, keys, same=same)
    for a in approvals:
        if not isinstance(a, dict) or a.get("digest") != state.digest:
            continue
        key = entry_key(a)
        name = a.get("name")
        if key in voided:
            state.notes.append(f"{name}: voided by {voided[key].sha[:10]}")
            continue
        for c in intro.get(key, ()):
            roster = chain.at(c.sha)
            person = roster.person(name) if roster is not None else None
            why = ("not an administrator" if person is None or not person.may("admin")
                   else _proves(chain, history, a, "inputs", state.digest, person, c))
            if why is not None:
                state.notes.append(f"{name}: {why} ({c.sha[:10]})")
                break
            if chain.revoked(name, "admin", c.sha) is not None:
                state.notes.append(f"{name}: no longer an administrator where this was merged")
                break
            blob = _signing_key(chain, history, a, "inputs", state.digest, c)
            if blob is not None and chain.key_revoked(name, blob, c.sha) is not None:
                # As for an entry: a key withdrawn on another line of history no longer
                # approves once the two lines meet.
                state.notes.append(f"{name}: signed with a key revoked where this was merged")
                break
        else:
            if intro.get(key) and name not in state.approvers:
                state.approvers.append(name)
    return state


def unapproved_finding(state: RecordState, shown: str, roster: Roster | None) -> Finding:
    admins = "、".join(p.name for p in roster.admins) if roster is not None else ""
    have = "、".join(state.approvers) or "无"
    return Finding(
        "site-inputs.unapproved", "第二条、第十八条", shown,
        f"构建输入记录 {shown} 尚未经 {state.quorum} 名管理员批准（已批准：{have}）：站点不予发布",
        f"the build-input record {shown} is not approved by {state.quorum} administrator(s) "
        f"(approved by: {', '.join(state.approvers) or 'none'}); nothing is published",
        f"管理员（{admins}）核对变更后分别运行 secrecy-gate approve inputs",
        f"administrators ({admins}) check the change and each run `secrecy-gate approve inputs`",
        "approvals")
