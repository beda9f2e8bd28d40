"""The periodic review (第十四条 定期审查): what needs someone's attention.

第十四条: 行政机关应对本行政机关已定密的政府信息定期进行梳理 — classified pages
with their secrecy period and when it ends, and whether a declassification
record exists (expiry alone never publishes a page).  Beside them: pages
withheld for a long time since they entered review (not since a pre-gate
first commit), 第十二条 escalations still open or late, overdue
条例第二十六条 deadlines, and every
change to the roster (security-critical, 第十条) since a date.

Pure: no click, no printing.  ``Sweep.needs_action`` decides the exit code
of ``secrecy-gate sweep`` so that it can run as a scheduled CI job; anything
that cannot be worked out (no git history, an unparseable period, an
unknown calendar year) counts as needing action.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from dateutil.relativedelta import relativedelta

from ..build import report
from .queue import (Deadline, QueueRow, Text, commit_day, deadline_json, deadline_text, entered_review,
                   formed_on, front_matter, review_data)
from ..core.findings import Finding, Severity
from ..review.gate import PageResult, SiteReview
from ..history.gitaudit import History
from ..core.record import canonical_value

# 保守国家秘密法: the longest periods when a classified item names none.
DEFAULT_MAXIMUM_YEARS = {"绝密": 30, "机密": 20, "秘密": 10}
DEFAULT_WITHHELD_DAYS = 180

_SPAN = re.compile(r"(\d+)(年|个月|月)")
_UNTIL = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日(?:解密)?")
_ISO = re.compile(r"(\d{4}-\d{2}-\d{2})(?:解密)?")


class PeriodUnparseable(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    """A secrecy period (保密期限) as written, e.g. ``1年``, ``6个月``, ``长期``, ``2027年12月31日解密``."""

    text: str
    span: relativedelta | None = None
    until: _dt.date | None = None
    default: bool = False  # not written: the statutory maximum of the level

    @property
    def long_term(self) -> bool:
        return self.span is None and self.until is None

    def ends(self, start: _dt.date) -> _dt.date | None:
        """The day the period is over (None: 长期, reviewed but never ending by itself)."""
        return self.until or (start + self.span if self.span is not None else None)


def parse_period(text: str) -> Period:
    """``secrecy_period`` in the GB/T 9704 forms; raises PeriodUnparseable for anything else."""
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    if t == "长期":
        return Period(text)
    if m := _SPAN.fullmatch(t):
        n = int(m.group(1))
        return Period(text, relativedelta(years=n) if m.group(2) == "年" else relativedelta(months=n))
    try:
        if m := _UNTIL.fullmatch(t):
            return Period(text, until=_dt.date(*map(int, m.groups())))
        if m := _ISO.fullmatch(t):
            return Period(text, until=_dt.date.fromisoformat(m.group(1)))
    except ValueError:
        pass
    raise PeriodUnparseable(text)


def level_period(classification: str, written: object) -> Period | None:
    """The period written, or the level's statutory maximum; None for 工作秘密 without one."""
    if written is not None:
        return parse_period(str(written))
    years = DEFAULT_MAXIMUM_YEARS.get(classification)
    return Period(f"{years}年", relativedelta(years=years), default=True) if years else None


@dataclass
class ClassifiedPage:
    page: str
    classification: str
    period: Period | None = None
    start: _dt.date | None = None
    start_from: str = ""
    ends: _dt.date | None = None
    expired: bool = False
    declassification: dict | None = None
    error: Text | None = None

    @property
    def needs_action(self) -> bool:
        """第十四条: an ended period calls for declassification review; errors are shown."""
        return self.error is not None or (self.expired and not self.declassification)


@dataclass
class WithheldPage:
    page: str
    since: _dt.date
    days: int
    reason: Finding | None


@dataclass
class RosterChange:
    sha: str
    author: str
    email: str
    day: _dt.date


@dataclass
class Sweep:
    today: _dt.date
    since: _dt.date
    withheld_days: int
    classified: list[ClassifiedPage] = field(default_factory=list)
    withheld: list[WithheldPage] = field(default_factory=list)
    deadlines: list[tuple[str, Deadline]] = field(default_factory=list)  # (page, deadline)
    roster_changes: list[RosterChange] = field(default_factory=list)
    roster_uncommitted: bool = False
    errors: list[Finding] = field(default_factory=list)

    @property
    def actions(self) -> int:
        """How many items need someone's attention."""
        return (sum(c.needs_action for c in self.classified) + len(self.withheld)
                + sum(d.overdue or d.error is not None for _, d in self.deadlines)
                + len(self.roster_changes) + self.roster_uncommitted + len(self.errors))

    @property
    def needs_action(self) -> bool:
        return self.actions > 0


def classified_page(page: PageResult, history: History | None, repo_path: str | None,
                    today: _dt.date) -> ClassifiedPage | None:
    """第十四条: a page classified above 非密, its period, its end, its declassification."""
    meta = front_matter(page)
    data = review_data(page, meta)
    level = data.get("classification")
    if not isinstance(level, str) or level in ("非密", "none"):
        return None
    item = ClassifiedPage(page.path, canonical_value("classification", level),
                          declassification=data.get("declassification") or None)
    try:
        item.period = level_period(item.classification, data.get("secrecy_period"))
    except PeriodUnparseable:
        item.error = Text(f"review.secrecy_period“{data.get('secrecy_period')}”无法识别：写作 1年、6个月、长期、"
                          "2027年12月31日解密 或 2027-12-31",
                          f"review.secrecy_period {data.get('secrecy_period')!r} is not understood: write "
                          "1年, 6个月, 长期, 2027年12月31日解密 or 2027-12-31")
        return item
    item.start, item.start_from, item.error = formed_on(meta, history, repo_path)
    if item.period is None or item.period.long_term or item.error is not None:
        return item
    if item.start is None and item.period.until is None:
        item.error = Text("无法确定保密期限的起算日：请填写 document.written（成文日期）或先提交页面",
                          "the secrecy period has no start: fill in document.written or commit the page")
        return item
    item.ends = item.period.ends(item.start)
    item.expired = today >= item.ends
    return item


def withheld_page(page: PageResult, history: History | None, repo_path: str | None,
                  today: _dt.date, days: int, adopted: _dt.date | None = None) -> WithheldPage | None:
    """A page withheld more than ``days`` since it entered review (``entered_review``: its
    first committed record, or the site's ``adopted`` date; 依申请公开 pages excepted:
    they are available on request, not kept from the public)."""
    if page.published or {f.code for f in page.verdict.findings if f.withholds} == {"decision.on-request"}:
        return None
    if history is None or repo_path is None or history.created(repo_path) is None:
        return None  # not committed: nothing has been kept back yet
    since, _ = entered_review(history, repo_path, adopted)
    if since is None or (today - since).days <= days:
        return None
    return WithheldPage(page.path, since, (today - since).days, page.verdict.first_reason)


def roster_history(history: History, roster: Path, since: _dt.date) -> tuple[list[RosterChange], bool]:
    """Commits that changed the roster on or after ``since``, and whether it has uncommitted changes."""
    rp = history.repo_path(roster)
    if rp is None:
        return [], True
    changes = []
    for c in history.touching(rp):
        day = commit_day(c)
        if day >= since:
            changes.append(RosterChange(c.sha, c.name, c.email, day))
    try:
        working = roster.read_bytes()
    except OSError:
        return changes, True
    return changes, history.differs(rp, working)


def wanted(d: Deadline) -> bool:
    """第十二条 questions still open or answered late; any deadline overdue or not computable."""
    return d.overdue or d.error is not None or (d.kind == "escalation" and d.answered is None)


def sweep(review: SiteReview, rows: list[QueueRow], roster: Path, docs_dir: Path, today: _dt.date,
          since: _dt.date, withheld_days: int = DEFAULT_WITHHELD_DAYS,
          adopted: _dt.date | None = None) -> Sweep:
    """The periodic review of a site: ``rows`` is the desk's queue of the same review
    (``adopted``: the site's adoption date, as for the queue)."""
    out = Sweep(today, since, withheld_days,
                errors=[f for f in review.site_findings if f.severity is not Severity.NOTICE])
    history = review.history
    to_repo = history.page_paths(docs_dir) if history is not None else (lambda rel: None)
    try:
        for path in sorted(review.pages):
            page = review.pages[path]
            rp = page.repo_path or to_repo(path)
            if (c := classified_page(page, history, rp, today)) is not None:
                out.classified.append(c)
            if (w := withheld_page(page, history, rp, today, withheld_days, adopted)) is not None:
                out.withheld.append(w)
        out.deadlines = [(r.page, d) for r in rows for d in r.deadlines if wanted(d)]
        if history is not None:
            out.roster_changes, out.roster_uncommitted = roster_history(history, roster, since)
    finally:
        if history is not None:
            history.close()  # a version read for a page's adoption opened the reader again
    return out


# -- output -----------------------------------------------------------------------

def _period_text(c: ClassifiedPage, lang: str) -> str:
    en = lang == "en"
    if c.period is None:
        return "no statutory period (工作秘密)" if en else "工作秘密，无法定保密期限"
    what = (f"default maximum {c.period.text}" if en else f"默认最长期限 {c.period.text}") if c.period.default \
        else c.period.text
    if c.period.long_term:
        return what
    start = f" from {c.start_from} {c.start}" if en else f"，自{c.start_from} {c.start} 起"
    start = start if c.start and c.period.until is None else ""
    if en:
        return f"{what}{start}, ends {c.ends}" + (" — ENDED" if c.expired else "")
    return f"{what}{start}，至 {c.ends}" + ("，已届满" if c.expired else "")


def _classified_line(c: ClassifiedPage, lang: str) -> str:
    en = lang == "en"
    mark = "!" if c.needs_action else " "
    if c.error is not None:
        return f"{mark} {c.page}  {c.classification}  ✗ {c.error.get(lang)}"
    line = f"{mark} {c.page}  {c.classification}  {_period_text(c, lang)}"
    if c.declassification:
        d = c.declassification
        return line + (f"; declassified {d.get('date')} by {d.get('authority')} ({d.get('document')})" if en
                       else f"；已解密：{d.get('date')} {d.get('authority')}（{d.get('document')}）")
    if c.expired:
        return line + ("; no declassification record: carry out declassification (第十四条) and record "
                       "review.declassification" if en
                       else "；无解密记录：依法履行解密程序（第十四条），并在 review.declassification 中记录")
    return line + ("; no declassification record" if en else "；无解密记录")


def render_sweep(s: Sweep, lang: str = "zh") -> list[str]:
    """The periodic review as text: four sections, then what needs action."""
    en = lang == "en"
    lines = [f"第十四条 periodic review, {s.today}" if en else f"第十四条 定期审查（{s.today}）"]
    lines += [f"! {f.render(lang)}" for f in s.errors]
    lines.append(f"1. Classified pages ({len(s.classified)})" if en else f"一、已定密页面（{len(s.classified)}）")
    lines += [_classified_line(c, lang) for c in s.classified]
    lines.append(f"2. Withheld for more than {s.withheld_days} days since entering review ({len(s.withheld)})"
                 if en else f"二、自纳入审查起超过 {s.withheld_days} 天仍未发布的页面（{len(s.withheld)}）")
    lines += [(f"! {w.page}  since {w.since}, {w.days} days: " if en else f"! {w.page}  自 {w.since} 起 {w.days} 天：")
              + report.reason(w.reason, lang) for w in s.withheld]
    lines.append(f"3. Deadlines: 第十二条 escalations open or late, 条例第二十六条 overdue ({len(s.deadlines)})"
                 if en else f"三、期限：未答复或逾期的第十二条请示事项，逾期的条例第二十六条公开（{len(s.deadlines)}）")
    for page, d in s.deadlines:
        mark = "!" if d.overdue or d.error else " "
        text = d.error.get(lang) if d.error else deadline_text(d, lang)
        lines.append(f"{mark} {page}  {text}")
    lines.append(f"4. Roster changes since {s.since} ({len(s.roster_changes)}): confirm each was authorised"
                 if en else f"四、自 {s.since} 起的名册变更（{len(s.roster_changes)}）：逐项确认经过批准")
    lines += [f"! {c.sha[:10]} {c.day} {c.author} <{c.email}>" for c in s.roster_changes]
    if s.roster_uncommitted:
        lines.append("! the roster has uncommitted changes" if en else "! 名册有未提交的修改")
    if en:
        lines.append(f"{s.actions} item(s) need action" if s.needs_action else "nothing needs action")
    else:
        lines.append(f"需要处理 {s.actions} 项" if s.needs_action else "无需处理")
    return lines


def sweep_json(s: Sweep, lang: str = "zh") -> dict:
    iso = lambda day: day.isoformat() if day else None  # noqa: E731
    return {
        "today": iso(s.today), "since": iso(s.since), "withheld_days": s.withheld_days,
        "needs_action": s.needs_action, "actions": s.actions,
        "errors": [f.as_dict() for f in s.errors],
        "classified": [{
            "page": c.page, "classification": c.classification,
            "secrecy_period": c.period.text if c.period else None,
            "default_period": bool(c.period and c.period.default),
            "long_term": bool(c.period and c.period.long_term),
            "start": iso(c.start), "start_from": c.start_from, "ends": iso(c.ends), "expired": c.expired,
            "declassification": c.declassification, "needs_action": c.needs_action,
            "error": c.error.get(lang) if c.error else None} for c in s.classified],
        "withheld": [{"page": w.page, "since": iso(w.since), "days": w.days,
                      "reason": report.reason(w.reason, lang)} for w in s.withheld],
        "deadlines": [{"page": page, **deadline_json(d, lang)} for page, d in s.deadlines],
        "roster_changes": [{"sha": c.sha, "author": c.author, "email": c.email, "date": iso(c.day)}
                           for c in s.roster_changes],
        "roster_uncommitted": s.roster_uncommitted,
    }
