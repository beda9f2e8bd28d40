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


# -- audit: history from adoption on -------------------------------------------------

def audit(site: Site, *args: str):
    return CliRunner().invoke(main, ["audit", *args, "-f", str(site.root / "mkdocs.yml")],
                              env=site.env("editor"))


def block(text: str, rel: str) -> list[str]:
    """The lines of one page in the text report (from its header to the blank line)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{rel} "))
    end = next((i for i in range(start, len(lines)) if not lines[i]), len(lines))
    return lines[start:end]


def shas(site: Site, rel: str) -> list[str]:
    return site.git("log", "--reverse", "--format=%H", "--", f"content/{rel}").split()


def test_audit_lists_each_page_from_adoption_and_counts_the_rest_in_one_line(old_site):
    result = audit(old_site)
    assert result.exit_code == 0, result.output
    text = result.output
    assert "无法解析" not in text and "does not parse" not in text
    adoption = shas(old_site, "old.md")[-1]
    old = block(text, "old.md")
    assert old[0].startswith("old.md 《测试页面》")
    assert "  …… 此前 4 个提交（页面纳入保密审查之前）未逐一列出；可用 --since 日期或提交 选择起点" in old
    commit_lines = [line for line in old if line.startswith("  ") and line[2:12].isalnum()
                    and line[2:12] in {s[:10] for s in shas(old_site, "old.md")}]
    assert [line[2:12] for line in commit_lines] == [adoption[:10]]
    never = block(text, "never.md")
    assert "  共 4 个提交，没有任何版本含审查记录（页面尚未纳入保密审查），未逐一列出" in never
    assert not any(s[:10] in "\n".join(never) for s in shas(old_site, "never.md"))
    assert "列出范围: 各页面自纳入审查（首次含审查记录的提交）起" in text


def test_audit_since_a_date_or_a_commit(old_site):
    old_shas = shas(old_site, "old.md")  # 2019, 2020, 2021, 2023, 2026
    text = audit(old_site, "--since", "2020-01-01", "--lang", "en").output
    old = "\n".join(block(text, "old.md"))
    assert [s[:10] in old for s in old_shas] == [False, True, True, True, True]
    assert "… 1 earlier commit(s) before 2020-01-01 (not listed)" in old
    assert old.count("this version does not parse") == 3  # the pre-gate versions asked for
    text = audit(old_site, "--since", old_shas[2], "--lang", "en").output
    old = "\n".join(block(text, "old.md"))
    assert [s[:10] in old for s in old_shas] == [False, False, True, True, True]
    assert f"… 2 earlier commit(s) before {old_shas[2]} (not listed)" in old
    data = json.loads(audit(old_site, "--since", "HEAD", "--format", "json").output)
    (page_old,) = [p for p in data["pages"] if p["page"] == "old.md"]
    assert data["since"] == "HEAD" and [c["sha"] for c in page_old["commits"]] == [old_shas[-1]]
    assert page_old["earlier_commits"] == 4 and page_old["entered_review"]["sha"] == old_shas[-1]
    bad = audit(old_site, "--since", "no-such-rev")
    assert bad.exit_code == 2 and "no-such-rev" in bad.output and "YYYY-MM-DD" in bad.output


def test_audit_markdown_and_html_say_what_was_left_out(old_site, tmp_path):
    md = audit(old_site, "--format", "md").output
    assert "*…… 此前 4 个提交（页面纳入保密审查之前）未逐一列出；可用 --since 日期或提交 选择起点*" in md
    assert "无法解析" not in md
    result = audit(old_site, "--html", str(tmp_path / "report"), "--lang", "en")
    html = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert result.exit_code == 0
    assert "4 earlier commit(s) before the page entered review" in html
    assert "none with a review record: the page has not entered review" in html
    assert "does not parse" not in html


def test_titles_from_the_first_heading_appear_in_the_audit(make_site, tmp_path):
    site = make_site()
    untitled = page("# 关于 **2026 年** 预算的说明 {#budget}\n\n正文。\n").replace("title: 测试页面\n", "")
    assert "title:" not in untitled
    site.write("budget.md", untitled)
    site.write("plain.md", "Setext 标题\n===========\n\n正文。\n")
    site.write("body-first.md", page("正文在前。\n\n# 不是标题\n").replace("title: 测试页面\n", ""))
    text = audit(site).output
    assert "budget.md 《关于 2026 年 预算的说明》" in text
    assert "plain.md 《Setext 标题》" in text
    assert "body-first.md  [" in text and "不是标题》" not in text  # MkDocs: the file name
    data = json.loads(audit(site, "--format", "json").output)
    assert {p["page"]: p["title"] for p in data["pages"]} == {
        "body-first.md": "", "budget.md": "关于 2026 年 预算的说明", "plain.md": "Setext 标题"}
    audit(site, "--html", str(tmp_path / "r"))
    html = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    assert "<td>关于 2026 年 预算的说明</td>" in html and "budget.md · 关于 2026 年 预算的说明" in html


def test_the_default_start_never_hides_a_review_entry(make_site, monkeypatch):
    """An entry written before the page had a `review:` key (here under another key) is an
    event of the audit trail: the listing starts at it, not at the later record."""
    at(monkeypatch, "2019-05-05")
    site = make_site()
    site.write("odd.md", PLAIN.format(n=0))
    at(monkeypatch, "2026-10-01")
    site.write("odd.md", '---\nnotes:\n  signatures:\n    - {step: originator, name: 王起草, '
                         'date: 2026-10-01, opinion: 主动公开, digest: "0123abcd"}\n---\n# 旧页面\n')
    entry_at = shas(site, "odd.md")[-1]
    at(monkeypatch, "2026-10-12")
    site.write("odd.md", page(PLAIN.format(n=2)))
    data = json.loads(audit(site, "--format", "json").output)
    (odd,) = data["pages"]
    assert [c["sha"] for c in odd["commits"]] == shas(site, "odd.md")[1:]
    assert odd["earlier_commits"] == 1 and odd["entered_review"]["sha"] == entry_at
    assert odd["commits"][0]["added"] == [0] and odd["trail"][0]["name"] == "王起草"


def test_audit_of_a_large_site_lists_the_same_commits(old_site, monkeypatch):
    """A site of READ_AHEAD_PAGES pages or more has its history read ahead in another process,
    which keeps only the evidence: the audit reads the commits itself."""
    def pages(out: str) -> list:
        return [(p["page"], p["commits"], p["earlier_commits"]) for p in json.loads(out)["pages"]]
    normal = pages(audit(old_site, "--format", "json").output)
    monkeypatch.setattr(gate, "READ_AHEAD_PAGES", 1)
    assert pages(audit(old_site, "--format", "json").output) == normal
    assert [(p, len(c), n) for p, c, n in normal] == [("never.md", 0, 4), ("old.md", 1, 4)]


def test_audit_since_a_date_still_lists_a_backdated_commit_after_it(tmp_path):
    """--since DATE starts at the first commit of that day or later in the order of history:
    a later commit whose date was written earlier (GIT_AUTHOR_DATE, GIT_COMMITTER_DATE) is
    listed all the same, so its author cannot hide it (red team, third round)."""
    with isolated_git(tmp_path / "home"), pytest.MonkeyPatch.context() as mp:
        at(mp, "2026-10-01")
        site = Site(tmp_path / "repo")
        site.write("a.md", page("# 甲\n\n第一版正文。\n"))
        at(mp, "2026-11-05")
        site.write("a.md", page("# 甲\n\n第二版正文。\n"))
        at(mp, "2020-01-01")
        site.write("a.md", page("# 甲\n\n回溯日期的第三版正文。\n"))
        order = site.git("rev-list", "--topo-order", "--reverse", "HEAD", "--", "content/a.md").split()
        text = "\n".join(block(audit(site, "--since", "2026-11-01", "--lang", "en").output, "a.md"))
    assert [s[:10] in text for s in order] == [False, True, True]


def test_audit_times_are_china_standard_time_on_any_machine(tmp_path, monkeypatch):
    import time
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        with isolated_git(tmp_path / "home"), pytest.MonkeyPatch.context() as mp:
            at(mp, "2026-11-05")  # 10:00 +08:00, 02:00 UTC
            site = Site(tmp_path / "repo")
            site.write("a.md", page("# 甲\n\n正文。\n"))
            data = json.loads(audit(site, "--format", "json").output)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    (a,) = [p for p in data["pages"] if p["page"] == "a.md"]
    assert [c["time"] for c in a["commits"]] == ["2026-11-05T10:00:00+08:00"]
