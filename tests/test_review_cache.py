"""`mkdocs serve` rebuilds reuse what has not changed — and never a stale verdict."""

from secrecy_gate.review.gate import Gate, ReviewCache

from conftest import page


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
    site.sign_all("a.md")
    cache = ReviewCache()
    assert review(site, cache).pages["a.md"].published
    old_history = cache.history
    # The roster drops the leader: the same bytes of a.md must now be withheld.
    roster = (site.root / "reviews" / "roster.yml").read_text(encoding="utf-8")
    (site.root / "reviews" / "roster.yml").write_text(roster.replace("steps: [leader]", "steps: [consent]"),
                                                      encoding="utf-8")
    site.commit_all("roster change")
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
