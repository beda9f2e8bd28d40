"""`mkdocs serve` rebuilds reuse what has not changed — and never a stale verdict."""

import datetime as _dt

from secrecy_gate.review.gate import Gate, ReviewCache

from conftest import STEPS, page


def review(site, cache):
    return Gate(site.gate_config(), cache).review()


def test_rebuild_reuses_unchanged_pages_and_rejudges_the_edited_one(site, monkeypatch):
    site.write("a.md", page("# 甲\n\n甲页正文。\n"))
    site.write("b.md", page("# 乙\n\n乙页正文。\n"))
    site.sign_all("a.md")
    site.sign_all("b.md")
    cache = ReviewCache()
    first = review(site, cache)
    assert first.pages["a.md"].published and first.pages["b.md"].published
    history = cache.history

    judged = []
    original = Gate._prepare

    def spy(self, path, *a, **k):
        judged.append(path)
        return original(self, path, *a, **k)
    monkeypatch.setattr(Gate, "_prepare", spy)

    second = review(site, cache)
    assert judged == [] and cache.history is history
    assert second.pages["a.md"].published

    # An uncommitted edit: only that page is judged again, and it is withheld.
    (site.docs / "a.md").write_text(page("# 甲\n\n甲页正文，已改。\n"), encoding="utf-8")
    third = review(site, cache)
    assert judged == ["a.md"]
    assert not third.pages["a.md"].published and third.pages["b.md"].published


def test_a_new_commit_or_roster_change_invalidates_the_cache(site):
    site.write("a.md", page("# 甲\n\n甲页正文。\n"))
    for step in STEPS[:3]:
        site.sign("a.md", step)
    cache = ReviewCache()
    assert not review(site, cache).pages["a.md"].published
    old_history = cache.history
    # The leader loses the step in an approved roster change; the page's bytes stay the
    # same, and a leader signature committed after the change must not count.
    roster = site.roster_text().replace("version: 1", "version: 2")
    site.change_roster(roster.replace("steps: [leader, admin]", "steps: [admin]"))
    site.add_entry("a.md", {"step": "leader", "name": "陈领导", "date": str(_dt.date.today()),
                            "opinion": "主动公开"}, who="leader")
    again = review(site, cache)
    assert cache.history is not old_history
    assert not again.pages["a.md"].published
    assert "signature.unauthorised" in {f.code for f in again.pages["a.md"].verdict.findings}


def test_cross_page_findings_do_not_pile_up_in_the_cache(site):
    site.write("a.md", page("# 甲\n\n见[乙](b.md)。\n"))
    site.sign_all("a.md")
    site.write("b.md", "# 乙 草稿\n")
    cache = ReviewCache()
    counts = [len(review(site, cache).pages["a.md"].verdict.findings) for _ in range(3)]
    assert counts[0] == counts[1] == counts[2] == 1
