"""A site years older than the gate: deadlines and the audit start at adoption.

Real git repositories whose pages were committed from 2019 on (GIT_AUTHOR_DATE /
GIT_COMMITTER_DATE), long before they got a review record in 2026.  条例第二十六条
counts from when a page entered review — the first commit in which it has a
review record, or the site's ``adopted`` date, whichever is later — so no page is
hundreds of working days overdue for its age; ``sweep`` counts long-withheld pages
the same way; the read-ahead history of a large site gives the same answers.
"""

from __future__ import annotations

import datetime as _dt
import json

import pytest
from click.testing import CliRunner
from conftest import Site, isolated_git, page

from secrecy_gate.cli import main
from secrecy_gate.core.workdays import Calendar
from secrecy_gate.desk.queue import DISCLOSURE_WORKDAYS
from secrecy_gate.review import gate

D = _dt.date
PLAIN = "# 旧页面\n\n第 {n} 版正文。\n\n```python\ndef f():\n    return 1\n```\n"


def at(mp: pytest.MonkeyPatch, day: str):
    stamp = f"{day}T10:00:00+08:00"
    mp.setenv("GIT_AUTHOR_DATE", stamp)
    mp.setenv("GIT_COMMITTER_DATE", stamp)


def run(site: Site, *args: str, who: str = "editor"):
    return CliRunner().invoke(main, [*args, "-f", str(site.root / "mkdocs.yml")],
                              env=site.env(who), catch_exceptions=False)


def status(site: Site, today: str) -> dict[str, dict]:
    result = run(site, "status", "--format", "json", "--today", today)
    assert result.exit_code == 0, result.output
    return {r["page"]: r for r in json.loads(result.output)}


def pre_gate_history(site: Site, mp: pytest.MonkeyPatch) -> None:
    """old.md and never.md edited from 2019 to 2023 with no front matter at all."""
    for n, day in enumerate(("2019-03-04", "2020-06-01", "2021-09-15", "2023-02-20")):
        at(mp, day)
        site.write("old.md", PLAIN.format(n=n))
        site.write("never.md", PLAIN.format(n=n))


def first_commit_year(site: Site, rel: str) -> int:
    out = site.git("log", "--reverse", "--format=%ad", "--date=format:%Y", "--", f"content/{rel}")
    return int(out.split()[0])


@pytest.fixture(scope="module")
def old_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("old")
    with isolated_git(root / "home"), pytest.MonkeyPatch.context() as mp:
        at(mp, "2019-03-01")
        site = Site(root / "repo")
        pre_gate_history(site, mp)
        at(mp, "2026-10-12")  # adoption: old.md gets its review record
        site.write("old.md", page(PLAIN.format(n=9)))
        yield site


def test_status_counts_from_the_first_commit_with_a_record_not_from_2019(old_site):
    assert first_commit_year(old_site, "old.md") == 2019
    rows = status(old_site, "2026-10-20")
    (d,) = rows["old.md"]["deadlines"]
    due = Calendar().add_workdays(D(2026, 10, 12), DISCLOSURE_WORKDAYS)
    assert (d["article"], d["start"], d["start_from"], d["due"]) == (
        "条例第二十六条", "2026-10-12", "review record", due.isoformat())
    assert d["days_left"] == Calendar().workdays_between(D(2026, 10, 20), due) > 0 and not d["overdue"]
    # A page in git that never had a record has not entered review: no deadline at all.
    assert rows["never.md"]["deadlines"] == [] and rows["never.md"]["state"] == "draft"
    assert not any(r["overdue"] for r in rows.values())
    # A month later it is overdue by working days counted from 2026-10-12, not from 2019.
    (late,) = status(old_site, "2026-12-15")["old.md"]["deadlines"]
    assert late["overdue"] and late["days_left"] == -Calendar().workdays_between(due, D(2026, 12, 15))
    assert -30 < late["days_left"] < 0


def test_status_text_shows_no_page_hundreds_of_days_overdue(old_site):
    out = run(old_site, "status", "--today", "2026-10-20").output
    assert "逾期" not in out.replace("逾期 0 页", "") and out.splitlines()[-1].endswith("逾期 0 页")
    assert "剩 " in out and "old.md" in out


def test_sweep_counts_withheld_pages_from_adoption(old_site):
    result = run(old_site, "sweep", "--format", "json", "--today", "2026-10-20")
    data = json.loads(result.output)
    assert data["withheld"] == [] and data["deadlines"] == []
    # With a period shorter than the time since adoption, old.md is listed — since 2026-10-12.
    data = json.loads(run(old_site, "sweep", "--format", "json", "--today", "2026-10-20",
                          "--withheld-days", "5").output)
    assert [(w["page"], w["since"], w["days"]) for w in data["withheld"]] == [("old.md", "2026-10-12", 8)]
    text = run(old_site, "sweep", "--today", "2026-10-20", "--withheld-days", "5").output
    assert "自纳入审查起超过 5 天仍未发布的页面（1）" in text and "! old.md  自 2026-10-12 起 8 天" in text


def test_the_read_ahead_history_of_a_large_site_gives_the_same_deadlines(old_site, monkeypatch):
    """From READ_AHEAD_PAGES pages on, history is read in a second process and only the evidence
    comes back: the first commit and the adoption must come with it."""
    normal = status(old_site, "2026-10-20")
    monkeypatch.setattr(gate, "READ_AHEAD_PAGES", 1)
    ahead = status(old_site, "2026-10-20")
    assert ahead == normal and ahead["old.md"]["deadlines"][0]["start_from"] == "review record"


@pytest.fixture(scope="module")
def adopted_site(tmp_path_factory):
    """The same history, with `adopted: 2026-11-01` in the plugin options."""
    root = tmp_path_factory.mktemp("adopted")
    with isolated_git(root / "home"), pytest.MonkeyPatch.context() as mp:
        at(mp, "2019-03-01")
        site = Site(root / "repo", plugin_options="      adopted: 2026-11-01\n")
        pre_gate_history(site, mp)
        at(mp, "2026-10-12")  # a record written before the adoption date
        site.write("old.md", page(PLAIN.format(n=9)))
        at(mp, "2026-11-10")  # a page created after adoption, without a record yet
        site.write("new.md", "# 新页面\n\n正文。\n")
        yield site


def test_the_adopted_option_is_the_earliest_start(adopted_site):
    rows = status(adopted_site, "2026-11-30")
    starts = {p: (r["deadlines"][0]["start"], r["deadlines"][0]["start_from"])
              for p, r in rows.items() if r["deadlines"]}
    assert starts == {
        "old.md": ("2026-11-01", "adopted"),  # the record (10-12) is older than the adoption
        "never.md": ("2026-11-01", "adopted"),  # every page of the site entered review then
        "new.md": ("2026-11-10", "first commit"),  # committed after the adoption
    }
    (d,) = rows["never.md"]["deadlines"]
    assert d["due"] == Calendar().add_workdays(D(2026, 11, 1), DISCLOSURE_WORKDAYS).isoformat()


def test_an_invalid_adopted_date_is_refused(make_site):
    site = make_site(plugin_options="      adopted: next week\n")
    result = run(site, "status")
    assert result.exit_code != 0 and "adopted" in result.output and "YYYY-MM-DD" in result.output
