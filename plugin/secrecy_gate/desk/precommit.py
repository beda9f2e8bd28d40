"""``secrecy-gate check --pre-commit``: what must never enter the repository.

A pre-commit hook judges the working-tree files it is given (pre-commit
passes the staged names and stashes unstaged changes) *before* the commit
exists, so there is no git history to audit and no publication to decide.
It fails only on content that must not be committed at all, whatever the
page's review later decides:

* ``front-matter.*`` except ``front-matter.missing`` (第二条): a front matter
  that cannot be read cannot be judged (``missing`` is a plain draft: its
  whole text is still scanned);
* ``content.marking`` (第六条（一）): a secrecy or internal-material marking on
  a page that is not declassified;
* ``content.resident-id``, ``content.bank-card``, ``content.mobile``
  (第六条（二）、第七条): unmasked personal information not listed in
  ``review.pii_allowed``;
* ``redaction.markers`` (第九条): unbalanced or malformed secret-point markers;
* ``attachment.marking``, ``attachment.resident-id``, ``attachment.bank-card``,
  ``attachment.mobile``, ``attachment.lossy-number``: the same in a document
  being committed (PDF, Word, Excel, WPS, CSV …, read as the build reads
  attachments), with the ``pii_allowed`` values of the pages that list it;
* ``internal.error``: a file that could not be judged (fail closed).

A document that cannot be read (a scan, an encrypted PDF) is reported and does
not block: the build withholds the page that lists it until its record
acknowledges it (``unreadable:``).

A 不予公开 decision does not exempt a page here: classified text and
personal data must not be stored in a website repository at all.  Every other
finding (an incomplete record, missing signatures — drafts are committed
before review) is reported and does not fail the hook.
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..core import frontmatter
from ..review import rules
from ..core.digest import page_digest
from ..core.findings import Finding
from ..review.gate import Gate, GateConfig, front_matter_finding, is_page, list_docs
from ..core.record import ReviewRecord, parse_record
from ..core.roster import Roster
from ..review import attachments as attached
from ..review.gate import resolve
from ..scanners import apply_redactions, documents

BLOCKING_CODES = (
    "front-matter.unclosed", "front-matter.yaml", "front-matter.encoding", "front-matter.not-mapping",
    "front-matter.key", "front-matter.too-large",
    "content.marking", "content.resident-id", "content.bank-card", "content.mobile",
    "redaction.markers", "internal.error",
    "attachment.marking", "attachment.resident-id", "attachment.bank-card", "attachment.mobile",
    "attachment.lossy-number",
)

# What the stored text itself carries; judged with ``_as_stored`` (a decision not to publish
# does not make classified text or personal data fit for the repository).
STORED_CONTENT_RULES = (rules.no_secrecy_marking, rules.no_personal_information)
# Everything else the build checks, except the git audit: the commit does not exist yet.
REVIEW_RULES = tuple(r for r in rules.RULES if r not in (*STORED_CONTENT_RULES, rules.proven_by_git))
# A record that cannot be read is no excuse: its text is scanned with no allowances.
UNREAD_RECORD = ReviewRecord(data={}, classification="", disclosure="")


def blocks(finding: Finding) -> bool:
    return finding.code in BLOCKING_CODES


@dataclass
class FileCheck:
    path: str  # as given on the command line
    findings: list[Finding] = field(default_factory=list)
    skipped_zh: str = ""
    skipped_en: str = ""

    @property
    def blocked(self) -> bool:
        return any(blocks(f) for f in self.findings)


@dataclass
class PreCommitCheck:
    files: list[FileCheck]
    site_findings: list[Finding]

    @property
    def blocked(self) -> bool:
        return any(f.blocked for f in self.files)


def _as_stored(record: ReviewRecord) -> ReviewRecord:
    """The record as the repository sees it: a decision not to publish exempts nothing."""
    return dataclasses.replace(record, disclosure="")


@dataclass
class _Registers:
    roster: Roster
    calendar: object
    lexicon: object


def _judge(rel: str, raw: bytes, gc: GateConfig, reg: _Registers) -> list[Finding]:
    """Every finding of one page except the git audit (第二条 to 第十二条)."""
    try:
        text = frontmatter.decode(raw)
    except frontmatter.FrontMatterError as exc:
        return [front_matter_finding(rel, exc)]
    findings: list[Finding] = []
    record, meta, body, body_line, digest = UNREAD_RECORD, {}, text, 1, ""
    try:
        doc = frontmatter.parse(text)
    except frontmatter.FrontMatterError as exc:
        findings.append(front_matter_finding(rel, exc))
    else:
        meta, body, body_line = doc.meta, doc.body, doc.body_line
        jsonable = frontmatter.to_jsonable(meta)
        parsed, record_findings = parse_record(meta, rel, jsonable)
        findings.extend(record_findings)
        if parsed is not None:
            record, digest = parsed, page_digest(meta, body, jsonable)
    redaction = apply_redactions(body, gc.placeholder)
    options = gc.rule_options()

    def context(rec: ReviewRecord) -> rules.PageContext:
        return rules.PageContext(rel, meta, body, rec, reg.roster, digest, rules.GitEvidence(),
                                 reg.calendar, options, redaction, reg.lexicon, body_line)

    findings.extend(rules.evaluate(context(_as_stored(record)), STORED_CONTENT_RULES))
    if record is UNREAD_RECORD:
        findings.extend(rules.evaluate(context(record), (rules.redaction_markers,)))
    else:
        findings.extend(rules.evaluate(context(record), REVIEW_RULES))
    return findings


def _registers(gc: GateConfig) -> tuple[_Registers, list[Finding]]:
    """Roster, calendar and 第八条 lexicon; their problems are reported, not blocking."""
    gate = Gate(gc)
    problems: list = []
    roster, calendar = gate.registers(problems)
    site = [Finding(code, art, "(site)", zh, en) for code, art, zh, en in problems]
    return _Registers(roster or Roster(), calendar, gate.lexicon), site


def _targets(gc: GateConfig, paths: tuple[str, ...]) -> list[str]:
    if paths:
        return list(paths)
    return [os.path.relpath(gc.docs_dir / p) for p in list_docs(gc.docs_dir) if is_page(p)]


def check_files(gc: GateConfig, paths: tuple[str, ...]) -> PreCommitCheck:
    """Judge the given working-tree files (every page of docs_dir when none is given)."""
    reg, site_findings = _registers(gc)
    docs = gc.docs_dir.resolve()
    out = []
    listings = None  # file -> [(page, entry)], read once when a document is committed
    for given in _targets(gc, paths):
        check = FileCheck(given)
        out.append(check)
        path = Path(given).resolve()
        try:
            rel = path.relative_to(docs).as_posix()
        except ValueError:
            check.skipped_zh = f"不在文档目录 {gc.docs_dir} 中，不会发布"
            check.skipped_en = f"not under docs_dir {gc.docs_dir}; never published"
            continue
        if not is_page(rel):
            try:
                data = path.read_bytes()
                if documents.is_document(rel, data):
                    if listings is None:
                        listings = _listings(gc)
                    check.findings = _judge_document(rel, data, listings.get(rel, []), gc)
                    continue
            except Exception as exc:  # noqa: BLE001 - fail closed: a file that cannot be judged blocks
                check.findings = [Finding("internal.error", "第二条", rel, f"无法检查该文件，拒绝提交：{exc!r}",
                                          f"the file could not be checked; the commit is refused: {exc!r}",
                                          "请修复后重试，或报告此错误", "fix it and retry, or report this error")]
                continue
            check.skipped_zh, check.skipped_en = "不是 Markdown 页面或文档", "not a Markdown page or a document"
            continue
        try:
            check.findings = _judge(rel, path.read_bytes(), gc, reg)
        except Exception as exc:  # noqa: BLE001 - fail closed: a file that cannot be judged blocks
            check.findings = [Finding("internal.error", "第二条", rel, f"无法检查该文件，拒绝提交：{exc!r}",
                                      f"the file could not be checked; the commit is refused: {exc!r}",
                                      "请修复后重试，或报告此错误", "fix it and retry, or report this error")]
    return PreCommitCheck(out, site_findings)


def _listings(gc: GateConfig) -> dict[str, list[tuple[str, dict]]]:
    """Which working-tree pages list which files in ``review.attachments`` (their entries)."""
    out: dict[str, list[tuple[str, dict]]] = {}
    for rel in list_docs(gc.docs_dir):
        if not is_page(rel):
            continue
        try:
            meta = frontmatter.parse((gc.docs_dir / rel).read_bytes()).meta
        except (frontmatter.FrontMatterError, OSError):
            continue
        review = meta.get("review") if isinstance(meta, dict) else None
        atts = review.get("attachments") if isinstance(review, dict) else None
        for att in atts if isinstance(atts, list) else []:
            if isinstance(att, dict) and isinstance(att.get("path"), str):
                target = resolve(rel, att["path"])
                if target:
                    out.setdefault(target, []).append((rel, {**att, "_allowed": [
                        a.get("value") for a in review.get("pii_allowed") or []
                        if isinstance(a, dict) and isinstance(a.get("value"), str)]}))
    return out


def _judge_document(rel: str, data: bytes, listed: list[tuple[str, dict]], gc: GateConfig
                    ) -> list[Finding]:
    """A document being committed, read as the build reads attachments (第六条, 第七条).

    Personal data is allowed only where every page listing the file allows the value (a file
    no page lists yet allows nothing)."""
    extract = documents.extract(rel, data)
    allowed: set[str] | None = None
    for _, att in listed:
        values = set(att["_allowed"])
        allowed = values if allowed is None else allowed & values
    att = {"path": rel, "unreadable": listed[0][1].get("unreadable") if len(listed) == 1 else None}
    return attached.content_findings(rel, 0, att, rel, extract, allowed_values=sorted(allowed or ()),
                                     today=gc.today, listed_by=[p for p, _ in listed])


def render(result: PreCommitCheck, lang: str = "zh") -> list[str]:
    """Text output: blocking findings in full, the rest counted by code."""
    zh = lang != "en"
    lines = [f.render(lang) for f in result.site_findings]
    for check in result.files:
        if check.skipped_zh:
            lines.append(f"{check.path}: " + (f"跳过（{check.skipped_zh}）" if zh else f"skipped ({check.skipped_en})"))
            continue
        if check.blocked:
            lines.append(f"{check.path}: " + ("不得提交" if zh else "must not be committed"))
        else:
            lines.append(f"{check.path}: " + ("可以提交" if zh else "may be committed"))
        for f in check.findings:
            if blocks(f):
                lines.append("  ✗ " + f.render(lang).replace("\n", "\n    "))
        rest = _count_codes(f for f in check.findings if not blocks(f))
        if rest:
            lines.append(("  其他问题（不阻止提交，能否发布由构建判断）：" if zh else
                          "  other findings (do not block the commit; the build decides publication): ")
                         + ", ".join(rest))
    blocked = sum(c.blocked for c in result.files)
    if zh:
        lines.append(f"secrecy-gate 提交前检查：{len(result.files)} 个文件，{blocked} 个不得提交"
                     "（未读取 git 历史，不判断能否发布；运行 secrecy-gate check 查看全部问题）")
    else:
        lines.append(f"secrecy-gate pre-commit check: {len(result.files)} file(s), {blocked} must not be "
                     "committed (git history not read, publication not decided; run `secrecy-gate check` "
                     "for every finding)")
    return lines


def _count_codes(findings) -> list[str]:
    return [code + (f"×{n}" if n > 1 else "") for code, n in Counter(f.code for f in findings).items()]


def as_dict(result: PreCommitCheck) -> dict:
    return {
        "mode": "pre-commit",
        "blocking_codes": list(BLOCKING_CODES),
        "site_findings": [f.as_dict() for f in result.site_findings],
        "files": [{"path": c.path, "blocked": c.blocked, "skipped": c.skipped_en or None,
                   "findings": [{**f.as_dict(), "blocks_commit": blocks(f)} for f in c.findings]}
                  for c in result.files],
    }
