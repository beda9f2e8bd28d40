"""The review desk (``secrecy-gate status``) and the 第十四条 periodic review (``sweep``).

Deadlines are counted with the real chinesecalendar data and reviews/calendar.yml;
the queue and the sweep run through the real CLI in real git repositories where
each reviewer signs under their own identity.  Commit dates are pinned with
GIT_AUTHOR_DATE so that first-commit deadlines do not depend on the day the
tests run; ``--today`` fixes the reporting date.
"""

from __future__ import annotations

import datetime as _dt
import json
import textwrap

import pytest
from click.testing import CliRunner
from conftest import DOUBLE_ROSTER, Site, isolated_git, page

from secrecy_gate.cli import main
from secrecy_gate.desk.queue import DISCLOSURE_WORKDAYS, escalation_deadlines
from secrecy_gate.review.rules import ESCALATION_WORKDAYS
from secrecy_gate.desk.sweep import PeriodUnparseable, parse_period
from secrecy_gate.core.workdays import Calendar, load_calendar

D = _dt.date
TODAY = "2026-10-20"  # a Tuesday, after National Day 2026


def run(site: Site, who: str, *args: str):
    return CliRunner().invoke(main, [*args, "-f", str(site.root / "mkdocs.yml")],
                              env=site.env(who), catch_exceptions=False)


def at(mp: pytest.MonkeyPatch, when: str):
    """Commits made from now on carry this date (China Standard Time)."""
    stamp = f"{when}T10:00:00+08:00"
    mp.setenv("GIT_AUTHOR_DATE", stamp)
    mp.setenv("GIT_COMMITTER_DATE", stamp)


def written(day: str) -> str:
    return f"document: {{written: {day}}}\n"


def dated_page(body: str, day: str | None = None, **kw) -> str:
    """``page`` with a 成文日期 (document.written) before ``review:``."""
    text = page(body, **kw)
    return text.replace("---\n", "---\n" + written(day), 1) if day else text


# -- working-day arithmetic with the real calendar ----------------------------------

CALENDAR_2027 = """\
years:
  2027:
    holidays: [2027-01-01]
    workdays: []
"""


@pytest.mark.parametrize("start, workdays, due, why", [
    (D(2026, 9, 28), ESCALATION_WORKDAYS, D(2026, 10, 10),
     "National Day 2026: 10-01..07 off, Saturday 10-10 an adjusted working day"),
    (D(2025, 1, 24), ESCALATION_WORKDAYS, D(2025, 2, 7),
     "Spring Festival 2025: Sunday 01-26 worked, 01-28..02-04 off"),
    (D(2024, 4, 26), ESCALATION_WORKDAYS, D(2024, 5, 7),
     "May Day 2024: Sunday 04-28 worked, 05-01..05 off"),
    (D(2026, 9, 21), DISCLOSURE_WORKDAYS, D(2026, 10, 26),
     "条例第二十六条 20 working days over Mid-Autumn and National Day 2026"),
])
def test_working_day_deadlines_follow_the_official_calendar(start, workdays, due, why):
    assert Calendar().add_workdays(start, workdays) == due, why


def test_the_adjusted_saturday_is_the_escalation_due_date():
    (d,) = escalation_deadlines({"escalations": [
        {"to": "市国家保密局", "date": "2026-09-28", "question": "是否涉密"}]}, Calendar(), D(2026, 10, 12))
    assert D(2026, 10, 10).weekday() == 5 and d.due == D(2026, 10, 10)
    assert d.past_due and d.overdue and d.days_left == -1  # Monday 10-12: one working day late


def test_late_answer_without_reason_is_overdue_and_with_reason_is_not():
    late = {"to": "市国家保密局", "date": "2026-09-28", "question": "是否涉密",
            "answer": {"date": "2026-10-12", "by": "市国家保密局", "conclusion": "不涉密"}}
    with_reason = dict(late, delay_reason="节后集中审定")
    on_time = dict(late, answer=dict(late["answer"], date="2026-10-10"))
    got = escalation_deadlines({"escalations": [late, with_reason, on_time]}, Calendar(), D(2026, 11, 2))
    assert [(d.late_no_reason, d.overdue) for d in got] == [(True, True), (False, False), (False, False)]


def test_calendar_yml_overrides_2027(tmp_path):
    path = tmp_path / "calendar.yml"
    path.write_text(CALENDAR_2027, encoding="utf-8")
    cal = load_calendar(path)
    assert cal.add_workdays(D(2026, 12, 28), ESCALATION_WORKDAYS) == D(2027, 1, 5)  # 01-01 off
    (d,) = escalation_deadlines({"escalations": [
        {"to": "市国家保密局", "date": "2026-12-28", "question": "是否涉密"}]}, Calendar(), D(2026, 12, 28))
    assert d.due is None and "2027" in d.error.zh and "reviews/calendar.yml" in d.error.zh
    assert "2027" in d.error.en and "reviews/calendar.yml" in d.error.en


def test_2027_without_override_is_an_error_on_the_row_not_a_crash(make_site, monkeypatch):
    site = make_site()
    at(monkeypatch, "2026-12-01")  # entered review (committed with its record) when written
    site.write("early.md", dated_page("# 年初\n", "2026-12-01"))
    at(monkeypatch, "2026-12-20")
    site.write("late-year.md", dated_page("# 年底\n", "2026-12-20"))
    result = run(site, "editor", "status", "--format", "json", "--today", "2026-12-21")
    assert result.exit_code == 0, result.output
    rows = {r["page"]: r for r in json.loads(result.output)}
    (d,) = rows["late-year.md"]["deadlines"]
    assert d["due"] is None and "2027" in d["error"] and "reviews/calendar.yml" in d["error"]
    assert rows["late-year.md"]["errors"] == [d["error"]]
    assert rows["early.md"]["deadlines"][0]["due"] == "2026-12-29" and not rows["early.md"]["errors"]
    # Once the State Council notice is copied into reviews/calendar.yml, the deadline is counted.
    (site.root / "reviews" / "calendar.yml").write_text(CALENDAR_2027, encoding="utf-8")
    site.commit_all("2027 年放假安排")
    rows = {r["page"]: r for r in json.loads(
        run(site, "editor", "status", "--format", "json", "--today", "2026-12-21").output)}
    (d,) = rows["late-year.md"]["deadlines"]
    assert d["due"] == "2027-01-18" and d["error"] is None and d["days_left"] == 19


def test_an_invalid_calendar_computes_no_deadline_and_says_why(make_site, monkeypatch):
    """A broken reviews/calendar.yml is never replaced by a guess: every deadline is an error."""
    site = make_site()
    at(monkeypatch, "2026-10-09")
    site.write("notice.md", dated_page("# 通知\n", "2026-10-09"))
    (site.root / "reviews" / "calendar.yml").write_text("years: {2027: {holidays: [not-a-date]}}\n",
                                                       encoding="utf-8")
    site.commit_all("坏日历")
    rows = {r["page"]: r for r in json.loads(
        run(site, "editor", "status", "--format", "json", "--today", TODAY).output)}
    (d,) = rows["notice.md"]["deadlines"]
    assert d["due"] is None and "calendar.yml" in d["error"] and "无效" in d["error"]


# -- the queue on one scenario repository ----------------------------------------

ESCALATION = """\
escalations:
  - {to: 市国家保密局, date: 2026-09-28, question: 所附统计数据是否属于国家秘密}
"""


@pytest.fixture(scope="module")
def desk_site(tmp_path_factory):
    """One repository with a page in every state of the procedure.

    The ready page: all four signatures are valid but the leader signed with
    ``--no-commit``.  An uncommitted *edit* would void every signature
    (第十条, digest) and put the page back at step 1; an uncommitted signature
    changes nothing that was approved, so the page publishes once its signer
    commits it.
    """
    root = tmp_path_factory.mktemp("desk")
    with isolated_git(root / "home"), pytest.MonkeyPatch.context() as mp:
        at(mp, "2026-09-01")  # step2.md entered review (its record committed) when written
        site = Site(root / "repo")
        site.write("step2.md", dated_page("# 二\n", "2026-09-01"))
        at(mp, "2026-10-16")
        site.write("draft.md", "---\ntitle: 草稿\nreview:\n  classification: 非密\n---\n# 草稿\n")
        site.sign("step2.md", "originator")
        site.write("step3.md", dated_page("# 三\n", "2026-10-15"))
        site.sign("step3.md", "originator")
        site.sign("step3.md", "originator_head")
        site.write("consent.md", dated_page("# 会签\n", "2026-10-15", co="[city-finance]"))
        site.sign_all("consent.md")
        site.write("escalation.md", dated_page("# 请示\n", "2026-10-15", review_extra=ESCALATION))
        site.sign("escalation.md", "originator")
        site.sign("escalation.md", "originator_head")
        site.write("published.md", dated_page("# 已发布\n", "2026-09-01"))
        site.sign_all("published.md")
        site.write("withheld.md", dated_page("# 不予公开\n", "2026-09-01", disclosure="不予公开"))
        site.sign_all("withheld.md")
        # Last: any later commit_all would commit the leader's entry as the editor (a forgery).
        site.write("ready.md", dated_page("# 待提交\n", "2026-10-15"))
        for step in ("originator", "originator_head", "secrecy_office"):
            site.sign("ready.md", step)
        site.sign("ready.md", "leader", commit=False)
        yield site


def queue(site: Site, who: str = "editor", *extra: str) -> dict[str, dict]:
    result = run(site, who, "status", "--format", "json", "--today", TODAY, *extra)
    assert result.exit_code == 0, result.output
    return {r["page"]: r for r in json.loads(result.output)}


def test_each_page_has_its_state_next_step_and_who(desk_site):
    rows = queue(desk_site)
    got = {p: (r["state"], r["step"], r["next"], r["who"]) for p, r in rows.items()}
    assert got == {
        "draft.md": ("draft", None, "complete", []),
        "step2.md": ("in_review", 2, "originator_head", ["李科长"]),
        "step3.md": ("in_review", 3, "secrecy_office", ["赵保密"]),
        "consent.md": ("awaiting_consent", None, "consent", ["周财政"]),
        "escalation.md": ("awaiting_escalation", None, "answer", []),
        "ready.md": ("ready", None, "commit", ["陈领导"]),
        "published.md": ("published", None, "", []),
        "withheld.md": ("withheld", None, "", []),
    }
    assert rows["step3.md"]["people"] == [
        {"name": "赵保密", "emails": ["secrecy@city.gov.cn"], "agency": "city-secrecy"}]
    assert rows["consent.md"]["actions"][0]["target"] == "city-finance"
    assert rows["escalation.md"]["actions"][0]["target"] == "市国家保密局"
    assert rows["draft.md"]["reason_code"].startswith("record.")
    assert rows["withheld.md"]["reason_code"] == "decision.withheld"
    assert rows["ready.md"]["reason_code"] == "" and rows["ready.md"]["outcome"] == "withhold"


def test_deadlines_of_the_queue(desk_site):
    rows = queue(desk_site)
    (esc_disclosure, esc) = rows["escalation.md"]["deadlines"]
    assert (esc["article"], esc["due"], esc["days_left"], esc["overdue"]) == ("第十二条", "2026-10-10", -7, True)
    # Written 10-15, its record committed 10-16: counted from the later day, when it entered review.
    assert (esc_disclosure["start"], esc_disclosure["start_from"]) == ("2026-10-16", "review record")
    assert esc_disclosure["due"] == "2026-11-13" and esc_disclosure["days_left"] == 18
    (step2,) = rows["step2.md"]["deadlines"]
    assert (step2["article"], step2["start_from"], step2["due"], step2["overdue"]) == (
        "条例第二十六条", "document.written", "2026-09-29", True)
    # No document.written: counted from the first commit with a review record.
    (draft,) = rows["draft.md"]["deadlines"]
    assert (draft["start_from"], draft["start"], draft["overdue"]) == ("review record", "2026-10-16", False)
    assert rows["published.md"]["deadlines"] == [] and rows["withheld.md"]["deadlines"] == []


def test_overdue_lists_exactly_the_late_pages_first_and_marked(desk_site):
    assert set(queue(desk_site, "editor", "--overdue")) == {"step2.md", "escalation.md"}
    text = run(desk_site, "editor", "status", "--today", TODAY).output.splitlines()
    body = text[1:-1]
    assert [line[:1] for line in body[:2]] == ["!", "!"] and {"escalation.md", "step2.md"} == {
        line.split()[1] for line in body[:2]}
    assert not any(line.startswith("!") for line in body[2:])
    assert text[-1] == "共 8 页：草稿 1，审查中 2，待协办机关同意 1，待上级答复 1，待提交 1，已发布 1，不发布 1；逾期 2 页"


def test_mine_as_the_secrecy_reviewer_lists_the_pages_at_step_3(desk_site):
    assert set(queue(desk_site, "secrecy_office", "--mine")) == {"step3.md"}
    assert set(queue(desk_site, "consent", "--mine")) == {"consent.md"}
    assert set(queue(desk_site, "leader", "--mine")) == {"ready.md"}


def test_mine_outside_the_roster_says_so_and_exits_2(desk_site):
    zh = run(desk_site, "editor", "status", "--mine", "--today", TODAY)
    assert zh.exit_code == 2 and "editor@city.gov.cn" in zh.output and "不在名册" in zh.output
    en = run(desk_site, "editor", "status", "--mine", "--lang", "en", "--today", TODAY)
    assert en.exit_code == 2 and "is not in the roster" in en.output


def test_status_in_english(desk_site):
    result = run(desk_site, "editor", "status", "--lang", "en", "--today", TODAY)
    assert result.exit_code == 0
    out = result.output
    assert "in review: step 3/4" in out and "sign secrecy_office: 赵保密" in out
    assert "第十二条 市国家保密局 answer 2026-10-10 overdue by 7 working day(s)" in out
    assert "awaiting consent" in out and "审查中" not in out and "逾期" not in out
    assert out.splitlines()[-1] == ("8 page(s): draft 1, in review 2, awaiting consent 1, awaiting answer 1, "
                                    "ready once committed 1, published 1, withheld 1; 2 overdue")


# -- sweep (第十四条) ------------------------------------------------------------------

def test_sweep_lists_what_needs_action_and_exits_1(make_site, monkeypatch):
    at(monkeypatch, "2026-01-05")
    site = make_site()
    site.write("old.md", page("# 一直未审完\n"))
    at(monkeypatch, "2026-10-01")
    (site.root / "reviews" / "roster.yml").write_text(
        (site.root / "reviews" / "roster.yml").read_text(encoding="utf-8") + DOUBLE_ROSTER, encoding="utf-8")
    site.commit_all("名册：增加孙双岗")
    at(monkeypatch, "2026-10-16")
    site.write("secret.md", dated_page("# 密\n", "2025-06-01", classification="秘密", disclosure="不予公开",
                                      review_extra="secrecy_period: 1年\n"))
    site.write("default.md", dated_page("# 机密\n", "2020-01-01", classification="机密",
                                       disclosure="不予公开"))
    site.write("unclear.md", page("# 不明\n", classification="秘密", disclosure="不予公开",
                                  review_extra="secrecy_period: 不久\n"))
    site.write("asked.md", dated_page("# 请示\n", "2026-10-15", review_extra=ESCALATION))
    result = run(site, "editor", "sweep", "--format", "json", "--today", TODAY, "--since", "2026-09-01")
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    classified = {c["page"]: c for c in data["classified"]}
    assert set(classified) == {"secret.md", "default.md", "unclear.md"}
    secret = classified["secret.md"]
    assert (secret["secrecy_period"], secret["start"], secret["ends"], secret["expired"],
            secret["needs_action"]) == ("1年", "2025-06-01", "2026-06-01", True, True)
    default = classified["default.md"]
    assert (default["secrecy_period"], default["default_period"], default["ends"], default["needs_action"]) == (
        "20年", True, "2040-01-01", False)
    assert "不久" in classified["unclear.md"]["error"] and classified["unclear.md"]["needs_action"]
    assert [(w["page"], w["since"], w["days"]) for w in data["withheld"]] == [("old.md", "2026-01-05", 288)]
    overdue = [(d["page"], d["article"], d["due"]) for d in data["deadlines"] if d["overdue"]]
    assert ("asked.md", "第十二条", "2026-10-10") in overdue
    assert [(c["author"], c["date"]) for c in data["roster_changes"]] == [("网站编辑", "2026-10-01")]
    # The default --since is one year before --today: the roster's first commit is listed too.
    data = json.loads(run(site, "editor", "sweep", "--format", "json", "--today", TODAY).output)
    assert [c["date"] for c in data["roster_changes"]] == ["2026-01-05", "2026-10-01"]
    text = run(site, "editor", "sweep", "--lang", "en", "--today", TODAY, "--since", "2026-09-01").output
    assert "! secret.md  秘密  1年 from document.written 2025-06-01, ends 2026-06-01 — ENDED" in text
    assert "default maximum 20年" in text and text.rstrip().endswith("item(s) need action")


def test_sweep_exits_0_when_nothing_needs_action(make_site, monkeypatch):
    at(monkeypatch, "2026-10-16")
    site = make_site()
    site.write("ok.md", dated_page("# 已发布\n", "2026-10-15"))
    site.sign_all("ok.md")
    site.write("declassified.md", dated_page("# 已解密\n", "2020-01-01", classification="秘密",
                                            disclosure="不予公开", review_extra=textwrap.dedent("""\
        secrecy_period: 2025年12月31日解密
        declassification: {date: 2026-01-05, authority: 示例市国家保密局, document: 示密解〔2026〕1号}
        """)))
    result = run(site, "editor", "sweep", "--today", TODAY, "--since", "2026-10-17")
    assert result.exit_code == 0, result.output
    assert "已解密" in result.output and result.output.rstrip().endswith("无需处理")
    # --withheld-days 0: the 不予公开 page (first committed four days ago) now counts.
    strict = run(site, "editor", "sweep", "--today", TODAY, "--since", "2026-10-17", "--withheld-days", "0")
    assert strict.exit_code == 1 and "! declassified.md  自 2026-10-16 起 4 天" in strict.output


@pytest.mark.parametrize("text, end", [
    ("1年", D(2026, 3, 1)), ("6个月", D(2025, 9, 1)), (" 10 年", D(2035, 3, 1)),
    ("2027年12月31日解密", D(2027, 12, 31)), ("2027-12-31", D(2027, 12, 31)), ("２０２７年１月５日", D(2027, 1, 5)),
])
def test_secrecy_periods(text, end):
    assert parse_period(text).ends(D(2025, 3, 1)) == end


def test_long_term_and_unparseable_periods():
    assert parse_period("长期").long_term and parse_period("长期").ends(D(2025, 3, 1)) is None
    for bad in ("不久", "1年半", "2027年2月30日解密", ""):
        with pytest.raises(PeriodUnparseable):
            parse_period(bad)



def test_status_of_a_blank_adopted_record_names_the_first_field_and_how_many(make_site):
    """A page fresh from `secrecy-gate adopt` has nine empty fields: status says so, in the
    record's order, instead of sending the editor back once per field; one empty field is
    named as before."""
    site = make_site()
    site.write("old.md", "# 旧页面\n\n正文。\n")
    site.write("one.md", page("# 一个空字段\n\n正文。\n").replace("reason: ", "reason: ''  # ", 1))
    assert run(site, "editor", "adopt", "--agency", "wuwei-gov-office", str(site.docs / "old.md")).exit_code == 0
    site.commit_all("adopt")
    rows = {r["page"]: r for r in json.loads(
        run(site, "editor", "status", "--format", "json", "--today", TODAY).output)}
    assert rows["old.md"]["state"] == "draft"
    assert rows["old.md"]["actions"][0]["label"].startswith("填写 review.classification 等 9 个字段")
    assert rows["one.md"]["actions"][0]["label"] == "填写 review.reason"
    en = run(site, "editor", "status", "--lang", "en", "--today", TODAY).output
    assert "fill in review.classification and 8 more field(s)" in en
