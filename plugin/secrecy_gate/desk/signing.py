"""Writing signatures (第十条) and consents (第十一条) into a page's record.

The signer is the current git author (``git var GIT_AUTHOR_IDENT``).  The
entry is added with ruamel.yaml round-trip editing, so comments, key order
and quoting of the rest of the front matter survive; the body is untouched
byte for byte.  The result is re-read with the strict reader and its digest
checked before anything is written.

Under ``signatures: ssh`` each entry also carries ``sshsig``: the signer's SSH
signature (``signatures/messages.py`` says over what), made by OpenSSH with the
key git is configured with (``signatures/openssh.py``), and checked here before
anything is written — valid, and by a key the roster in force gives the signer.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import merge3
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..core import frontmatter
from ..core.digest import page_digest
from ..review.gate import Gate, GateConfig
from ..core.record import canonical_value
from ..core.roster import Person
from ..core.schema import STEP_NAMES_ZH, STEPS

# Findings that mean the record itself is not ready to be signed.
INCOMPLETE_CODES = ("front-matter.", "record.", "sensitive.", "third-party.kind", "agency.unknown")


class SignError(RuntimeError):
    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh}\n{en}")
        self.zh = zh
        self.en = en


@dataclass
class SignResult:
    page: Path
    entry: dict
    dropped: int
    commit: str | None


def git_author(cwd: Path) -> tuple[str, str]:
    name, email, _ = git_author_ident(cwd)
    return name, email


def git_author_ident(cwd: Path) -> tuple[str, str, _dt.date]:
    """(name, e-mail, date) of the git author a commit made now would carry.

    The date is the author date in the author's own time zone — the date the
    signing commit will show — so an entry's date and its commit agree
    (``GIT_AUTHOR_DATE`` included).
    """
    proc = subprocess.run(["git", "var", "GIT_AUTHOR_IDENT"], cwd=cwd, capture_output=True,
                          text=True, check=False)
    m = re.match(r"^(.*) <([^>]*)> (\d+) ([+-])(\d\d)(\d\d)$", proc.stdout.strip())
    if proc.returncode != 0 or not m:
        raise SignError("无法确定签署人：请先设置 git user.name 与 user.email",
                        "cannot tell who signs: set git user.name and user.email first")
    offset = (1 if m.group(4) == "+" else -1) * _dt.timedelta(hours=int(m.group(5)),
                                                              minutes=int(m.group(6)))
    when = _dt.datetime.fromtimestamp(int(m.group(3)), _dt.timezone(offset)).date()
    return m.group(1), m.group(2).strip().lower(), when


def _yaml() -> YAML:
    y = YAML()
    y.preserve_quotes = True
    y.width = 4096
    return y


def _detect_indent(fm: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as the file already writes them."""
    lines = fm.splitlines()
    for prev, line in zip(lines, lines[1:]):
        pm = re.match(r"^( *)[^\s#-][^:]*:\s*$", prev)
        lm = re.match(r"^( *)- ", line)
        if pm and lm:
            offset = len(lm.group(1)) - len(pm.group(1))
            return 2, offset + 2, offset
    return 2, 4, 2


def _dump(y: YAML, data) -> str:
    buf = io.StringIO()
    y.dump(data, buf)
    return buf.getvalue()


def _rewrite(text: str, mutate) -> str:
    """``text`` with its front matter changed by ``mutate`` (a function of the ruamel data).

    ruamel.yaml keeps comments, key order and quoting, but writes a flow
    mapping or sequence the author spread over several lines on one line, and
    evens out indentation.  So the front matter is dumped twice, before and
    after the change, and only the difference between the two dumps is
    applied to the author's own text (a three-way merge, line by line, then
    character by character where a change falls inside a construct the dump
    reflowed).  The merged text is used only if it reads as exactly the data
    the dump after the change holds; otherwise that dump is written.
    """
    fm, _, _ = frontmatter.split(text)
    head_end = text.index("\n") + 1  # just after the opening --- fence
    tail_start = head_end + len(fm)
    y = _yaml()
    y.indent(*_detect_indent(fm))
    data = y.load(fm)
    before = _dump(y, data)
    mutate(data)
    after = _dump(y, data)
    crlf = text[:head_end].endswith("\r\n")
    dumped = keep_layout(fm.replace("\r\n", "\n") if crlf else fm, before, after)
    if crlf:
        # Only the front matter is rewritten; the body keeps its bytes, mixed line endings too.
        dumped = dumped.replace("\r\n", "\n").replace("\n", "\r\n")
    return text[:head_end] + dumped + text[tail_start:]


def keep_layout(original: str, base: str, changed: str) -> str:
    """``changed`` (a dump of ``base``'s data after an edit) laid out as ``original`` was.

    ``base`` is ruamel's dump of ``original`` unchanged: what differs between
    ``original`` and ``base`` is the author's layout, what differs between
    ``base`` and ``changed`` is the edit; a three-way merge keeps both.
    """
    if base == changed:
        return original
    if original == base:
        return changed
    a_lines = original.splitlines(keepends=True)
    z_lines = base.splitlines(keepends=True)
    b_lines = changed.splitlines(keepends=True)
    merged_text = _merge(z_lines, a_lines, b_lines, lambda _, z0, z1, a0, a1, b0, b1: _merge_chars(
        "".join(z_lines[z0:z1]), "".join(a_lines[a0:a1]), "".join(b_lines[b0:b1])))
    if merged_text is None:
        return changed  # the edit falls inside lines the dump laid out otherwise, and clashes
    try:
        same = frontmatter.load_yaml(merged_text) == frontmatter.load_yaml(changed)
    except frontmatter.FrontMatterError:
        same = False
    return merged_text if same else changed


def _merge(base: list[str], ours: list[str], theirs: list[str], conflict) -> str | None:
    """A three-way merge of sequences of strings (lines or characters), joined; a clash is
    given to ``conflict(*region)``, whose None gives None."""
    out: list[str] = []
    for region in merge3.Merge3(base, ours, theirs).merge_regions():
        kind = region[0]
        if kind == "unchanged":
            out.extend(base[region[1]:region[2]])
        elif kind in ("a", "same"):
            out.extend(ours[region[1]:region[2]])
        elif kind == "b":
            out.extend(theirs[region[1]:region[2]])
        else:
            piece = conflict(*region)
            if piece is None:
                return None
            out.append(piece)
    return "".join(out)


def _merge_chars(base: str, ours: str, theirs: str) -> str | None:
    """A three-way merge of three short texts, character by character; None on a clash."""
    return _merge(list(base), list(ours), list(theirs), lambda *region: None)


def _flow(entry: dict) -> CommentedMap:
    m = CommentedMap(entry)
    m.fa.set_flow_style()
    return m


def _rel(page: Path, gate_config: GateConfig) -> str:
    try:
        return page.resolve().relative_to(gate_config.docs_dir.resolve()).as_posix()
    except ValueError:
        raise SignError(f"{page} 不在文档目录 {gate_config.docs_dir} 中",
                        f"{page} is not under docs_dir {gate_config.docs_dir}") from None


def _roster(review):
    if review.roster is None:
        why = [f for f in review.site_findings if f.withholds]
        raise SignError("无法确定生效的名册，不能签署：\n" + "\n".join("  " + f.render("zh") for f in why),
                        "no roster in force can be proven; nothing can be signed:\n"
                        + "\n".join("  " + f.render("en") for f in why))
    return review.roster


def _ready(page: Path, rel: str, review):
    """The page's review, if its record is complete enough to be signed."""
    if rel not in review.pages:
        raise SignError(f"{page} 不是 Markdown 页面", f"{page} is not a Markdown page")
    result = review.pages[rel]
    blocking = [f for f in result.verdict.findings
                if f.code.startswith(INCOMPLETE_CODES) and f.withholds]
    if blocking or result.record is None:
        lines_zh = "\n".join("  " + f.render("zh") for f in blocking)
        lines_en = "\n".join("  " + f.render("en") for f in blocking)
        raise SignError(f"审查记录不完整，拒绝签署：\n{lines_zh}",
                        f"the review record is incomplete; refusing to sign:\n{lines_en}")
    return result


def _prepare(page: Path, gate_config: GateConfig):
    rel = _rel(page, gate_config)
    review = Gate(gate_config).review([rel])
    roster = _roster(review)
    return _ready(page, rel, review), roster


def _signer(roster, cwd: Path) -> tuple[Person, _dt.date]:
    name, email, day = git_author_ident(cwd)
    person = roster.who_is(email)
    if person is None:
        raise SignError(f"git 身份 {name} <{email}> 不在生效的名册中，不能签署",
                        f"the git identity {name} <{email}> is not in the roster in force")
    return person, day


def _ssh_sign(gate_config: GateConfig, person: Person, messages_: list[bytes], signer=None) -> list[str]:
    """第十条, 第十八条: the messages signed by the signer's own key (``user.signingKey``), each
    checked: a valid signature by a key the roster in force gives ``person``."""
    from ..signatures import messages, openssh, sshsig

    cwd = gate_config.docs_dir
    try:
        sigs = (signer or openssh.sign_messages)(messages_, cwd)
    except openssh.SigningError as exc:
        raise SignError(exc.zh, exc.en) from None
    for message, armoured in zip(messages_, sigs):
        try:
            key = sshsig.verify(armoured, message, messages.NAMESPACE)
        except sshsig.SSHSigError as exc:
            raise SignError(f"生成的 SSH 签名无效：{exc.zh}", f"the SSH signature made is invalid: {exc.en}") from None
        if person.key(key.blob) is None:
            listed = "、".join(k.fingerprint for k in person.keys) or "无 / none"
            raise SignError(
                f"签名密钥 {key.fingerprint} 不是名册给 {person.name} 的密钥（名册中：{listed}）：未签署。"
                "请把 git 的 user.signingKey 设为名册中的密钥，或把新公钥加入名册 keys 并经管理员批准（第十条、第十八条）",
                f"the signing key {key.fingerprint} is not one the roster gives {person.name} (listed: "
                f"{listed}); nothing signed. Set git's user.signingKey to a listed key, or add the new "
                "public key to your keys in the roster and have administrators approve it")
    return sigs


@dataclass
class _Planned:
    """One page's signature, checked and rendered, not yet written."""

    page: Path
    rel: str
    original: bytes
    text: str
    entry: dict
    dropped: int
    message: bytes = b""  # signatures: ssh — what the signer's key signs (text not yet made)
    finish: object = None  # signatures: ssh — sshsig -> the _Planned with its text


@dataclass
class ManyResult:
    results: list[SignResult]
    skipped: list[Path]  # pages this signer already signed at this step, as they are now
    commit: str | None


class ManyRefused(SignError):
    """Some pages cannot be signed; none was.  ``failures``: (page, SignError) each."""

    def __init__(self, failures: list[tuple[Path, SignError]], total: int):
        self.failures = failures
        zh = "\n".join(f"{p}：{e.zh}" for p, e in failures)
        en = "\n".join(f"{p}: {e.en}" for p, e in failures)
        super().__init__(f"{len(failures)}/{total} 个页面不能签署，全部未签署（第十条）：\n{zh}",
                         f"{len(failures)} of {total} page(s) cannot be signed; none was signed:\n{en}")


def sign(page: Path, step: str, opinion: str, comment: str | None, gate_config: GateConfig,
         commit: bool = True, today: _dt.date | None = None, signer=None) -> SignResult:
    """Sign one page; a refusal is the page's own SignError."""
    try:
        many = sign_many([page], step, opinion, comment, gate_config, commit, today, skip_done=False,
                         signer=signer)
    except ManyRefused as exc:
        raise exc.failures[0][1] from None
    return many.results[0]


def sign_many(pages: list[Path], step: str, opinion: str, comment: str | None,
              gate_config: GateConfig, commit: bool = True, today: _dt.date | None = None,
              skip_done: bool = True, signer=None) -> ManyResult:
    """Sign several pages in one commit, each with its own entry and digest (第十条).

    All or nothing: every page is checked first, and if any cannot be signed by
    this signer, none is written and each refusal is reported.  With
    ``skip_done``, a page this signer already signed at this step, as it is now,
    is left alone (a second run after fixing another page signs the rest).
    """
    if step not in STEPS:
        raise SignError(f"步骤只能是 {', '.join(STEPS)}", f"step must be one of {', '.join(STEPS)}")
    opinion = canonical_value("opinion", opinion)
    if opinion not in ("主动公开", "依申请公开", "删减后公开", "不予公开"):
        raise SignError("意见只能是 主动公开|依申请公开|删减后公开|不予公开",
                        "opinion must be one of proactive|on_request|redacted|withheld")
    if not pages:
        raise SignError("没有要签署的页面", "no page to sign")
    rels = {}
    failures: list[tuple[Path, SignError]] = []
    for page in pages:
        try:
            rels[page] = _rel(page, gate_config)
        except SignError as exc:
            failures.append((page, exc))
    review = Gate(gate_config).review(sorted(set(rels.values())))
    roster = _roster(review)
    person, day = _signer(roster, gate_config.docs_dir)
    planned: list[_Planned] = []
    skipped: list[Path] = []
    seen: set[str] = set()
    for page, rel in rels.items():
        if rel in seen:
            continue
        seen.add(rel)
        try:
            result = _ready(page, rel, review)
            if skip_done and any(s.step == step and s.name == person.name and s.digest == result.digest
                                 for s in result.record.signatures):
                skipped.append(page)
                continue
            planned.append(_plan(page, rel, result, person, today or day, step, opinion, comment,
                                 ssh=gate_config.signatures == "ssh"))
        except SignError as exc:
            failures.append((page, exc))
    if failures:
        raise ManyRefused(failures, len(pages))
    if planned and gate_config.signatures == "ssh":
        # One ssh-keygen run for the whole batch (one passphrase prompt), then the texts.
        sigs = _ssh_sign(gate_config, person, [p.message for p in planned], signer)
        planned = [p.finish(sig) for p, sig in zip(planned, sigs)]
    if not planned:
        return ManyResult([], skipped, None)
    written: list[_Planned] = []
    try:
        for p in planned:
            if p.page.read_bytes() != p.original:
                raise SignError(f"{p.page} 在签署过程中被修改，请重试",
                                f"{p.page} changed while signing; try again")
        for p in planned:
            p.page.write_bytes(p.text.encode("utf-8"))
            written.append(p)
    except (OSError, SignError) as exc:
        for p in written:  # all or nothing
            p.page.write_bytes(p.original)
        if isinstance(exc, SignError):
            raise
        raise SignError(f"写入失败，未签署任何页面：{exc}", f"writing failed; nothing signed: {exc}") from None
    sha = None
    if commit:
        message = f"保密审查 第十条 {STEP_NAMES_ZH[step]}：{person.name}（{opinion}）"
        if len(planned) > 1:
            message += f" {len(planned)} 个页面"
        body = ("\n".join(f"{k}: {v}" for k, v in planned[0].entry.items() if k != "sshsig")
                if len(planned) == 1
                else "\n".join(f"{p.rel}: {p.entry['digest']}" for p in planned))
        sha = _commit_paths(gate_config.docs_dir.resolve(), [p.rel for p in planned], message, body)
    return ManyResult([SignResult(p.page, p.entry, p.dropped, sha) for p in planned], skipped, sha)


def _plan(page: Path, rel: str, result, person: Person, day: _dt.date, step: str, opinion: str,
          comment: str | None, ssh: bool = False) -> _Planned:
    """第十条: may this person sign this step of this page now; the page's text if so."""
    record = result.record
    if not person.may(step):
        raise SignError(f"{person.name} 无权签署“{STEP_NAMES_ZH[step]}”（第十条）",
                        f"{person.name} is not authorised for step {step} (第十条)")
    if step in ("originator", "originator_head") and person.agency != record.get("lead_agency"):
        raise SignError(f"{person.name} 不属于主办机关 {record.get('lead_agency')}（第十条、第十一条）",
                        f"{person.name} is not staff of the lead agency {record.get('lead_agency')}")
    if step == "leader" and opinion != record.disclosure:
        raise SignError(f"批准意见“{opinion}”与 review.disclosure“{record.disclosure}”不一致（第十条）",
                        f"the approval {opinion} differs from review.disclosure {record.disclosure}")
    digest = result.digest
    valid = [s for s in record.signatures if s.digest == digest]
    stale = len(record.signatures) - len(valid)
    drop_stale = False
    if stale:
        if step != "originator":
            raise SignError("页面在签署后被修改，原有签署已失效：须由起草人重新开始（--step originator）；"
                            f"secrecy-gate diff {page} 显示自最近一次有效签署以来的改动",
                            "the page changed after it was signed; the originator must start over "
                            f"(--step originator); `secrecy-gate diff {page}` shows what changed since "
                            "the last valid signature")
        drop_stale = True
        valid = []
    index = STEPS.index(step)
    if len(valid) != index:
        done = ", ".join(s.step for s in valid) or "无/none"
        raise SignError(f"第十条程序须依次进行：已签 {done}，下一步是 {STEPS[len(valid)] if len(valid) < 4 else '（已完成）'}",
                        f"第十条 steps go in order: signed {done}; next is "
                        f"{STEPS[len(valid)] if len(valid) < 4 else '(complete)'}")
    if any(s.name == person.name for s in valid):
        raise SignError(f"{person.name} 已签署其他步骤：四个步骤须由不同的人签署（第十条）",
                        f"{person.name} already signed another step; four different people sign")
    entry = {"step": step, "name": person.name, "date": day, "opinion": opinion}
    if comment:
        entry["comment"] = comment
    entry["digest"] = digest

    def mutate(data):
        rv = data["review"]
        if drop_stale:
            rv["signatures"] = CommentedSeq()
            if rv.get("consents"):
                rv["consents"] = CommentedSeq()
        if rv.get("signatures") is None:
            rv["signatures"] = CommentedSeq()
        rv["signatures"].append(_flow(entry))

    original = page.read_bytes()
    dropped = stale if drop_stale else 0
    if ssh:
        from ..signatures import messages
        message = messages.entry_message("signature", entry, valid)

        def finish(sig: str) -> _Planned:
            entry[messages.ENTRY_FIELD] = sig
            return _Planned(page, rel, original, _checked_text(page, result, mutate, entry), entry,
                            dropped)
        return _Planned(page, rel, original, "", entry, dropped, message, finish)
    text = _checked_text(page, result, mutate, entry)
    return _Planned(page, rel, original, text, entry, dropped)


def consent(page: Path, agency: str, comment: str | None, gate_config: GateConfig,
            commit: bool = True, today: _dt.date | None = None, signer=None) -> SignResult:
    result, roster = _prepare(page, gate_config)
    record = result.record
    person, day = _signer(roster, page.parent)
    if agency not in (record.get("co_agencies") or []):
        raise SignError(f"{agency} 不在本页的 co_agencies 中（第十一条）",
                        f"{agency} is not among this page's co_agencies (第十一条)")
    if person.agency != agency or not person.may("consent"):
        raise SignError(f"{person.name} 无权代表 {agency} 出具同意意见（第十一条）",
                        f"{person.name} may not consent for {agency} (第十一条)")
    if any(c.agency == agency and c.digest == result.digest for c in record.consents):
        raise SignError(f"{agency} 已对当前内容出具同意意见", f"{agency} already consented to this content")
    entry = {"agency": agency, "name": person.name, "date": today or day}
    if comment:
        entry["comment"] = comment
    entry["digest"] = result.digest
    if gate_config.signatures == "ssh":
        from ..signatures import messages
        kept = [c for c in record.consents if c.agency != agency]
        entry[messages.ENTRY_FIELD] = _ssh_sign(
            gate_config, person, [messages.entry_message("consent", entry, kept)], signer)[0]

    def mutate(data):
        rv = data["review"]
        if rv.get("consents") is None:
            rv["consents"] = CommentedSeq()
        kept = [c for c in rv["consents"] if c.get("agency") != agency]
        stale = len(rv["consents"]) - len(kept)
        if stale:
            rv["consents"] = CommentedSeq(kept)
        rv["consents"].append(_flow(entry))

    return _write(page, result, mutate, entry, 0, commit,
                  f"保密审查 第十一条 协办机关同意：{person.name}（{agency}）")


def _checked_text(page: Path, result, mutate, entry: dict) -> str:
    """The page with ``mutate`` applied, checked: same body, and the digest the entry names."""
    text = frontmatter.decode(page.read_bytes())
    if text != result.source:
        raise SignError("页面在签署过程中被修改，请重试", "the page changed while signing; try again")
    new_text = _rewrite(text, mutate)
    doc = frontmatter.parse(new_text)
    if page_digest(doc.meta, doc.body) != entry["digest"] or doc.body != result.document.body:
        raise SignError("写入签署后内容摘要不一致，已放弃写入（请报告此错误）",
                        "the digest changed while writing the entry; nothing written (please report)")
    return new_text


def _write(page: Path, result, mutate, entry: dict, dropped: int, commit: bool,
           message: str) -> SignResult:
    new_text = _checked_text(page, result, mutate, entry)
    page.write_bytes(new_text.encode("utf-8"))
    sha = None
    if commit:
        sha = _commit(page, message, entry)
    return SignResult(page, entry, dropped, sha)


def _commit(page: Path, message: str, entry: dict) -> str:
    """One commit of ``page``, the entry's fields in the message body."""
    return _commit_paths(page.parent, [page.name], message,
                         "\n".join(f"{k}: {v}" for k, v in entry.items() if k != "sshsig"))


def _commit_paths(cwd: Path, paths: list[str], message: str, body: str) -> str:
    """One commit of exactly ``paths`` (relative to ``cwd``), as the current git author."""
    git = ["git", "--literal-pathspecs"]
    for args in ([*git, "add", "--", *paths],
                 [*git, "commit", "-q", "--only", "-m", message, "-m", body, "--", *paths]):
        proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SignError(f"已写入签署，但 git 提交失败：{proc.stderr.strip()}",
                            f"the entry was written but git commit failed: {proc.stderr.strip()}")
    out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                         check=False)
    return out.stdout.strip()
