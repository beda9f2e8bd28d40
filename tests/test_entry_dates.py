"""An entry's date is the day it was signed (第十条, 第十八条).

Not after the commit that recorded it, and not before the page existed: a
signature dated before its page was first committed approves nothing.
"""

from __future__ import annotations

import pytest

from conftest import PEOPLE, STEPS, page


def dated(monkeypatch, day: str) -> None:
    stamp = f"{day}T10:00:00+08:00"
    monkeypatch.setenv("GIT_AUTHOR_DATE", stamp)
    monkeypatch.setenv("GIT_COMMITTER_DATE", stamp)


def entry(step: str, day: str) -> dict:
    return {"step": step, "name": PEOPLE[step][0], "date": day, "opinion": "主动公开"}


@pytest.mark.parametrize("signed, code", [
    ("2026-03-01", "signature.date-before-page"),   # before the page's first commit
    ("2026-06-20", "signature.date-after-commit"),  # after the commit that recorded it
])
def test_an_entry_dated_outside_its_history_is_not_valid(site, monkeypatch, signed, code):
    dated(monkeypatch, "2026-06-01")
    site.write("a.md", page("# 页面\n\n日期测试正文。\n"))
    for step in STEPS:
        site.add_entry("a.md", entry(step, signed if step == "leader" else "2026-06-01"), who=step)
    verdict = site.verdict("a.md")
    assert code in {f.code for f in verdict.findings} and not verdict.published


def test_the_signing_tool_dates_an_entry_as_its_commit(site, monkeypatch):
    dated(monkeypatch, "2026-06-01")
    site.write("a.md", page("# 页面\n\n日期测试正文。\n"))
    result = site.sign("a.md", "originator")
    assert str(result.entry["date"]) == "2026-06-01"
    for step in STEPS[1:]:
        site.sign("a.md", step)
    assert site.verdict("a.md").published
