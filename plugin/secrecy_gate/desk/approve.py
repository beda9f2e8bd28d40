"""Administrators approve a roster version (第十条, 第十八条).

``secrecy-gate approve roster`` is the administrators' ``sign``: the current
git author, an administrator of the roster version in force, adds an
``approvals`` entry bound to the digest of the roster as committed at HEAD, and
commits that one file as themselves.  The new version takes effect once
``quorum`` administrators have done so (``review/trust.py``).  Nothing
uncommitted is ever approved: the working copy must be the committed file.
"""

from __future__ import annotations

import io
from pathlib import Path

from ..core.roster import Roster, RosterError, parse_roster
from ..history.gitaudit import History
from ..review.gate import Gate, GateConfig, SiteReview
from .signing import SignError, _commit, _detect_indent, _flow, _ssh_sign, _yaml, git_author_ident


def _signed(gate_config: GateConfig, person, what: str, entry: dict, signer=None) -> dict:
    """Under ``signatures: ssh``: the approval with the administrator's SSH signature."""
    if gate_config.signatures != "ssh":
        return entry
    from ..signatures import messages
    message = messages.approval_message(what, entry["name"], entry["date"].isoformat(), entry["digest"])
    return {**entry, messages.ENTRY_FIELD: _ssh_sign(gate_config, person, [message], signer)[0]}


def _first_unsigned(review: SiteReview) -> Roster | None:
    """The first roster version, when the only thing that stops the site is that its pinned
    administrators' keys have not signed it yet (review/trust.py ``_first_keys``)."""
    chain = review.trust
    stops = {f.code for f in review.site_findings if f.withholds}
    if chain is not None and chain.approved and stops == {"trust-root.keys-unapproved"}:
        return chain.approved[chain.first]
    return None


def _admin(review: SiteReview, cwd: Path):
    """The current git author as an administrator of the roster in force, with the date."""
    if review.roster is None and _first_unsigned(review) is not None:
        review.roster = _first_unsigned(review)
    if review.roster is None or review.history is None:
        why = [f for f in review.site_findings if f.withholds]
        raise SignError("无法确定生效的名册，不能批准：\n" + "\n".join("  " + f.render("zh") for f in why),
                        "no roster in force can be proven; nothing can be approved:\n"
                        + "\n".join("  " + f.render("en") for f in why))
    name, email, day = git_author_ident(cwd)
    person = review.roster.who_is(email)
    if person is None or not person.may("admin"):
        admins = "、".join(p.name for p in review.roster.admins) or "（无）"
        raise SignError(f"git 身份 {name} <{email}> 不是生效名册（第 {review.roster.version} 版）的管理员；"
                        f"管理员：{admins}",
                        f"the git identity {name} <{email}> is not an administrator of the roster in "
                        f"force (version {review.roster.version}); administrators: {admins}")
    return person, day


def _committed(history: History, path: Path) -> bytes:
    rp = history.repo_path(path)
    try:
        working = path.read_bytes()
    except OSError as exc:
        raise SignError(f"无法读取 {path}：{exc.strerror}", f"cannot read {path}: {exc.strerror}") from None
    if rp is None or not history.is_committed(rp) or history.differs(rp, working):
        raise SignError(f"{path} 有未提交的修改：只能批准已提交的版本，请先提交（或撤销）修改",
                        f"{path} has uncommitted changes: only a committed version can be approved; "
                        "commit (or discard) them first")
    return working


def write_approval(path: Path, text: str, entry: dict, keep_digest: str) -> str:
    """``text`` of a YAML file with ``entry`` appended to its top-level ``approvals`` list.

    Approvals of other digests (an earlier version) are dropped: they approve
    nothing this file now says.  Comments and key order are kept.
    """
    y = _yaml()
    y.indent(*_detect_indent(text))
    data = y.load(text)
    kept = [a for a in (data.get("approvals") or []) if a.get("digest") == keep_digest]
    kept.append(_flow(entry))
    data["approvals"] = kept
    buf = io.StringIO()
    y.dump(data, buf)
    return buf.getvalue()


def approve_roster(gate_config: GateConfig, commit: bool = True, signer=None
                   ) -> tuple[dict, Roster, str | None]:
    """Approve the committed roster as the next version; returns (entry, roster, commit).

    Under ``signatures: ssh``, an administrator of the first version may also approve
    that version itself: with ``SECRECY_GATE_ADMIN_KEYS`` pinned in CI, the first version
    counts only once enough pinned keys signed it (review/trust.py).
    """
    review = Gate(gate_config).review([])
    person, day = _admin(review, gate_config.roster.parent)
    chain = review.trust
    pending = chain.pending if chain is not None else None
    current = review.roster
    if (pending is None and gate_config.signatures == "ssh" and chain is not None
            and current.version == chain.first and review.history is not None
            and not any(a.get("name") == person.name and a.get("digest") == current.digest
                        and a.get("sshsig") for a in current.approvals)):
        raw = _committed(review.history, gate_config.roster)
        head = parse_roster(raw.decode("utf-8"))
        if head.digest == current.digest and not any(
                a.get("name") == person.name and a.get("sshsig") for a in head.approvals):
            pending = head  # the first version, signed by its own administrators
    if pending is None:
        raise SignError(f"已提交的名册就是生效的第 {current.version} 版，没有待批准的变更",
                        f"the committed roster is version {current.version} in force; nothing awaits approval")
    if pending.version != current.version + 1 and pending.digest != current.digest:
        raise SignError(f"已提交的名册写的是 version: {pending.version}，但下一版应为 {current.version + 1}："
                        "请先改正 version 并提交",
                        f"the committed roster says version: {pending.version}, but the next version is "
                        f"{current.version + 1}; correct it and commit first")
    ssh = gate_config.signatures == "ssh"
    if any(a.get("name") == person.name and a.get("digest") == pending.digest
           and (a.get("sshsig") or not ssh) for a in pending.approvals):
        raise SignError(f"{person.name} 已批准第 {pending.version} 版", f"{person.name} already approved version "
                        f"{pending.version}")
    raw = _committed(review.history, gate_config.roster)
    entry = _signed(gate_config, person, "roster",
                    {"name": person.name, "date": day, "digest": pending.digest}, signer)
    new_text = write_approval(gate_config.roster, raw.decode("utf-8"), entry, pending.digest)
    try:
        written = parse_roster(new_text)
    except RosterError as exc:
        raise SignError(f"写入批准后名册无法解析，已放弃：{exc.zh}", f"the roster would not parse; nothing "
                        f"written: {exc.en}") from None
    if written.digest != pending.digest:
        raise SignError("写入批准后名册摘要改变，已放弃写入（请报告此错误）",
                        "writing the approval would change the roster's digest; nothing written "
                        "(please report)")
    gate_config.roster.write_text(new_text, encoding="utf-8")
    sha = None
    if commit:
        sha = _commit(gate_config.roster, f"名册第 {pending.version} 版 管理员批准：{person.name}", entry)
    return entry, pending, sha


def approve_inputs(gate_config: GateConfig, commit: bool = True, signer=None
                   ) -> tuple[dict, int, str | None]:
    """Approve the committed record of the build inputs (``reviews/site.yml``), as the current
    git author; returns (entry, number of inputs, commit).

    The record must be committed, and the site's inputs as they are must be
    exactly what it records: an administrator approves what the build will use.
    """
    from ..review import inputs as site_inputs
    from ..review import trust

    review = Gate(gate_config).review()
    person, day = _admin(review, gate_config.roster.parent)
    path = gate_config.inputs_record
    raw = _committed(review.history, path)
    state = trust.record_approval(review.history, review.trust, path)
    if state.error is not None or state.recorded is None:
        why = state.error
        raise SignError(f"构建输入记录 {path} 无法读取：{getattr(why, 'zh', why)}；先运行 secrecy-gate inputs --record",
                        f"the build-input record {path} cannot be read: {getattr(why, 'en', why)}; run "
                        "`secrecy-gate inputs --record` first")
    site_config, options = gate_config.site
    current = site_inputs.site_inputs(site_config, options, site_inputs.page_titles(review))
    changes = site_inputs.compare(state.recorded, current)
    if changes:
        names = ", ".join(f"{c.path} ({c.state})" for c in changes[:20])
        raise SignError(f"站点的构建输入与记录不符，不能批准：{names}；先运行 secrecy-gate inputs --record 并提交",
                        f"the site's build inputs differ from the record and cannot be approved: {names}; "
                        "run `secrecy-gate inputs --record` and commit first")
    if person.name in state.approvers:
        raise SignError(f"{person.name} 已批准当前的构建输入记录", f"{person.name} already approved this record")
    entry = _signed(gate_config, person, "inputs",
                    {"name": person.name, "date": day, "digest": state.digest}, signer)
    new_text = write_approval(path, raw.decode("utf-8"), entry, state.digest)
    try:
        recorded, _ = site_inputs._record_data(new_text, str(path))
    except site_inputs.RecordError as exc:
        raise SignError(f"写入批准后记录无法解析，已放弃：{exc.zh}", f"the record would not parse; nothing "
                        f"written: {exc.en}") from None
    if recorded != state.recorded:
        raise SignError("写入批准后记录内容改变，已放弃写入（请报告此错误）",
                        "writing the approval would change the record; nothing written (please report)")
    path.write_text(new_text, encoding="utf-8")
    sha = None
    if commit:
        sha = _commit(path, f"构建输入 管理员批准：{person.name}（{len(current)} 项）", entry)
    return entry, len(current), sha
