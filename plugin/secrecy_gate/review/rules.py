"""The rules of the review, one small pure function per rule, each citing its article.

A rule takes a ``PageContext`` (the parsed record, the roster, the digest of
the page as it is, and the git evidence already read) and yields findings.
No rule reads files or calls git.  ``grep 第十条`` finds where an article is
enforced.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from ..core.findings import Finding, Severity
from ..core.record import ReviewRecord
from ..core.roster import Roster
from ..scanners import Hit, Lexicon, Redaction, contradicts, find_disclosure_notes, find_markings
from ..scanners import find_pii
from ..scanners.text import NormalisedText
from ..core.schema import SENSITIVE_ITEMS, STEP_NAMES_ZH, STEPS
from ..core.workdays import Calendar, CalendarUnknown

# 第十二条: 本市受理审查的机关应在五个工作日内答复
ESCALATION_WORKDAYS = 5

# 索引号 of the sample site (区划代码-年份-流水号, e.g. 620600-2020-00075); `index_no_pattern` changes it.
INDEX_NO_PATTERN = r"^[0-9]{6}-[0-9]{4}-[0-9]{5}$"


@dataclass(frozen=True)
class Options:
    include_on_request: bool = False
    today: _dt.date = field(default_factory=_dt.date.today)
    hints_withhold: bool = False  # 第八条 lexicon hints withhold instead of warning
    index_no_pattern: str | None = INDEX_NO_PATTERN  # 第五条: what a 索引号 looks like (None: any)
    signatures: str = "git"  # 第十条, 第十八条: what proves the signer (signatures/policy.py)


@dataclass
class GitEvidence:
    """What git history proves about one page (filled by ``gate.py``)."""

    problem: tuple[str, str, str] | None = None  # (code, zh, en): history unusable
    repo_path: str | None = None  # the page's path in the repository, for fix hints
    committed: bool = False
    dirty: bool = False
    introductions: dict = field(default_factory=dict)  # entry key -> [Commit]
    voided: dict = field(default_factory=dict)  # entry key -> Commit whose later version voids it
    created: object | None = None  # the oldest commit that touched the page
    is_ancestor: Callable[[str, str], bool] = lambda a, b: False
    # The roster in force at a commit (review/trust.py); None: the roster of the context.
    roster_at: Callable[[str], Roster | None] | None = None
    # (name, step, commit) -> the number of a roster version that removed that right on
    # another line of history (review/trust.py TrustChain.revoked); None: no such check.
    revoked: Callable[[str, str, str], int | None] | None = None
    # (name, key blob, commit) -> the number of a roster version on another line of history that
    # no longer gives that person that key (TrustChain.key_revoked); None: no such check.
    key_revoked: Callable[[str, bytes, str], int | None] | None = None
    # Under `signatures: ssh`: whether an entry introduced by this commit is still judged the
    # git way (before the `ssh_since` cut-over); None: none is.
    judged_by_git: Callable[[object], bool] | None = None


@dataclass
class PageContext:
    path: str
    meta: dict
    body: str
    record: ReviewRecord
    roster: Roster
    digest: str
    git: GitEvidence
    calendar: Calendar = field(default_factory=Calendar)
    options: Options = field(default_factory=Options)
    redaction: Redaction | None = None  # 第九条: the body with its secret points replaced
    lexicon: Lexicon | None = None
    body_line: int = 1  # line of the file where the body starts
    # ("signatures" | "consents", index) -> signatures.entries.Proof, computed ahead by the gate
    # under `signatures: ssh` (None: computed by the rule)
    proofs: dict | None = None

    @property
    def published_body(self) -> str:
        """The body as it would be published: secret points already replaced."""
        return self.redaction.text if self.redaction is not None else self.body

    @functools.cached_property
    def scanned_body(self) -> NormalisedText:
        """``published_body`` normalised once, for every scanner of the page."""
        return NormalisedText(self.published_body)

    def line_of(self, hit: Hit) -> int:
        return self.body_line + hit.line - 1


Rule = Callable[[PageContext], Iterable[Finding]]


def _finding(ctx: PageContext, code: str, article: str, zh: str, en: str, fix_zh: str = "",
             fix_en: str = "", fld: str = "", severity: Severity = Severity.ERROR) -> Finding:
    return Finding(code, article, ctx.path, zh, en, fix_zh, fix_en, fld, None, severity)


# -- 第五条: the review opinion ------------------------------------------------

def disclosure_decision(ctx: PageContext) -> Iterator[Finding]:
    """第五条: 不予公开 is never published; 依申请公开 is not published proactively."""
    if ctx.record.disclosure == "不予公开":
        yield _finding(ctx, "decision.withheld", "第五条",
                       "审查意见为“不予公开”，页面不发布", "the review decided 不予公开 (withheld)",
                       "无需处理；如需公开，须修改审查意见并重新履行第十条程序",
                       "nothing to do; to publish, change the decision and repeat the 第十条 review",
                       "review.disclosure", Severity.DECISION)
    elif ctx.record.disclosure == "依申请公开" and not ctx.options.include_on_request:
        yield _finding(ctx, "decision.on-request", "第五条",
                       "审查意见为“依申请公开”，不主动公开", "the review decided 依申请公开 (on request only)",
                       "无需处理；内部构建可设置 include_on_request: true",
                       "nothing to do; an internal build may set include_on_request: true",
                       "review.disclosure", Severity.DECISION)


def index_no_of(meta: dict) -> str | None:
    """The page's 索引号 (``document.index_no``) as written, or None."""
    doc = meta.get("document")
    value = doc.get("index_no") if isinstance(doc, dict) else None
    return None if value is None else str(value)


def index_no_format(ctx: PageContext) -> Iterator[Finding]:
    """第五条: a 索引号 that does not follow the site's numbering makes the record invalid."""
    pattern = ctx.options.index_no_pattern
    index_no = index_no_of(ctx.meta)
    if pattern is None or index_no is None or ctx.record.disclosure == "不予公开":
        return
    if re.fullmatch(pattern, index_no) is None:
        yield _finding(ctx, "document.index-no-format", "第五条",
                       f"索引号 {index_no} 不符合本站的索引号格式 {pattern}",
                       f"the index number {index_no} does not match the site's format {pattern}",
                       "按本站编号规则改正 document.index_no 后重新送审；本站编号规则不同的，"
                       "在 mkdocs.yml 中设置 index_no_pattern",
                       "correct document.index_no to the site's numbering and have the page reviewed "
                       "again; a site with another numbering sets index_no_pattern in mkdocs.yml",
                       "document.index_no")


def index_no_clashes(index_nos: dict[str, str]) -> dict[str, list[Finding]]:
    """第五条: one 索引号 identifies one piece of government information.

    ``index_nos`` maps each page to its 索引号; every page sharing one with
    another page gets a finding naming the others.  Compared after NFKC and
    case folding, so full-width digits do not make a second number.
    """
    by_key: dict[str, list[str]] = {}
    for path, index_no in sorted(index_nos.items()):
        key = unicodedata.normalize("NFKC", index_no).strip().casefold()
        by_key.setdefault(key, []).append(path)
    clashes: dict[str, list[Finding]] = {}
    for paths in by_key.values():
        for path in paths if len(paths) > 1 else ():
            others = "、".join(p for p in paths if p != path)
            index_no = index_nos[path]
            clashes[path] = [Finding(
                "document.index-no-duplicate", "第五条", path,
                f"索引号 {index_no} 与 {others} 重复：一个索引号只能标识一条政府信息，相关页面均不发布",
                f"the index number {index_no} is also used by {others}; one index number identifies "
                "one document, so none of these pages is published",
                f"核对 {others} 与本页，为其中一页另行编号（修改 document.index_no 后须重新送审）",
                f"check {others} and this page and give one of them a new number (a changed "
                "document.index_no needs a new review)", "document.index_no")]
    return clashes


# -- 第六条, 第十四条: classified information ------------------------------------

def classified_without_declassification(ctx: PageContext) -> Iterator[Finding]:
    """第六条(一)(二), 第十四条: a classified page needs a declassification record."""
    rec = ctx.record
    if rec.classification == "非密" or rec.disclosure == "不予公开":
        return  # a 不予公开 page is withheld by its own decision; nothing to fix
    decl = rec.get("declassification")
    if not decl:
        yield _finding(ctx, "classified.not-declassified", "第六条、第十四条",
                       f"密级为“{rec.classification}”且没有解密记录，不得公开",
                       f"classified as {rec.classification} with no declassification record",
                       "先依法履行解密程序，在 review.declassification 中填写 {date, authority, document}",
                       "complete declassification first and record review.declassification "
                       "{date, authority, document}", "review.declassification")
        return
    if _dt.date.fromisoformat(decl["date"]) > ctx.options.today:
        yield _finding(ctx, "classified.declassification-future", "第十四条",
                       f"解密日期 {decl['date']} 尚未到来", f"declassification date {decl['date']} is in the future",
                       "解密生效后再发布", "publish after the declassification takes effect",
                       "review.declassification.date")


# -- 第七条: third parties ---------------------------------------------------

def third_party_without_consent(ctx: PageContext) -> Iterator[Finding]:
    """第七条: 商业秘密/个人隐私 of a third party need consent or a public-interest approval."""
    tp = ctx.record.get("third_party") or {}
    if not tp.get("involved") or ctx.record.disclosure == "不予公开":
        return
    if not tp.get("kind"):
        yield _finding(ctx, "third-party.kind", "第七条",
                       "涉及第三方但未写明类别（商业秘密/个人隐私）",
                       "a third party is involved but third_party.kind is not given",
                       "在 third_party.kind 中写明 商业秘密 或 个人隐私",
                       "list 商业秘密 and/or 个人隐私 in third_party.kind", "review.third_party.kind")
    if not tp.get("consent") and not ctx.record.get("public_interest"):
        yield _finding(ctx, "third-party.no-consent", "第七条",
                       "涉及第三方合法权益，既无第三方同意，也无政府信息主管机构和保密工作机构的公共利益审核同意",
                       "a third party is involved and there is neither its consent nor a "
                       "public-interest approval by the information office and the secrecy office",
                       "填写 third_party.consent {party, date, document}，或 public_interest "
                       "{info_office, secrecy_office, reason}",
                       "record third_party.consent {party, date, document} or public_interest "
                       "{info_office, secrecy_office, reason}", "review.third_party")


# -- 第八条: matters needing particular care ---------------------------------

def sensitive_items_answered(ctx: PageContext) -> Iterator[Finding]:
    """第八条(一)-(五): every item answered; any true item explained in sensitive_note."""
    sensitive = ctx.record.get("sensitive") or {}
    missing = [k for k in SENSITIVE_ITEMS if k not in sensitive]
    for key in missing:
        yield _finding(ctx, "sensitive.unanswered", "第八条",
                       f"第八条{SENSITIVE_ITEMS[key]}未作答", f"第八条 item {key} is not answered",
                       f"在 review.sensitive.{key} 填写 true 或 false",
                       f"answer review.sensitive.{key} with true or false", f"review.sensitive.{key}")
    flagged = [k for k in SENSITIVE_ITEMS if sensitive.get(k) is True]
    if flagged and not ctx.record.get("sensitive_note"):
        yield _finding(ctx, "sensitive.no-note", "第八条",
                       "存在第八条情形（" + "、".join(SENSITIVE_ITEMS[k] for k in flagged)
                       + "），但未在 sensitive_note 中说明如何处理",
                       f"第八条 items {', '.join(flagged)} are true but sensitive_note does not "
                       "say how they were handled",
                       "在 review.sensitive_note 中说明保密审核的处理情况",
                       "explain in review.sensitive_note how the matter was reviewed",
                       "review.sensitive_note")


# -- 第十条: the four steps ----------------------------------------------------

def four_signatures_in_order(ctx: PageContext) -> Iterator[Finding]:
    """第十条: 初步意见 → 负责人审查意见 → 保密审查机构审查意见 → 分管领导审查批准."""
    rec, roster = ctx.record, ctx.roster
    sigs = rec.signatures
    for i, step in enumerate(STEPS):
        if i >= len(sigs):
            people = "、".join(p.name for p in _eligible(ctx, step)) or "（名册中无人）"
            page = ctx.git.repo_path or ctx.path
            opinion = rec.disclosure or "意见"
            yield _finding(ctx, "signature.missing", "第十条",
                           f"缺少第{i + 1}步“{STEP_NAMES_ZH[step]}”的签署（共需四步，已有{len(sigs)}步）",
                           f"step {i + 1} of 4 ({step}) is not signed yet",
                           f"请 {people} 运行 secrecy-gate sign {page} --step {step} --opinion {opinion}",
                           f"one of {people} runs `secrecy-gate sign {page} --step {step} --opinion {opinion}`",
                           f"review.signatures[{i}]")
            break
        if sigs[i].step != step:
            yield _finding(ctx, "signature.order", "第十条",
                           f"第{i + 1}个签署应为 {step}，实为 {sigs[i].step}：四个步骤必须依次进行",
                           f"signature {i + 1} must be {step} but is {sigs[i].step}; steps go in order",
                           "删除次序错误的签署，按第十条次序重新签署",
                           "remove the out-of-order signatures and sign again in 第十条 order",
                           f"review.signatures[{i}].step")
            return
    if len(sigs) > len(STEPS):
        yield _finding(ctx, "signature.extra", "第十条",
                       f"签署多于四个（{len(sigs)} 个）", f"more than four signatures ({len(sigs)})",
                       "只保留四个步骤各一个签署", "keep one signature per step", "review.signatures")
    names = [s.name for s in sigs]
    for i, sig in enumerate(sigs[: len(STEPS)]):
        fld = f"review.signatures[{i}]"
        for roster, when_zh, when_en in _rosters(ctx, sig):
            person = roster.person(sig.name)
            if person is None:
                yield _finding(ctx, "signature.unknown-signer", "第十条",
                               f"签署人“{sig.name}”不在名册中{when_zh}",
                               f"signer {sig.name!r} is not in the roster{when_en}",
                               "由名册中有权签署该步骤的人员签署", "have a roster person for this step sign",
                               f"{fld}.name")
                continue
            if not person.may(sig.step):
                yield _finding(ctx, "signature.unauthorised", "第十条",
                               f"{sig.name} 无权签署“{STEP_NAMES_ZH.get(sig.step, sig.step)}”{when_zh}",
                               f"{sig.name} is not authorised for step {sig.step}{when_en}",
                               "由名册中有权签署该步骤的人员签署，或经管理员批准后修改名册",
                               "have an authorised person sign, or have administrators approve a "
                               "roster change", f"{fld}.name")
            if sig.step in ("originator", "originator_head") and person.agency != rec.get("lead_agency"):
                yield _finding(ctx, "signature.wrong-agency", "第十条、第十一条",
                               f"{sig.name} 不属于主办机关 {rec.get('lead_agency')}，不能代表信息产生机构签署{when_zh}",
                               f"{sig.name} does not belong to the lead agency {rec.get('lead_agency')}{when_en}",
                               "由主办机关（信息产生机构）的人员签署", "have staff of the lead agency sign",
                               f"{fld}.name")
        if names.count(sig.name) > 1 and names.index(sig.name) != i:
            yield _finding(ctx, "signature.same-person", "第十条",
                           f"{sig.name} 签署了多个步骤：四个步骤须由四个不同的人签署",
                           f"{sig.name} signed more than one step; four different people must sign",
                           "由另一名有权人员签署该步骤", "have another authorised person sign this step",
                           f"{fld}.name")
        if sig.date > ctx.options.today:
            yield _finding(ctx, "signature.future-date", "第十条",
                           f"签署日期 {sig.date} 晚于今天", f"signature date {sig.date} is in the future",
                           "用 secrecy-gate sign 重新签署", "sign again with `secrecy-gate sign`",
                           f"{fld}.date")
        if i and sig.date < sigs[i - 1].date:
            yield _finding(ctx, "signature.date-order", "第十条",
                           f"第{i + 1}步签署日期 {sig.date} 早于上一步 {sigs[i - 1].date}",
                           f"step {i + 1} is dated {sig.date}, before step {i} ({sigs[i - 1].date})",
                           "按次序重新签署", "sign again in order", f"{fld}.date")
    if len(sigs) >= len(STEPS) and sigs[3].step == "leader" and sigs[3].opinion != rec.disclosure:
        yield _finding(ctx, "signature.leader-opinion", "第十条",
                       f"分管领导批准意见“{sigs[3].opinion}”与 disclosure“{rec.disclosure}”不一致",
                       f"the leader approved {sigs[3].opinion} but disclosure says {rec.disclosure}",
                       "使 review.disclosure 与批准意见一致后重新履行审查程序",
                       "make review.disclosure match the approval and repeat the review",
                       "review.signatures[3].opinion")


def _rosters(ctx: PageContext, entry) -> list[tuple[Roster, str]]:
    """第十条: the roster(s) an entry is judged by — the one in force at each commit that
    introduced it, or the current one while no commit is known — each with a label."""
    commits = ctx.git.introductions.get(entry.raw, []) if ctx.git.roster_at is not None else []
    out = []
    for c in commits:
        roster = ctx.git.roster_at(c.sha)
        if roster is not None:
            out.append((roster, f"（{c.sha[:10]} 时生效的名册第 {roster.version} 版）",
                        f" (roster version {roster.version} in force at {c.sha[:10]})"))
    return out or [(ctx.roster, "", "")]


def revoked_concurrently(ctx: PageContext) -> Iterator[Finding]:
    """第十条, 第十八条: a right removed on the main line is removed for a branch merged later.

    A signature made on a branch forked before an approved roster change took the
    signer's step away does not count once the branch meets that change.
    """
    if ctx.git.revoked is None:
        return
    entries = [("signatures", i, e, e.step) for i, e in enumerate(ctx.record.signatures)] + \
              [("consents", i, e, "consent") for i, e in enumerate(ctx.record.consents)]
    for kind, i, entry, step in entries:
        for c in ctx.git.introductions.get(entry.raw, []):
            version = ctx.git.revoked(entry.name, step, c.sha)
            if version is not None:
                yield _finding(ctx, "signature.revoked", "第十条、第十八条",
                               f"{entry.name} 在提交 {c.sha[:10]} 中签署时，名册第 {version} 版已在另一条历史线上"
                               f"取消其“{step}”权限；合并后该签署不再有效",
                               f"{entry.name} signed in commit {c.sha[:10]} on a line of history that did "
                               f"not yet have roster version {version}, which removed their {step} right; "
                               "once merged, the signature does not count",
                               "由名册中现有权限的人员重新签署（先把主线合并进分支再签）",
                               "have a person who holds the right now sign again (merge the main line "
                               "into the branch first)", f"review.{kind}[{i}]")
                break


def _eligible(ctx: PageContext, step: str):
    agency = ctx.record.get("lead_agency") if step in ("originator", "originator_head") else None
    return ctx.roster.eligible(step, agency)


# -- 第十条, 第十八条: digests --------------------------------------------------

def signatures_match_content(ctx: PageContext) -> Iterator[Finding]:
    """第十条, 第十八条: a signature approves the exact content; any later change voids it."""
    for kind, entries in (("signatures", ctx.record.signatures), ("consents", ctx.record.consents)):
        for i, entry in enumerate(entries):
            if entry.digest != ctx.digest:
                yield _finding(ctx, "digest.stale", "第十条、第十八条",
                               f"{entry.name} 签署后页面内容或审查记录已被修改，该签署失效",
                               f"the page changed after {entry.name} signed; the signature is void",
                               "修改后须重新送审：由起草人运行 secrecy-gate sign --step originator 重新开始",
                               "changed pages are reviewed again: the originator signs anew with "
                               "`secrecy-gate sign --step originator`", f"review.{kind}[{i}].digest")


# -- 第十一条: co-agencies ---------------------------------------------------

def co_agencies_consented(ctx: PageContext) -> Iterator[Finding]:
    """第十一条: 以文字形式征得其他机关单位同意后方可予以公开."""
    rec, roster = ctx.record, ctx.roster
    lead = rec.get("lead_agency")
    if lead not in roster.agencies:
        yield _finding(ctx, "agency.unknown", "第十一条",
                       f"主办机关 {lead!r} 不在名册中", f"lead agency {lead!r} is not in the roster",
                       "使用 reviews/roster.yml 中 agencies 的编号", "use an agency id from reviews/roster.yml",
                       "review.lead_agency")
    co = rec.get("co_agencies") or []
    for agency in co:
        if agency not in roster.agencies:
            yield _finding(ctx, "agency.unknown", "第十一条",
                           f"协办机关 {agency!r} 不在名册中", f"co-agency {agency!r} is not in the roster",
                           "使用 reviews/roster.yml 中 agencies 的编号", "use an agency id from the roster",
                           "review.co_agencies")
    consents = {c.agency: c for c in rec.consents}
    for i, c in enumerate(rec.consents):
        fld = f"review.consents[{i}]"
        if c.agency not in co:
            yield _finding(ctx, "consent.unexpected", "第十一条",
                           f"同意意见来自 {c.agency}，但该机关不在 co_agencies 中",
                           f"a consent from {c.agency}, which is not among co_agencies",
                           "把该机关列入 co_agencies 或删除此同意意见", "list the agency or remove the consent",
                           fld)
        for at, when_zh, when_en in _rosters(ctx, c):
            person = at.person(c.name)
            if person is None or person.agency != c.agency or not person.may("consent"):
                yield _finding(ctx, "consent.unauthorised", "第十一条",
                               f"{c.name} 无权代表 {c.agency} 出具同意意见{when_zh}",
                               f"{c.name} may not consent on behalf of {c.agency}{when_en}",
                               "由名册中该机关具有 consent 权限的人员运行 secrecy-gate consent",
                               "a roster person of that agency with the consent step runs `secrecy-gate consent`",
                               f"{fld}.name")
    for agency in co:
        if agency not in consents:
            who = "、".join(p.name for p in roster.eligible("consent", agency)) or "（名册中无人）"
            yield _finding(ctx, "consent.missing", "第十一条",
                           f"缺少协办机关 {roster.agencies.get(agency, agency)} 的书面同意",
                           f"no written consent from co-agency {agency}",
                           f"请 {who} 运行 secrecy-gate consent PAGE --agency {agency}",
                           f"one of {who} runs `secrecy-gate consent PAGE --agency {agency}`",
                           "review.consents")


# -- 第十二条: escalations ----------------------------------------------------

def escalations_answered(ctx: PageContext) -> Iterator[Finding]:
    """第十二条: an escalated question needs an answer; late answers need a reason."""
    for i, esc in enumerate(ctx.record.get("escalations") or []):
        fld = f"review.escalations[{i}]"
        asked = _dt.date.fromisoformat(esc["date"])
        answer = esc.get("answer")
        if not answer:
            yield _finding(ctx, "escalation.unanswered", "第十二条",
                           f"已报 {esc['to']} 审定的问题尚未答复：{esc['question']}",
                           f"the question escalated to {esc['to']} has no answer yet",
                           "收到答复后填写 answer {date, by, conclusion}",
                           "record answer {date, by, conclusion} when it arrives", f"{fld}.answer")
            continue
        answered = _dt.date.fromisoformat(answer["date"])
        if answered < asked:
            yield _finding(ctx, "escalation.answer-before-question", "第十二条",
                           f"答复日期 {answered} 早于提问日期 {asked}",
                           f"answer date {answered} is before the question date {asked}",
                           "核对日期", "check the dates", f"{fld}.answer.date")
            continue
        try:
            due = ctx.calendar.add_workdays(asked, ESCALATION_WORKDAYS)
        except CalendarUnknown as exc:
            yield _finding(ctx, "calendar.unknown", "第十二条", exc.zh, exc.en,
                           "补充 reviews/calendar.yml", "extend reviews/calendar.yml", f"{fld}.date")
            continue
        if answered > due and not esc.get("delay_reason"):
            yield _finding(ctx, "escalation.late-no-reason", "第十二条",
                           f"答复于 {answered}，超过五个工作日期限（{due}），但未说明逾期原因",
                           f"answered {answered}, after the 5-working-day limit ({due}), "
                           "with no delay_reason", "在 delay_reason 中说明逾期原因",
                           "give the reason in delay_reason", f"{fld}.delay_reason")


# -- 第十条, 第十八条: the git audit ---------------------------------------------

def proven_by_git(ctx: PageContext) -> Iterator[Finding]:
    """第十条, 第十八条: each entry was committed by its signer, in step order."""
    git = ctx.git
    if git.problem:
        code, zh, en = git.problem
        yield _finding(ctx, code, "第十八条", zh, en,
                       "在完整的 git 仓库中构建（CI 中取完整历史，如 fetch-depth: 0）",
                       "build in a full git clone (in CI fetch the whole history, e.g. fetch-depth: 0)")
        return
    if not git.committed:
        yield _finding(ctx, "git.untracked", "第十八条",
                       "页面尚未提交到 git，无法证明审查过程", "the page is not committed to git",
                       "git add 并 git commit 该页面", "git add and commit the page")
        return
    if git.dirty:
        yield _finding(ctx, "git.uncommitted", "第十八条",
                       "页面有未提交的修改：发布的必须是已审查并提交的版本",
                       "the page has uncommitted changes; only the committed, reviewed version may be published",
                       "提交修改（并重新送审）或用 git restore 撤销",
                       "commit the change (and have it reviewed) or discard it with git restore")
        return
    intro = []
    entries = [("signatures", e) for e in ctx.record.signatures] + \
              [("consents", e) for e in ctx.record.consents]
    counters = {"signatures": 0, "consents": 0}
    for kind, entry in entries:
        i = counters[kind]
        counters[kind] += 1
        fld = f"review.{kind}[{i}]"
        commits = git.introductions.get(entry.raw, [])
        if not commits:
            yield _finding(ctx, "git.entry-unproven", "第十八条",
                           f"{entry.name} 的签署在 git 历史中找不到引入它的提交",
                           f"no commit in git history introduced {entry.name}'s entry",
                           f"由 {entry.name} 本人用 secrecy-gate {'sign' if kind == 'signatures' else 'consent'} 签署并提交",
                           f"{entry.name} signs with `secrecy-gate` and commits it", fld)
            continue
        for c in commits:
            if c.malformed:
                yield _finding(ctx, "git.malformed-commit", "第十八条",
                               f"引入 {entry.name} 的签署的提交 {c.sha[:10]} 格式异常（{c.malformed}），"
                               "不能证明签署人",
                               f"the commit {c.sha[:10]} that introduced {entry.name}'s entry is malformed "
                               f"({c.malformed}) and proves no signer",
                               f"删除该签署，由 {entry.name} 本人用 secrecy-gate 重新签署并以普通提交提交",
                               f"remove the entry; {entry.name} signs again with `secrecy-gate` in an "
                               "ordinary commit", fld)
                continue
            git_way = _git_way(ctx, c)
            if not git_way:
                # signatures: ssh — the entry's SSH signature proves the signer (signed_by_key);
                # who wrote the commit (a squash, a rebase, a cherry-pick) does not matter.
                yield from _dated_as_committed(ctx, entry, c, fld, before_page=False)
                continue
            roster = git.roster_at(c.sha) if git.roster_at is not None else ctx.roster
            if roster is None or not roster.owns_email(entry.name, c.email):
                yield _finding(ctx, "git.forged", "第十八条",
                               f"{entry.name} 的签署由 {c.name} <{c.email}> 在提交 {c.sha[:10]} 中写入，"
                               "不是签署时名册中的签署人本人：他人不得代签",
                               f"{entry.name}'s entry was written by {c.name} <{c.email}> in commit "
                               f"{c.sha[:10]}, not by the signer as the roster in force then names them",
                               f"删除该签署，由 {entry.name} 本人签署",
                               f"remove the entry; {entry.name} signs in person", fld)
            yield from _dated_as_committed(ctx, entry, c, fld)
        if entry.raw in git.voided and entry.digest == ctx.digest:
            # (A digest that no longer matches is reported as such: digest.stale.)
            v = git.voided[entry.raw]
            yield _finding(ctx, "git.resurrected", "第十条、第十八条",
                           f"{entry.name} 的签署批准的版本在提交 {v.sha[:10]}（{v.name}）中已被改动、撤回或删除；"
                           "其后再把旧版本和旧签署带回（合并、还原、检出或拣选）不能恢复这次审查",
                           f"the version {entry.name} approved was changed, withdrawn or deleted in commit "
                           f"{v.sha[:10]} ({v.name}); bringing the old version and its signatures back "
                           "(merge, revert, checkout, cherry-pick) does not restore that review",
                           "如需重新发布，须按第十条重新送审：由起草人运行 secrecy-gate sign --step originator 重新开始",
                           "to publish it again, review it anew under 第十条: the originator starts over "
                           "with `secrecy-gate sign --step originator`", fld)
        if kind == "signatures" and all(_git_way(ctx, c) for c in commits):
            intro.append((i, commits))  # under ssh, the signatures' chain proves the order
    for (i, before), (j, after) in zip(intro, intro[1:]):
        if j != i + 1:
            continue
        if not all(git.is_ancestor(a.sha, b.sha) for a in before for b in after):
            yield _finding(ctx, "git.order", "第十条",
                           f"第{j + 1}步签署的提交不在第{i + 1}步之后：审查程序必须依次进行",
                           f"step {j + 1} was not committed after step {i + 1}",
                           "按第十条次序重新签署", "sign again in 第十条 order",
                           f"review.signatures[{j}]")


def _git_way(ctx: PageContext, commit) -> bool:
    """Whether an entry introduced by ``commit`` is proven by its git author (``signatures:
    git``, or an entry from before the ``ssh_since`` cut-over) rather than its SSH signature."""
    if ctx.options.signatures != "ssh":
        return True
    judged = ctx.git.judged_by_git
    return judged is not None and judged(commit)


SSHSIG_FIX_ZH = "由{name}本人用自己的密钥重新签署：secrecy-gate {cmd}（ssh 模式下用 git 配置的 user.signingKey 签名）"
SSHSIG_FIX_EN = "{name} signs again with their own key: `secrecy-gate {cmd}` (in ssh mode it signs with git's user.signingKey)"


def signed_by_key(ctx: PageContext) -> Iterator[Finding]:
    """第十条, 第十一条, 第十八条 (``signatures: ssh``): each entry carries a valid SSH signature,
    over exactly that entry and the entries before it, by a key the roster in force when the
    entry was committed gave the person it names."""
    if ctx.options.signatures != "ssh":
        return
    from ..signatures.entries import prove_record

    proofs = ctx.proofs if ctx.proofs is not None else prove_record(ctx.record)
    page = ctx.git.repo_path or ctx.path
    entries = [("signatures", i, e) for i, e in enumerate(ctx.record.signatures)] + \
              [("consents", i, e) for i, e in enumerate(ctx.record.consents)]
    for kind, i, entry in entries:
        fld = f"review.{kind}[{i}]"
        commits = ctx.git.introductions.get(entry.raw, [])
        if commits and all(_git_way(ctx, c) for c in commits):
            continue  # committed before the cut-over: proven by its git author (proven_by_git)
        step = getattr(entry, "step", None)
        cmd = (f"sign {page} --step {step} --opinion {entry.opinion}" if kind == "signatures"
               else f"consent {page} --agency {entry.agency}")
        fix_zh, fix_en = SSHSIG_FIX_ZH.format(name=entry.name, cmd=cmd), SSHSIG_FIX_EN.format(name=entry.name, cmd=cmd)
        who = f"{kind[:-1]} {i + 1} ({entry.name})"
        proof = proofs.get((kind, i))
        if proof is None or proof.missing:
            yield _finding(ctx, "sshsig.missing", "第十条、第十八条",
                           f"{entry.name} 的签署（{fld}）没有 SSH 签名：本站要求每个签署由签署人的密钥签名（signatures: ssh）",
                           f"{who} has no SSH signature ({fld}); this site requires each entry to be "
                           "signed by the signer's key (signatures: ssh)", fix_zh, fix_en, f"{fld}.sshsig")
            continue
        if proof.error is not None:
            yield _finding(ctx, proof.error.code, "第十条、第十八条",
                           f"{entry.name} 的签署（{fld}）的 SSH 签名无效：{proof.error.zh}",
                           f"the SSH signature of {who} ({fld}) is invalid: {proof.error.en}",
                           fix_zh, fix_en, f"{fld}.sshsig")
            continue
        key = proof.key
        for roster, when_zh, when_en in _rosters(ctx, entry):
            person = roster.person(entry.name)
            rk = person.key(key.blob) if person is not None else None
            if rk is None:
                owner = roster.key_owner(key.blob)
                if owner is not None:
                    yield _finding(ctx, "sshsig.wrong-key", "第十条、第十八条",
                                   f"{entry.name} 的签署（{fld}）是用 {owner.name} 的密钥 {key.fingerprint} 签名的{when_zh}：他人不得代签",
                                   f"{who} ({fld}) is signed with {owner.name}'s key {key.fingerprint}"
                                   f"{when_en}; nobody signs for another", fix_zh, fix_en, f"{fld}.sshsig")
                else:
                    yield _finding(ctx, "sshsig.unknown-key", "第十条、第十八条",
                                   f"{entry.name} 的签署（{fld}）所用密钥 {key.fingerprint} 不是名册给{entry.name}的密钥{when_zh}",
                                   f"{who} ({fld}) is signed with the key {key.fingerprint}, which the "
                                   f"roster does not give {entry.name}{when_en}",
                                   f"{fix_zh}；如是新密钥，先把公钥加入名册 keys 并经管理员批准（secrecy-gate approve roster）",
                                   f"{fix_en}; for a new key, add the public key to the roster's keys and "
                                   "have administrators approve it (`secrecy-gate approve roster`)", f"{fld}.sshsig")
                break
            days = [entry.date] + [c.local_date for c in commits]
            if not all(rk.valid_on(d) for d in days):
                yield _finding(ctx, "sshsig.key-expired", "第十条、第十八条",
                               f"{entry.name} 的签署（{fld}，{entry.date}）所用密钥 {key.fingerprint} 的有效期为 {rk.window()}{when_zh}",
                               f"{who} ({fld}, {entry.date}) is signed with the key {key.fingerprint}, "
                               f"valid {rk.window()}{when_en}", fix_zh, fix_en, f"{fld}.sshsig")
                break
        else:
            if ctx.git.key_revoked is not None:
                for c in commits:
                    version = ctx.git.key_revoked(entry.name, key.blob, c.sha)
                    if version is not None:
                        yield _finding(ctx, "sshsig.revoked-key", "第十条、第十八条",
                                       f"{entry.name} 的签署（{fld}）所用密钥 {key.fingerprint} 已被名册第 {version} 版撤销，"
                                       f"而提交 {c.sha[:10]} 所在的历史线上还没有这一版：合并后该签署不再有效",
                                       f"{who} ({fld}) is signed with the key {key.fingerprint}, which roster "
                                       f"version {version} revoked on another line of history than commit "
                                       f"{c.sha[:10]}; once merged, the signature does not count",
                                       fix_zh + "（先把主线合并进分支再签）",
                                       fix_en + " (merge the main line into the branch first)", f"{fld}.sshsig")
                        break


def _dated_as_committed(ctx: PageContext, entry, commit, fld: str,
                        before_page: bool = True) -> Iterator[Finding]:
    """第十条, 第十八条: an entry's date is the day it was signed — not after the commit that
    recorded it, not before the page existed.  One day of slack on each side for clocks
    in other time zones.  (``before_page``: an SSH-signed entry's date is the signer's own
    signed statement, and a page renamed with ``git mv`` starts a new path after it.)"""
    slack = _dt.timedelta(days=1)
    committed = commit.local_date
    if entry.date > committed + slack:
        yield _finding(ctx, "signature.date-after-commit", "第十条、第十八条",
                       f"{entry.name} 的签署日期 {entry.date} 晚于记录它的提交 {commit.sha[:10]}（{committed}）",
                       f"{entry.name}'s entry is dated {entry.date}, after the commit {commit.sha[:10]} "
                       f"that recorded it ({committed})",
                       "用 secrecy-gate sign 重新签署（日期由工具写入）",
                       "sign again with `secrecy-gate sign` (it writes the date)", f"{fld}.date")
    created = ctx.git.created
    if before_page and created is not None and entry.date < created.local_date - slack:
        yield _finding(ctx, "signature.date-before-page", "第十条、第十八条",
                       f"{entry.name} 的签署日期 {entry.date} 早于页面的第一次提交（{created.local_date}，"
                       f"{created.sha[:10]}）：不能批准尚不存在的页面",
                       f"{entry.name}'s entry is dated {entry.date}, before the page's first commit "
                       f"({created.local_date}, {created.sha[:10]}); nothing can approve a page before it existed",
                       "用 secrecy-gate sign 重新签署（日期由工具写入）",
                       "sign again with `secrecy-gate sign` (it writes the date)", f"{fld}.date")


# -- 第六条, 第七条, 第九条: what the body itself says ----------------------------

def _title_and_body(ctx: PageContext) -> list[tuple[str, str]]:
    """(field, text) of everything the page may show: every string of the front matter but
    the review record (title, the catalogue's ``document``, and ``description``, ``tags`` …,
    which a theme prints in the page or its ``<meta>``), then the body — so that ``check``
    finds what the build's leak scan would find in the output."""
    parts: list[tuple[str, str]] = []

    def walk(value, where: str) -> None:
        if isinstance(value, str):
            parts.append((where, value))
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{where}.{k}" if where else str(k))
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                walk(v, f"{where}[{i}]")

    for key, value in ctx.meta.items():
        if key != "review":
            walk(value, str(key))
    parts.append(("", ctx.scanned_body))
    return parts


def _hit_finding(ctx: PageContext, hit: Hit, fld: str, code: str, zh: str, en: str,
                 fix_zh: str, fix_en: str, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(code, hit.article or "第六条", ctx.path, zh, en, fix_zh, fix_en,
                   fld or "body", ctx.line_of(hit) if not fld else None, severity)


def _declassified(ctx: PageContext) -> bool:
    return ctx.record.classification != "非密" and bool(ctx.record.get("declassification"))


def no_secrecy_marking(ctx: PageContext) -> Iterator[Finding]:
    """第六条(一): a body carrying a secrecy marking is not published unless declassified."""
    if ctx.record.disclosure == "不予公开" or _declassified(ctx):
        return
    for fld, text in _title_and_body(ctx):
        for hit in find_markings(text):
            yield _hit_finding(
                ctx, hit, fld, "content.marking",
                f"正文带有密级或内部资料标志“{hit.matched}”（{hit.detail}），而页面未履行解密程序",
                f"the text carries the marking {hit.matched!r} ({hit.detail_en}) and the page is "
                "not declassified",
                "确属国家秘密或工作秘密的，不得公开；已解密的，在 review.declassification 中记录解密依据，"
                "或删除该标志后重新送审",
                "classified content must not be published; if declassified, record "
                "review.declassification, or remove the marking and have the page reviewed again")


def disclosure_note_agrees(ctx: PageContext) -> Iterator[Finding]:
    """第五条: a note such as （此件不予公开） must not contradict review.disclosure."""
    for value, hit in find_disclosure_notes(ctx.scanned_body):
        if contradicts(value, ctx.record.disclosure):
            yield _hit_finding(
                ctx, hit, "", "content.disclosure-note",
                f"正文注记“{hit.matched}”与审查意见“{ctx.record.disclosure}”相矛盾",
                f"the note {hit.matched!r} contradicts the decision {ctx.record.disclosure}",
                "核实公开属性：修改注记或审查意见后重新送审",
                "check which is right, correct the note or the decision, and repeat the review")


def no_personal_information(ctx: PageContext) -> Iterator[Finding]:
    """第六条(二), 第七条: unmasked ID, bank card and mobile numbers are not published."""
    if ctx.record.disclosure == "不予公开":
        return
    allowed = [a["value"] for a in ctx.record.get("pii_allowed") or []]
    for fld, text in _title_and_body(ctx):
        for hit in find_pii(text, allowed, today=ctx.options.today):
            yield _hit_finding(
                ctx, hit, fld, f"content.{hit.kind}",
                f"含有未遮盖的个人信息 {hit.matched}（{hit.detail}）",
                f"unmasked personal information {hit.matched} ({hit.detail_en})",
                "遮盖（如 6206**********1234、138****5678）或删除；确需公开的，在 review.pii_allowed "
                "中列出该值并说明理由后重新送审",
                "mask it (6206**********1234, 138****5678) or remove it; to publish it on purpose, "
                "list it in review.pii_allowed with a reason and have the page reviewed again")


def redaction_markers(ctx: PageContext) -> Iterator[Finding]:
    """第九条: 删减后公开 pages mark each secret point; the count matches review.redactions."""
    red = ctx.redaction
    if red is None or ctx.record.disclosure == "不予公开":
        return
    fix_zh = "用 <!-- 密点 -->…<!-- /密点 --> 成对标出每个密点，并使 review.redactions 等于密点个数"
    fix_en = ("mark each secret point as <!-- 密点 -->…<!-- /密点 --> and set review.redactions "
              "to their number")
    for line, zh, en in red.problems:
        yield Finding("redaction.markers", "第九条", ctx.path, zh, en, fix_zh, fix_en, "body",
                      ctx.body_line + line - 1)
    declared = ctx.record.get("redactions")
    if ctx.record.disclosure != "删减后公开":
        if red.count:
            yield _finding(ctx, "redaction.not-redacted-page", "第九条",
                           f"正文有 {red.count} 处密点标记，但审查意见不是“删减后公开”",
                           f"the body marks {red.count} secret point(s) but the decision is not 删减后公开",
                           "审查意见改为删减后公开并重新送审，或删除密点标记",
                           "change the decision to 删减后公开 and repeat the review, or remove the markers",
                           "review.disclosure")
        return
    if red.count == 0:
        yield _finding(ctx, "redaction.none", "第九条",
                       "审查意见为“删减后公开”，但正文没有标出任何密点",
                       "the decision is 删减后公开 but no secret point is marked in the body",
                       fix_zh, fix_en, "body")
    if declared is None:
        yield _finding(ctx, "redaction.count-missing", "第九条",
                       "删减后公开页面须在 review.redactions 中写明密点个数",
                       "a 删减后公开 page states the number of secret points in review.redactions",
                       fix_zh, fix_en, "review.redactions")
    elif declared != red.count:
        yield _finding(ctx, "redaction.count-mismatch", "第九条",
                       f"review.redactions 为 {declared}，正文实际标出 {red.count} 处密点",
                       f"review.redactions says {declared} but the body marks {red.count}",
                       fix_zh, fix_en, "review.redactions")


def sensitive_hints(ctx: PageContext) -> Iterator[Finding]:
    """第八条: words suggesting a sensitive item the record answers false.

    A ``sensitive_note`` is the reviewers' considered answer to 第八条 and
    settles the hints (e.g. a regulation that names 信访 only as a category).
    """
    if ctx.lexicon is None or ctx.record.disclosure == "不予公开" or ctx.record.get("sensitive_note"):
        return
    severity = Severity.ERROR if ctx.options.hints_withhold else Severity.WARNING
    for hit in ctx.lexicon.hints(ctx.scanned_body, ctx.record.get("sensitive")):
        yield _hit_finding(ctx, hit, "", "sensitive.hint", hit.detail, hit.detail_en,
                           "复核第八条事项：确有该情形的，答 true 并在 sensitive_note 中说明处理情况；"
                           "仅为一般表述的，在 sensitive_note 中说明",
                           "check the 第八条 item; if it applies, answer true and explain in "
                           "sensitive_note; if the words are only general wording, say so in "
                           "sensitive_note", severity)


RULES: tuple[Rule, ...] = (
    disclosure_decision,
    index_no_format,
    classified_without_declassification,
    third_party_without_consent,
    sensitive_items_answered,
    four_signatures_in_order,
    signatures_match_content,
    co_agencies_consented,
    escalations_answered,
    proven_by_git,
    signed_by_key,
    revoked_concurrently,
    no_secrecy_marking,
    disclosure_note_agrees,
    no_personal_information,
    redaction_markers,
    sensitive_hints,
)


def evaluate(ctx: PageContext, rules: Iterable[Rule] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    for rule in RULES if rules is None else rules:
        findings.extend(rule(ctx))
    return findings
