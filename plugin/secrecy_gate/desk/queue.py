"""The review desk: what must be signed today, and what is late.

From a ``SiteReview`` (gate.py), the working-day ``Calendar`` and a date, one
``QueueRow`` per page: where the page stands in the review procedure
(第十条 four steps, 第十一条 consents, 第十二条 escalations), the next step and
the roster people who may take it, and its deadlines in working days:

- 条例第二十六条: information to be disclosed proactively is published within
  20 working days of being formed (``document.written``), counted from no
  earlier than the day the page entered review: the first commit in which it
  has a review record, or the site's ``adopted`` date, whichever is later.  A
  page that was years old when the gate came is not years overdue; a page in
  git that never had a record has not entered review (no deadline), unless
  ``adopted`` says every page of the site did;
- 第十二条: an escalated question is answered within 5 working days.

Pure: no click and no printing; ``render_queue`` and ``queue_json`` return
what the command prints.  A deadline the calendar cannot compute (a year
neither chinesecalendar nor reviews/calendar.yml knows) is an explicit error
on its row, never a guess; any other error on a row is shown on that row.
"""

from __future__ import annotations

import datetime as _dt
import enum
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

from wcwidth import wcswidth

from ..core import frontmatter
from ..build import report
from ..core.findings import Finding, Outcome, Severity
from ..review.gate import PageResult, SiteReview
from ..history.gitaudit import Commit, History
from ..core.record import canonical_value
from ..core.roster import Person, Roster
from ..review.rules import ESCALATION_WORKDAYS
from ..core.schema import STEP_NAMES_ZH, STEPS
from .signing import INCOMPLETE_CODES
from ..core.workdays import Calendar, CalendarUnknown, as_date

# 条例第二十六条: 自该政府信息形成或者变更之日起20个工作日内予以公开
DISCLOSURE_WORKDAYS = 20
PROACTIVE = ("主动公开", "删减后公开")
# Commit times are epoch seconds; their day is read in China Standard Time (no DST).
CHINA = _dt.timezone(_dt.timedelta(hours=8), "CST")
# Withholding findings that only say the procedure has not finished yet.
IN_PROGRESS = frozenset({"signature.missing", "digest.stale", "consent.missing",
                         "escalation.unanswered", "git.untracked", "git.uncommitted"})
UNCOMMITTED = frozenset({"git.untracked", "git.uncommitted"})


class Text(NamedTuple):
    """A message in both languages."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


class State(str, enum.Enum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    AWAITING_CONSENT = "awaiting_consent"
    AWAITING_ESCALATION = "awaiting_escalation"
    READY = "ready"
    PUBLISHED = "published"
    WITHHELD = "withheld"


STATE_NAMES = {
    State.DRAFT: Text("草稿", "draft"),
    State.IN_REVIEW: Text("审查中", "in review"),
    State.AWAITING_CONSENT: Text("待协办机关同意", "awaiting consent"),
    State.AWAITING_ESCALATION: Text("待上级答复", "awaiting answer"),
    State.READY: Text("待提交", "ready once committed"),
    State.PUBLISHED: Text("已发布", "published"),
    State.WITHHELD: Text("不发布", "withheld"),
}


@dataclass(frozen=True)
class Action:
    """What must happen next, and the roster people who may do it."""

    code: str  # a 第十条 step, "consent", "answer", "commit", "complete" or "fix"
    label: Text
    people: tuple[Person, ...] = ()
    target: str = ""  # the co-agency (consent) or the body asked (answer)


@dataclass(frozen=True)
class Deadline:
    """One deadline in working days; ``days_left`` < 0 means overdue."""

    article: str  # 条例第二十六条 or 第十二条
    kind: str  # "disclosure" or "escalation"
    subject: str = ""  # the body an escalation went to
    start: _dt.date | None = None
    start_from: str = ""  # the field or fact the period counts from
    due: _dt.date | None = None
    days_left: int | None = None
    answered: _dt.date | None = None
    past_due: bool = False  # not done and today is after the due date
    late_no_reason: bool = False  # 第十二条: answered late without delay_reason
    error: Text | None = None

    @property
    def overdue(self) -> bool:
        return self.past_due or self.late_no_reason


@dataclass
class QueueRow:
    page: str
    outcome: Outcome
    state: State
    step: int | None = None  # 1-4: the 第十条 step awaited
    reason: Finding | None = None  # why the page is a draft or withheld
    actions: list[Action] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)
    error: Text | None = None  # the row itself could not be worked out

    @property
    def overdue(self) -> bool:
        return any(d.overdue for d in self.deadlines)

    @property
    def errors(self) -> list[Text]:
        return [e for e in (self.error, *(d.error for d in self.deadlines)) if e is not None]

    def may_act(self, person: Person) -> bool:
        return any(p.name == person.name for a in self.actions for p in a.people)

    def state_label(self, lang: str = "zh") -> str:
        if self.state is State.IN_REVIEW and self.step:
            return f"审查中 第{self.step}/4步" if lang != "en" else f"in review: step {self.step}/4"
        if self.state is State.PUBLISHED:
            return report.label(self.outcome, lang)
        return STATE_NAMES[self.state].get(lang)


# -- dates ------------------------------------------------------------------------

def commit_day(commit: Commit) -> _dt.date:
    """The day of a commit in China Standard Time."""
    return _dt.datetime.fromtimestamp(commit.time, CHINA).date()


def first_commit(history: History | None, repo_path: str | None) -> _dt.date | None:
    """The day (China Standard Time) of the first commit that touched the path."""
    if history is None or repo_path is None:
        return None
    commit = history.created(repo_path)
    return commit_day(commit) if commit else None


def entered_review(history: History | None, repo_path: str | None, adopted: _dt.date | None
                   ) -> tuple[_dt.date | None, str]:
    """When the page entered review, and what that was read from.

    The first commit in which the page has a review record, or ``adopted`` (the
    site's adoption date), whichever is later.  A page in git that never had a
    record entered review on ``adopted`` (not before its first commit); without
    ``adopted`` it has not entered review: (None, "").  An uncommitted page: (adopted, "adopted").
    """
    if history is None or repo_path is None:
        return adopted, ("adopted" if adopted else "")
    record = history.adoption(repo_path)
    if record is not None:
        day = commit_day(record)
        if adopted is not None and adopted > day:
            return adopted, "adopted"
        return day, "review record"
    if adopted is None:
        return None, ""
    created = history.created(repo_path)
    if created is not None and commit_day(created) > adopted:
        return commit_day(created), "first commit"
    return adopted, "adopted"


def workdays_left(calendar: Calendar, today: _dt.date, due: _dt.date) -> int:
    """Working days from ``today`` to ``due`` (0: due today); overdue is at least -1."""
    if today <= due:
        return calendar.workdays_between(today, due)
    return -max(1, calendar.workdays_between(due, today))


def _calendar_error(article: str, exc: CalendarUnknown) -> Text:
    return Text(f"{article}期限的工作日无法计算：{exc.zh}",
                f"the working days of the {article} deadline cannot be counted: {exc.en}")


INVALID_CALENDAR = Text("工作日历 reviews/calendar.yml 无效（见站点问题），无法计算期限",
                        "the working-day calendar reviews/calendar.yml is invalid (see the site "
                        "problems); deadlines cannot be computed")


# -- what the page says -------------------------------------------------------------

def front_matter(page: PageResult) -> dict:
    """The page's front matter as JSON-compatible data ({} when it did not parse)."""
    if page.document is None or not isinstance(page.document.meta, dict):
        return {}
    return frontmatter.to_jsonable(page.document.meta)


def review_data(page: PageResult, meta: dict) -> dict:
    """The review mapping: the validated record's, or as written on a draft."""
    if page.record is not None:
        return page.record.data
    review = meta.get("review")
    return review if isinstance(review, dict) else {}


def formed_on(meta: dict, history: History | None, repo_path: str | None
              ) -> tuple[_dt.date | None, str, Text | None]:
    """When the information was formed: ``document.written``, else the first commit.

    Returns (date, what it was read from, error).  No date and no error means
    the page has neither (it is not committed yet): no period has started.
    """
    document = meta.get("document")
    written = document.get("written") if isinstance(document, dict) else None
    if written is not None:
        day = as_date(written)
        if day is None:
            return None, "document.written", Text(
                f"document.written 不是有效日期：{written!r}（写作 YYYY-MM-DD）",
                f"document.written is not a valid date: {written!r} (write YYYY-MM-DD)")
        return day, "document.written", None
    day = first_commit(history, repo_path)
    return day, "first commit" if day else "", None


def disclosure_start(meta: dict, history: History | None, repo_path: str | None,
                     adopted: _dt.date | None) -> tuple[_dt.date | None, str, Text | None]:
    """条例第二十六条: when the 20 working days start — formed (``document.written``, else the
    first commit), but never before the page entered review (``entered_review``).

    Returns (date, what it was read from, error); no date and no error: no period
    has started (not committed and no ``document.written``, or not in review).
    """
    formed, source, error = formed_on(meta, history, repo_path)
    if error is not None or formed is None:
        return formed, source, error
    committed = history is not None and repo_path is not None and history.created(repo_path) is not None
    entered, how = entered_review(history, repo_path, adopted)
    if entered is None:
        # In git without a review record ever, and no adoption date: not in review yet.
        return (None, "", None) if committed else (formed, source, None)
    if entered > formed or (entered == formed and source == "first commit"):
        return entered, how, None  # (on the day of the first commit: say it had its record)
    return formed, source, None


# -- deadlines --------------------------------------------------------------------

def count_deadline(article: str, kind: str, start: _dt.date, workdays: int,
                   calendar: Calendar | None, today: _dt.date, **known) -> Deadline:
    """``workdays`` working days after ``start``, and how many are left on ``today``.

    A year the calendar does not know is an error on the deadline, never a guess;
    the due date is kept when only ``today`` lies in the unknown year.
    """
    if calendar is None:
        return Deadline(article, kind, start=start, error=INVALID_CALENDAR, **known)
    try:
        due = calendar.add_workdays(start, workdays)
    except CalendarUnknown as exc:
        return Deadline(article, kind, start=start, error=_calendar_error(article, exc), **known)
    pending = known.get("answered") is None
    left, error = None, None
    if pending:
        try:
            left = workdays_left(calendar, today, due)
        except CalendarUnknown as exc:
            error = _calendar_error(article, exc)
    return Deadline(article, kind, start=start, due=due, days_left=left,
                    past_due=pending and today > due, error=error, **known)


def disclosure_deadline(page: PageResult, meta: dict, data: dict, history: History | None,
                        repo_path: str | None, calendar: Calendar | None,
                        today: _dt.date, adopted: _dt.date | None = None) -> Deadline | None:
    """条例第二十六条: unpublished information for proactive disclosure, 20 working days.

    Applies to pages decided 主动公开 or 删减后公开, and to drafts not decided yet;
    counted from ``disclosure_start`` (never before the page entered review).
    """
    decision = canonical_value("disclosure", data.get("disclosure"))
    if page.published or (decision is not None and decision not in PROACTIVE):
        return None
    start, source, error = disclosure_start(meta, history, repo_path, adopted)
    if error is not None:
        return Deadline("条例第二十六条", "disclosure", start_from=source, error=error)
    if start is None:
        return None
    return count_deadline("条例第二十六条", "disclosure", start, DISCLOSURE_WORKDAYS, calendar, today,
                          start_from=source)


def escalation_deadlines(data: dict, calendar: Calendar | None, today: _dt.date) -> list[Deadline]:
    """第十二条: each escalated question answered within 5 working days of its date."""
    out = []
    for i, esc in enumerate(data.get("escalations") or []):
        fld = f"review.escalations[{i}]"
        esc = esc if isinstance(esc, dict) else {}
        to = str(esc.get("to") or "")
        asked = as_date(esc.get("date"))
        answer = esc.get("answer") if isinstance(esc.get("answer"), dict) else None
        answered = as_date(answer.get("date")) if answer else None
        if asked is None or (answer is not None and answered is None):
            bad = f"{fld}.date" if asked is None else f"{fld}.answer.date"
            out.append(Deadline("第十二条", "escalation", to, start_from=bad, error=Text(
                f"{bad} 不是有效日期，无法计算第十二条答复期限",
                f"{bad} is not a valid date; the 第十二条 deadline cannot be computed")))
            continue
        d = count_deadline("第十二条", "escalation", asked, ESCALATION_WORKDAYS, calendar, today,
                           subject=to, start_from=f"{fld}.date", answered=answered)
        if answered is not None and d.due is not None and answered > d.due and not esc.get("delay_reason"):
            d = replace(d, late_no_reason=True)
        out.append(d)
    return out


# -- the procedure ----------------------------------------------------------------

def _signed(page: PageResult) -> list:
    """Signatures still valid; any void one restarts the procedure (sign drops them)."""
    sigs = page.record.signatures
    return [] if any(s.digest != page.digest for s in sigs) else list(sigs)


def _sign_action(page: PageResult, roster: Roster, signed: list) -> Action:
    """第十条: the next step, and who may take it (not someone who signed another step)."""
    step = STEPS[len(signed)]
    agency = page.record.get("lead_agency") if step in ("originator", "originator_head") else None
    done = {s.name for s in signed}
    people = tuple(p for p in roster.eligible(step, agency) if p.name not in done)
    return Action(step, Text(f"签署 {step}（{STEP_NAMES_ZH[step]}）", f"sign {step}"), people)


def _consent_actions(page: PageResult, roster: Roster) -> list[Action]:
    """第十一条: one action per co-agency without a valid written consent."""
    rec = page.record
    out = []
    for agency in rec.get("co_agencies") or []:
        if any(c.agency == agency and c.digest == page.digest for c in rec.consents):
            continue
        name = roster.agencies.get(agency, agency)
        out.append(Action("consent", Text(f"{name} 书面同意（consent --agency {agency}）",
                                          f"consent of {agency}"),
                          tuple(roster.eligible("consent", agency)), agency))
    return out


def _commit_action(page: PageResult, roster: Roster, history: History | None,
                   repo_path: str | None) -> Action:
    """第十八条: uncommitted entries are committed by their own signers, not by an editor."""
    committed: frozenset = frozenset()
    blob = history.head_blobs.get(repo_path) if history is not None and repo_path else None
    if blob is not None:
        committed = history.entries(blob)
    rec = page.record
    names = dict.fromkeys(e.name for e in (*rec.signatures, *rec.consents) if e.raw not in committed)
    people = tuple(p for p in map(roster.person, names) if p is not None)
    return Action("commit", Text("签署人本人提交（git commit）后即可发布",
                                 "the signers commit their own entries (git commit); then it publishes"),
                  people)


def _fix_action(code: str, finding: Finding) -> Action:
    return Action(code, Text(finding.fix_zh or finding.message_zh, finding.fix_en or finding.message_en))


FIELD_CODES = ("record.empty-field", "record.missing-field")


def _complete_action(incomplete: list[Finding]) -> Action:
    """What to fill in on a draft.  A blank record (``secrecy-gate adopt``) has nine empty
    fields; naming only the first would send the editor back after each one, so the
    action says how many there are and where all of them are listed."""
    fields = list(dict.fromkeys(f.field for f in incomplete if f.code in FIELD_CODES and f.field))
    first = ("review.classification", "review.disclosure", "review.basis", "review.reason")
    fields.sort(key=lambda f: first.index(f) if f in first else len(first))  # the record's order
    if len(fields) < 2:
        return _fix_action("complete", incomplete[0])
    return Action("complete", Text(
        f"填写 {fields[0]} 等 {len(fields)} 个字段（第五条、第八条；secrecy-gate check 页面 逐项列出）",
        f"fill in {fields[0]} and {len(fields) - 1} more field(s) (第五条, 第八条; "
        f"`secrecy-gate check PAGE` lists them all)"))


def classify(page: PageResult, roster: Roster | None, history: History | None,
             repo_path: str | None) -> QueueRow:
    """The page's place in the procedure (第十条 to 第十二条) and what comes next.

    Precedence: an incomplete record is a draft; a finding that more signing
    cannot cure withholds; an open escalation (第十二条) stops the signing;
    then the next 第十条 step, the 第十一条 consents, the commit.
    """
    row = QueueRow(page.path, page.verdict.outcome, State.WITHHELD)
    withholding = [f for f in page.verdict.findings if f.withholds]
    incomplete = [f for f in withholding if f.code.startswith(INCOMPLETE_CODES)]
    if incomplete:
        row.state, row.reason = State.DRAFT, incomplete[0]
        row.actions = [_complete_action(incomplete)]
        return row
    rec = page.record
    if rec is None or roster is None:  # the roster, git or the reader failed: shown as withheld
        row.reason = page.verdict.first_reason
        return row
    blockers = [f for f in withholding if f.severity is Severity.ERROR and f.code not in IN_PROGRESS]
    if blockers:
        row.reason = blockers[0]
        row.actions = [_fix_action("fix", blockers[0])]
        return row
    questions = [e for e in rec.get("escalations") or [] if not e.get("answer")]
    if questions:
        row.state = State.AWAITING_ESCALATION
        row.actions = [Action("answer", Text(f"等待 {e['to']} 答复（第十二条）", f"answer from {e['to']} (第十二条)"),
                              target=e["to"]) for e in questions]
        return row
    signed = _signed(page)
    consents = _consent_actions(page, roster)
    if len(signed) < len(STEPS):
        row.state, row.step = State.IN_REVIEW, len(signed) + 1
        row.actions = [_sign_action(page, roster, signed), *consents]
        return row
    if consents:
        row.state, row.actions = State.AWAITING_CONSENT, consents
        return row
    codes = {f.code for f in withholding}
    if codes and codes <= UNCOMMITTED:
        row.state = State.READY
        row.actions = [_commit_action(page, roster, history, repo_path)]
        return row
    if page.published:
        row.state = State.PUBLISHED
        return row
    row.reason = page.verdict.first_reason
    return row


def page_row(page: PageResult, roster: Roster | None, history: History | None,
             repo_path: str | None, calendar: Calendar | None, today: _dt.date,
             adopted: _dt.date | None = None) -> QueueRow:
    """One page's row: state, next step, deadlines; an error is kept on the row."""
    try:
        row = classify(page, roster, history, repo_path)
        meta = front_matter(page)
        data = review_data(page, meta)
        disclosure = disclosure_deadline(page, meta, data, history, repo_path, calendar, today, adopted)
        row.deadlines = [*([disclosure] if disclosure else []),
                         *escalation_deadlines(data, calendar, today)]
    except Exception as exc:  # noqa: BLE001 - a report shows an error on its row, never drops it
        row = QueueRow(page.path, page.verdict.outcome, State.WITHHELD, reason=page.verdict.first_reason,
                       error=Text(f"无法确定该页的审查状态：{exc!r}", f"cannot work out this page's state: {exc!r}"))
    return row


def queue(review: SiteReview, calendar: Calendar | None, today: _dt.date,
          docs_dir: Path, adopted: _dt.date | None = None) -> list[QueueRow]:
    """Every page's row, overdue rows first, then by path (``adopted``: the site's adoption date)."""
    history = review.history
    to_repo = history.page_paths(docs_dir) if history is not None else (lambda rel: None)
    try:
        rows = [page_row(page, review.roster, history, page.repo_path or to_repo(page.path),
                         calendar, today, adopted) for page in review.pages.values()]
    finally:
        if history is not None:
            history.close()
    return sorted(rows, key=lambda r: (not r.overdue, r.page))


# -- output -----------------------------------------------------------------------

def _people(action: Action) -> str:
    return "、".join(p.name for p in action.people)


def action_text(action: Action, lang: str) -> str:
    who = _people(action)
    sep = ": " if lang == "en" else "："
    return action.label.get(lang) + (f"{sep}{who}" if who else "")


def deadline_text(d: Deadline, lang: str) -> str:
    """A short deadline for the table ("" for an escalation answered in time)."""
    en = lang == "en"
    if d.error is not None:
        if d.past_due:
            return f"{d.article} {d.due} " + ("overdue" if en else "已逾期")
        return f"{d.article} " + ("cannot be computed" if en else "无法计算")
    if d.late_no_reason:
        return (f"{d.article} answered {d.answered} after {d.due}, no delay_reason" if en
                else f"{d.article} {d.answered} 答复，超过期限 {d.due} 且未说明原因")
    if d.days_left is None:
        return ""
    what = "" if d.kind == "disclosure" else (f"{d.subject} answer " if en else f"{d.subject}答复 ")
    if d.days_left < 0:
        left = (f"overdue by {-d.days_left} working day(s)" if en else f"逾期 {-d.days_left} 个工作日")
    elif d.days_left == 0:
        left = "due today" if en else "今日到期"
    else:
        left = f"{d.days_left} working day(s) left" if en else f"剩 {d.days_left} 个工作日"
    return f"{d.article} {what}{d.due} {left}"


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - max(wcswidth(text), 0))


def _next_text(row: QueueRow, lang: str) -> str:
    if row.state is State.WITHHELD and row.reason is not None:
        return report.reason(row.reason, lang)
    return ("; " if lang == "en" else "；").join(action_text(a, lang) for a in row.actions)


def render_queue(rows: list[QueueRow], lang: str = "zh") -> list[str]:
    """The queue as a terminal table: overdue rows first and marked with "!"."""
    head = (("page", "state", "next step: who may take it", "deadline (working days)") if lang == "en"
            else ("页面", "状态", "下一步：可办理人", "期限（工作日）"))
    table = [("", *head)] + [
        ("!" if r.overdue else ("✗" if r.errors else ""), r.page, r.state_label(lang), _next_text(r, lang),
         ("; " if lang == "en" else "；").join(t for t in (deadline_text(d, lang) for d in r.deadlines) if t))
        for r in rows]
    widths = [max(wcswidth(line[i]) for line in table) for i in range(3)]
    lines = []
    for i, line in enumerate(table):
        cells = [_pad(line[0], 1), _pad(line[1], widths[1]), _pad(line[2], widths[2]), line[3]]
        text = "  ".join(cells)
        if line[4]:
            text += f"  [{line[4]}]"
        lines.append(text.rstrip())
        if i:
            lines.extend(f"     ✗ {e.get(lang)}" for e in rows[i - 1].errors)
    lines.append(summary(rows, lang))
    return lines


def summary(rows: list[QueueRow], lang: str = "zh") -> str:
    """One line: how many pages in each state, how many overdue, how many errors."""
    counts = Counter(r.state for r in rows)
    parts = [f"{STATE_NAMES[s].get(lang)} {counts[s]}" for s in State if counts[s]]
    overdue = sum(r.overdue for r in rows)
    errors = sum(len(r.errors) for r in rows)
    if lang == "en":
        text = f"{len(rows)} page(s)" + (": " + ", ".join(parts) if parts else "") + f"; {overdue} overdue"
        return text + (f"; {errors} error(s)" if errors else "")
    text = f"共 {len(rows)} 页" + ("：" + "，".join(parts) if parts else "") + f"；逾期 {overdue} 页"
    return text + (f"；错误 {errors} 项" if errors else "")


def person_json(p: Person) -> dict:
    return {"name": p.name, "emails": list(p.emails), "agency": p.agency}


def deadline_json(d: Deadline, lang: str) -> dict:
    iso = lambda day: day.isoformat() if day else None  # noqa: E731
    return {"article": d.article, "kind": d.kind, "subject": d.subject, "start": iso(d.start),
            "start_from": d.start_from, "due": iso(d.due), "days_left": d.days_left,
            "answered": iso(d.answered), "past_due": d.past_due, "late_no_reason": d.late_no_reason,
            "overdue": d.overdue,
            "error": d.error.get(lang) if d.error else None}


def queue_json(rows: list[QueueRow], lang: str = "zh") -> list[dict]:
    """The rows for machines: ``next``/``who`` of the first action, every action in full."""
    out = []
    for r in rows:
        first = r.actions[0] if r.actions else None
        out.append({
            "page": r.page, "outcome": r.outcome.value, "state": r.state.value,
            "state_label": r.state_label(lang), "step": r.step,
            "next": first.code if first else "", "next_label": action_text(first, lang) if first else "",
            "who": [p.name for p in first.people] if first else [],
            "people": [person_json(p) for p in first.people] if first else [],
            "actions": [{"action": a.code, "target": a.target, "label": a.label.get(lang),
                         "people": [person_json(p) for p in a.people]} for a in r.actions],
            "reason": report.reason(r.reason, lang), "reason_code": r.reason.code if r.reason else "",
            "deadlines": [deadline_json(d, lang) for d in r.deadlines],
            "overdue": r.overdue, "errors": [e.get(lang) for e in r.errors],
        })
    return out


def not_in_roster(name: str, email: str, roster_path: Path) -> Text:
    """--mine by someone the roster does not know (第十条: only roster people review)."""
    return Text(f"git 身份 {name} <{email}> 不在名册 {roster_path} 中：--mine 只列出名册人员可办理的页面。"
                "请用名册中登记的邮箱设置 git user.email（或 GIT_AUTHOR_EMAIL）",
                f"the git identity {name} <{email}> is not in the roster {roster_path}; --mine lists "
                "what a roster person may do. Set git user.email (or GIT_AUTHOR_EMAIL) to your "
                "roster e-mail")
