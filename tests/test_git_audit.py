"""The one-pass git history reader (第十八条) on real repositories.

``read_history`` reads the whole log once; these tests check what it proves:
who introduced each signature entry, across merges, renames, deletions and
non-ASCII paths, and commit ancestry.
"""

from __future__ import annotations

import pytest
from conftest import STEPS, TODAY, Site, page

from secrecy_gate.history import gitaudit
from secrecy_gate.core.frontmatter import parse
from secrecy_gate.core.record import entry_key

SIGNER_EMAILS = {
    "originator": "drafter@city.gov.cn",
    "originator_head": "head@city.gov.cn",
    "secrecy_office": "secrecy@city.gov.cn",
    "leader": "leader@city.gov.cn",
}


def entries(site: Site, rel: str) -> dict[str, tuple]:
    """step → entry key of the page's signatures as they are now."""
    review = parse((site.docs / rel).read_bytes()).meta["review"]
    return {e["step"]: entry_key(e) for e in review.get("signatures") or []}


def history(site: Site) -> gitaudit.History:
    hist = gitaudit.read_history(site.docs)
    return hist


def head(site: Site, rev: str = "HEAD") -> str:
    return site.git("rev-parse", rev).strip()


def test_introductions_linear(site):
    site.write("a.md", page("# A\n"))
    site.sign_all("a.md")
    hist = history(site)
    try:
        intro = hist.introductions("content/a.md")
        keys = entries(site, "a.md")
        assert set(intro) == set(keys.values())
        for step, key in keys.items():
            (commit,) = intro[key]
            assert commit.email == SIGNER_EMAILS[step]
        assert [c.email for c in hist.touching("content/a.md")] == [
            "editor@city.gov.cn", *SIGNER_EMAILS.values()]
        assert not hist.shallow and hist.is_committed("content/a.md")
        assert not hist.differs("content/a.md", (site.docs / "a.md").read_bytes())
    finally:
        hist.close()


def test_introductions_across_a_merge(site):
    site.write("a.md", page("# A\n"))
    site.git("checkout", "-q", "-b", "review")
    site.sign("a.md", "originator")
    site.sign("a.md", "originator_head")
    site.git("checkout", "-q", "main")
    site.write("b.md", page("# B\n"))
    site.git("merge", "--no-ff", "-q", "-m", "合并", "review")
    merge = head(site)
    site.sign("a.md", "secrecy_office")
    site.sign("a.md", "leader")
    hist = history(site)
    try:
        intro = hist.introductions("content/a.md")
        for step, key in entries(site, "a.md").items():
            (commit,) = intro[key]
            assert commit.email == SIGNER_EMAILS[step], step
            assert commit.sha != merge
        assert len(hist.commits[merge].parents) == 2
        # The signatures on the branch precede the merge, which precedes the later ones.
        first = intro[entries(site, "a.md")["originator"]][0].sha
        last = intro[entries(site, "a.md")["leader"]][0].sha
        assert hist.is_ancestor(first, merge) and hist.is_ancestor(merge, last)
    finally:
        hist.close()
    assert site.verdict("a.md").published


def test_merge_that_resolves_a_conflict_introduces_nothing_new(site):
    # Both sides sign different steps of different pages; the merge commit itself
    # only combines them, so every entry is still attributed to its signer.
    site.write("a.md", page("# A\n"))
    site.write("b.md", page("# B\n"))
    site.git("checkout", "-q", "-b", "side")
    site.sign_all("b.md")
    site.git("checkout", "-q", "main")
    site.sign_all("a.md")
    site.git("merge", "--no-ff", "-q", "-m", "合并", "side")
    hist = history(site)
    try:
        for rel in ("a.md", "b.md"):
            intro = hist.introductions(f"content/{rel}")
            for step, key in entries(site, rel).items():
                assert [c.email for c in intro[key]] == [SIGNER_EMAILS[step]]
    finally:
        hist.close()
    review = site.review()
    assert review.pages["a.md"].published and review.pages["b.md"].published


def test_is_ancestor(site):
    site.write("a.md", page("# A\n"))
    a = head(site)
    site.git("checkout", "-q", "-b", "left")
    site.write("l.md", page("# L\n"))
    left = head(site)
    site.git("checkout", "-q", "main")
    site.write("r.md", page("# R\n"))
    right = head(site)
    site.git("merge", "--no-ff", "-q", "-m", "合并", "left")
    merge = head(site)
    root = head(site, f"{a}~1")
    hist = history(site)
    try:
        assert hist.is_ancestor(a, left) and hist.is_ancestor(a, right)
        assert hist.is_ancestor(root, merge) and hist.is_ancestor(a, merge)
        assert hist.is_ancestor(left, merge) and hist.is_ancestor(right, merge)
        assert not hist.is_ancestor(left, right) and not hist.is_ancestor(right, left)
        assert not hist.is_ancestor(merge, a)
        assert not hist.is_ancestor(a, a), "a commit is not its own proper ancestor"
        assert not hist.is_ancestor("0" * 40, merge)
    finally:
        hist.close()


def test_renamed_page_loses_its_proof(site):
    site.write("old.md", page("# 旧名\n"))
    site.sign_all("old.md")
    assert site.verdict("old.md").published
    site.git("mv", "content/old.md", "content/new.md")
    site.git("commit", "-q", "-m", "改名", who="editor")
    rename = head(site)
    hist = history(site)
    try:
        intro = hist.introductions("content/new.md")
        assert {c.sha for cs in intro.values() for c in cs} == {rename}
    finally:
        hist.close()
    verdict = site.verdict("new.md")
    assert not verdict.published
    assert {f.code for f in verdict.findings if f.withholds} <= {"git.forged", "git.order",
                                                                  "git.entry-unproven"}
    assert "git.forged" in {f.code for f in verdict.findings}


def test_page_deleted_and_readded(site):
    site.write("a.md", page("# A\n"))
    site.sign_all("a.md")
    signed = (site.docs / "a.md").read_bytes()
    site.git("rm", "-q", "content/a.md")
    site.git("commit", "-q", "-m", "删除", who="editor")
    deleted = head(site)
    site.write("a.md", signed)  # the editor puts the signed text back
    readded = head(site)
    hist = history(site)
    try:
        changes = hist.changes["content/a.md"]
        assert any(ch.commit == deleted and ch.blob == gitaudit.NULL_SHA for ch in changes)
        intro = hist.introductions("content/a.md")
        for step, key in entries(site, "a.md").items():
            emails = {c.email for c in intro[key]}
            assert emails == {SIGNER_EMAILS[step], "editor@city.gov.cn"}
            assert readded in {c.sha for c in intro[key]}
    finally:
        hist.close()
    verdict = site.verdict("a.md")
    assert not verdict.published
    assert "git.forged" in {f.code for f in verdict.findings}


@pytest.mark.parametrize("rel", ["通知公告/关于印发保密审查制度的通知.md", "政务 公开/“引号”与空格.md"])
def test_chinese_file_names(site, rel):
    site.write(rel, page("# 中文文件名\n\n中文路径的正文。\n"))
    site.sign_all(rel)
    site.write("草稿/未提交.md", page("# 草稿\n"), commit=False)
    hist = history(site)
    try:
        assert f"content/{rel}" in hist.changes
        assert hist.is_committed(f"content/{rel}")
        assert not hist.differs(f"content/{rel}", (site.docs / rel).read_bytes())
        assert hist.differs("content/草稿/未提交.md", (site.docs / "草稿/未提交.md").read_bytes())
        intro = hist.introductions(f"content/{rel}")
        assert {c.email for cs in intro.values() for c in cs} == set(SIGNER_EMAILS.values())
    finally:
        hist.close()
    review = site.review()
    assert review.pages[rel].published, [f.render() for f in review.pages[rel].verdict.findings]
    assert "git.untracked" in {f.code for f in review.pages["草稿/未提交.md"].verdict.findings}
    site.build()
    assert "中文路径的正文" in site.output_text()


def test_an_unapproved_roster_change_has_no_effect(site):
    """An editor who commits themselves into the roster as leader and signs: the change
    awaits the administrators' approval and the signature is judged without it."""
    site.write("a.md", page("# A\n"))
    for step in STEPS[:3]:
        site.sign("a.md", step)
    roster = site.root / "reviews" / "roster.yml"
    roster.write_text(roster.read_text(encoding="utf-8")
                      + "  - name: 网站编辑\n    emails: [editor@city.gov.cn]\n"
                        "    agency: city-office\n    steps: [leader]\n", encoding="utf-8")
    site.add_entry("a.md", {"step": "leader", "name": "网站编辑", "date": str(TODAY),
                            "opinion": "主动公开"}, who="editor")
    review = site.review()
    assert "roster.pending" in {f.code for f in review.site_findings}
    codes = {f.code for f in review.pages["a.md"].verdict.findings}
    assert "signature.unknown-signer" in codes and not review.pages["a.md"].published


def test_not_a_git_repository(tmp_path):
    docs = tmp_path / "plain" / "content"
    docs.mkdir(parents=True)
    with pytest.raises(gitaudit.GitUnavailable):
        gitaudit.read_history(docs)


def test_repository_without_commits(tmp_path):
    import subprocess
    root = tmp_path / "empty"
    (root / "content").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    hist = gitaudit.read_history(root / "content")
    assert hist.head is None and not hist.commits


def test_history_is_read_once_whatever_the_number_of_pages(site, monkeypatch):
    for i in range(6):
        site.write(f"p{i}.md", page(f"# {i}\n"), commit=False)
    site.commit_all("六个页面")
    for i in range(6):
        site.sign_all(f"p{i}.md")
    calls = []
    real = gitaudit._git

    def counting(root, *args):
        calls.append(args[0])
        return real(root, *args)

    monkeypatch.setattr(gitaudit, "_git", counting)
    review = site.review()
    assert all(review.pages[f"p{i}.md"].published for i in range(6))
    assert calls.count("log") == 1
    assert len(calls) <= 6, calls
