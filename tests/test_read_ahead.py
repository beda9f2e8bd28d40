"""Git history read in a second process (large sites) judges exactly as the in-process read."""

import re

import pytest

import secrecy_gate.review.gate as gate_module
from conftest import Site, page


@pytest.fixture
def read_ahead(monkeypatch):
    """Every review reads git history in a HistoryReader process; returns how often it started."""
    monkeypatch.setattr(gate_module, "READ_AHEAD_PAGES", 1)
    started = []
    original = gate_module.gitaudit.HistoryReader.__init__

    def init(self, *a, **k):
        started.append(1)
        original(self, *a, **k)
    monkeypatch.setattr(gate_module.gitaudit.HistoryReader, "__init__", init)
    return started


def codes(site, rel):
    return {f.code for f in site.verdict(rel).findings}


def test_signed_page_publishes_and_forged_entry_withholds(site, read_ahead):
    site.write("ok.md", page("# 正常\n\n正常签署的正文。\n"))
    site.sign_all("ok.md")
    site.write("forged.md", page("# 伪造\n\n伪造签署的正文。\n"))
    for step in ("originator", "originator_head", "secrecy_office"):
        site.sign("forged.md", step)
    site.add_entry("forged.md", {"step": "leader", "name": "陈领导", "date": "2026-11-01",
                                 "opinion": "主动公开"}, who="editor")
    review = site.review()
    assert read_ahead, "the read-ahead process was not used"
    assert review.pages["ok.md"].published
    assert "git.forged" in {f.code for f in review.pages["forged.md"].verdict.findings}
    site.build()
    site.assert_absent("伪造签署的正文")


def test_block_style_entries_fall_back_to_the_full_parse(site, read_ahead):
    """Entries the fast reader is unsure of are read by the full parse, in either process.

    Re-laying out the YAML of the signatures changes no entry: they stay the
    signers' own, proven by the commits that first wrote them.
    """
    site.write("p.md", page("# 甲\n\n正文。\n"))
    site.sign_all("p.md")
    p = site.docs / "p.md"
    text = p.read_text(encoding="utf-8")
    # Rewrite only the layout of the signatures (same values): block style, not flow.
    def block(m):
        inner = m.group(2)
        parts = [kv.split(": ", 1) for kv in inner.split(", ")]
        lines = [f"{m.group(1)}- {parts[0][0]}: {parts[0][1]}"]
        lines += [f"{m.group(1)}  {k}: {v}" for k, v in parts[1:]]
        return "\n".join(lines)
    p.write_text(re.sub(r"^( *)- \{(.*)\}$", block, text, flags=re.M), encoding="utf-8")
    site.commit_all("reformat", who="editor")
    assert "- step: originator" in p.read_text(encoding="utf-8")
    assert codes(site, "p.md") == set()
    # …while a changed value in the same layout is an entry the editor introduced.
    p.write_text(p.read_text(encoding="utf-8").replace("opinion: 主动公开", "opinion: proactive", 1),
                 encoding="utf-8")
    site.commit_all("edit an entry", who="editor")
    assert "git.forged" in codes(site, "p.md")
    assert read_ahead


def test_shallow_clone_is_refused_with_the_reader(site, read_ahead, tmp_path):
    site.write("p.md", page("# 甲\n\n浅克隆中的正文。\n"))
    site.sign_all("p.md")
    shallow = Site.clone(site, tmp_path / "shallow", "--depth", "1")
    assert "git.shallow" in {f.code for f in shallow.verdict("p.md").findings}
    assert read_ahead


def test_missing_git_withholds_with_the_reader(site, read_ahead, monkeypatch, tmp_path):
    site.write("p.md", page("# 甲\n\n正文。\n"))
    site.sign_all("p.md")
    empty = tmp_path / "no-git"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    v = site.verdict("p.md")
    assert not v.published and "git.unavailable" in {f.code for f in v.findings}


def test_build_starts_reading_history_at_on_config_and_reuses_it(site, read_ahead, monkeypatch):
    """One review and one reader per build, in on_config (before MkDocs lists the files:
    the build reads the approved-only view that the review writes)."""
    used = []
    original = gate_module.Gate.review

    def review(self, paths=None, reader=None, whole_site=None, **kw):
        used.append(reader is not None)
        return original(self, paths, reader, whole_site, **kw)
    monkeypatch.setattr(gate_module.Gate, "review", review)
    site.write("ok.md", page("# 早读\n\n早读历史的正文。\n"))
    site.sign_all("ok.md")
    site.write("draft.md", page("# 草稿\n\n未签署草稿的正文。\n"))
    used.clear(), read_ahead.clear()  # signing judged the page too
    site.build()
    assert len(used) == 1 and len(read_ahead) == 1
    assert "早读历史的正文" in site.output_text()
    site.assert_absent("未签署草稿的正文")


def test_an_early_reader_for_other_pages_is_replaced(site, read_ahead):
    """A reader asked for fewer pages than the review judges is stopped, never trusted."""
    site.write("a.md", page("# 甲\n\n甲的正文。\n"))
    site.sign_all("a.md")
    site.write("b.md", page("# 乙\n\n乙的正文。\n"))
    site.sign_all("b.md")
    gate = gate_module.Gate(site.gate_config())
    read_ahead.clear()  # signing judged the pages too
    early = gate.start_reading(["a.md"])
    review = gate.review(None, early)
    assert len(read_ahead) == 2  # the early one and its replacement
    assert early._proc.poll() is not None  # stopped
    assert review.pages["a.md"].published and review.pages["b.md"].published
