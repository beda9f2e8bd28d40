"""One editor cannot change who may sign (第十条, 第十一条, 第十八条).

The roster is judged as it was when each entry was committed, a change takes
effect only once administrators of the version before it approve it, it is
read from git (never from a working copy), and its first version is a root of
trust the editor cannot replace.
"""

from __future__ import annotations

import datetime as _dt
import subprocess

import pytest
from mkdocs.exceptions import Abort, PluginError

from conftest import PEOPLE, STEPS, Site, identity, page

from secrecy_gate.desk.approve import approve_roster
from secrecy_gate.desk.signing import SignError
from secrecy_gate.review.trust import TRUST_ROOT_ENV

BODY = "名册测试页面的正文午未申。"
EDITOR_AS_LEADER = "  - name: 网站编辑\n    emails: [editor@city.gov.cn]\n    agency: city-office\n    steps: [leader]\n"
TODAY = str(_dt.date.today())


def three_signed(site: Site, rel: str = "a.md") -> None:
    site.write(rel, page(f"# 页面\n\n{BODY}\n"))
    for step in STEPS[:3]:
        site.sign(rel, step)


def leader_entry(site: Site, name: str, who: str = "editor", rel: str = "a.md") -> None:
    site.add_entry(rel, {"step": "leader", "name": name, "date": TODAY, "opinion": "主动公开"}, who=who)


def codes(site: Site, rel: str = "a.md") -> set[str]:
    return {f.code for f in site.verdict(rel).findings}


def site_codes(site: Site) -> set[str]:
    return {f.code for f in site.review().site_findings}


def next_version(site: Site, change) -> str:
    text = site.roster_text()
    n = int(text.split("version: ", 1)[1].split("\n", 1)[0])
    return change(text.replace(f"version: {n}", f"version: {n + 1}", 1))


def test_an_editor_who_adds_themselves_as_leader_is_not_a_leader(site):
    three_signed(site)
    (site.root / "reviews" / "roster.yml").write_text(
        next_version(site, lambda t: t + EDITOR_AS_LEADER), encoding="utf-8")
    site.commit_all("名册：增加一名领导")
    leader_entry(site, "网站编辑")
    assert "signature.unknown-signer" in codes(site) and not site.verdict("a.md").published
    assert "roster.pending" in site_codes(site)
    site.build()
    site.assert_absent(BODY)


def test_an_editor_address_under_the_leaders_name_proves_nothing(site):
    three_signed(site)
    (site.root / "reviews" / "roster.yml").write_text(next_version(
        site, lambda t: t.replace("emails: [leader@city.gov.cn]",
                                  "emails: [leader@city.gov.cn, editor@city.gov.cn]")), encoding="utf-8")
    site.commit_all("名册：领导的第二个邮箱")
    leader_entry(site, "陈领导")
    assert "git.forged" in codes(site) and not site.verdict("a.md").published


def test_a_forged_entry_stays_forged_when_the_address_is_approved_later(site):
    three_signed(site)
    leader_entry(site, "陈领导")
    assert "git.forged" in codes(site)
    site.change_roster(next_version(
        site, lambda t: t.replace("emails: [leader@city.gov.cn]",
                                  "emails: [leader@city.gov.cn, editor@city.gov.cn]")))
    assert site.review().roster.version == 2
    assert "git.forged" in codes(site) and not site.verdict("a.md").published


def test_one_administrator_is_not_a_quorum(site):
    three_signed(site)
    text = next_version(site, lambda t: t + EDITOR_AS_LEADER)
    (site.root / "reviews" / "roster.yml").write_text(text, encoding="utf-8")
    site.commit_all("名册：增加一名领导")
    with identity(site.env("secrecy_office")):
        approve_roster(site.gate_config())
    assert site.review().roster.version == 1 and "roster.pending" in site_codes(site)
    leader_entry(site, "网站编辑")
    assert not site.verdict("a.md").published
    with identity(site.env("leader")):
        approve_roster(site.gate_config())
    assert site.review().roster.version == 2


def test_only_an_administrator_can_approve_and_a_hand_written_approval_counts_for_nothing(site):
    text = next_version(site, lambda t: t + EDITOR_AS_LEADER)
    (site.root / "reviews" / "roster.yml").write_text(text, encoding="utf-8")
    site.commit_all("名册：增加一名领导")
    for who in ("editor", "originator"):
        with identity(site.env(who)), pytest.raises(SignError, match="管理员"):
            approve_roster(site.gate_config())
    # The editor writes both approvals by hand under the administrators' names.
    digest = site.review().trust.pending.digest
    forged = site.roster_text() + "approvals:\n" + "".join(
        f"  - {{name: {PEOPLE[w][0]}, date: {TODAY}, digest: '{digest}'}}\n"
        for w in ("secrecy_office", "leader"))
    (site.root / "reviews" / "roster.yml").write_text(forged, encoding="utf-8")
    site.commit_all("名册批准")
    assert site.review().roster.version == 1


def test_a_leader_who_leaves_keeps_the_pages_they_approved(site):
    site.write("a.md", page(f"# 页面\n\n{BODY}\n"))
    site.sign_all("a.md")
    site.change_roster(next_version(site, lambda t: t.replace("steps: [leader, admin]", "steps: [admin]")))
    assert site.review().roster.version == 2
    assert site.verdict("a.md").published
    site.build()
    assert BODY in site.output_text()


def test_reverting_the_roster_file_does_not_bring_an_old_version_back(site):
    site.change_roster(next_version(site, lambda t: t.replace("steps: [leader, admin]", "steps: [admin]")))
    site.git("revert", "--no-edit", "HEAD~2..HEAD")  # the change and both approvals
    three_signed(site)
    leader_entry(site, "陈领导", who="leader")
    assert site.review().roster.version == 2
    assert "signature.unauthorised" in codes(site)


def test_a_working_copy_hidden_by_skip_worktree_is_not_used(site):
    three_signed(site)
    roster = site.root / "reviews" / "roster.yml"
    site.git("update-index", "--skip-worktree", "reviews/roster.yml")
    roster.write_text(site.roster_text() + EDITOR_AS_LEADER, encoding="utf-8")
    assert site.git("status", "--porcelain") == ""  # git status sees nothing
    site.add_entry("a.md", {"step": "leader", "name": "网站编辑", "date": TODAY, "opinion": "主动公开"},
                   commit=False)
    site.git("add", "content/a.md")
    site.git("commit", "-q", "-m", "领导签署")
    assert "signature.unknown-signer" in codes(site) and not site.verdict("a.md").published
    assert "roster.uncommitted" in site_codes(site)


def test_another_roster_file_needs_a_pinned_root(site, monkeypatch):
    three_signed(site)
    evil = site.roster_text() + EDITOR_AS_LEADER
    (site.root / "reviews" / "mine.yml").write_text(evil, encoding="utf-8")
    cfg = (site.root / "mkdocs.yml").read_text(encoding="utf-8")
    site.set_mkdocs_yml(cfg.replace("  - secrecy-gate:\n", "  - secrecy-gate:\n      roster: reviews/mine.yml\n"))
    site.commit_all("换一份名册")
    leader_entry(site, "网站编辑")
    review = site.review()
    assert "roster.path-unpinned" in {f.code for f in review.site_findings}
    assert not review.pages["a.md"].published
    with pytest.raises((PluginError, Abort)):
        site.build()
    site.assert_absent(BODY)


def test_a_roster_without_administrators_publishes_nothing(make_site):
    """A roster from before versions and administrators is no root of trust."""
    from conftest import ROSTER
    site = make_site(roster=ROSTER.replace("version: 1\n", "").replace(", admin]", "]"))
    site.write("a.md", page(f"# 页面\n\n{BODY}\n"))
    assert "roster.no-root" in site_codes(site)
    assert not site.verdict("a.md").published
    with identity(site.env("originator")), pytest.raises(SignError, match="名册"):
        site.sign("a.md", "originator")


def test_the_pinned_root_is_checked(site, monkeypatch):
    site.write("a.md", page(f"# 页面\n\n{BODY}\n"))
    site.sign_all("a.md")
    root = site.git("rev-list", "--max-parents=0", "HEAD").strip()
    monkeypatch.setenv(TRUST_ROOT_ENV, root)
    review = site.review()
    assert "trust-root.unpinned" not in {f.code for f in review.site_findings}
    assert review.pages["a.md"].published
    monkeypatch.setenv(TRUST_ROOT_ENV, "0123456789abcdef0123")
    review = site.review()
    assert "trust-root.unknown" in {f.code for f in review.site_findings}
    assert not review.pages["a.md"].published


def test_two_unrelated_first_versions_are_ambiguous(site):
    """An editor plants a rival first roster on a side branch from before the real one."""
    first = site.git("rev-list", "--max-parents=0", "HEAD").strip()
    site.git("checkout", "-q", "--orphan", "rival")
    site.git("rm", "-rq", "--cached", ".")
    (site.root / "reviews" / "roster.yml").write_text(
        site.roster_text().replace("steps: [originator]", "steps: [originator, admin]"), encoding="utf-8")
    site.git("add", "reviews/roster.yml")
    site.git("commit", "-q", "-m", "另一份名册")
    site.git("checkout", "-q", "-f", "main")
    site.git("merge", "-q", "--allow-unrelated-histories", "-s", "ours", "-m", "合并", "rival")
    site.write("a.md", page(f"# 页面\n\n{BODY}\n"))
    assert "trust-root.ambiguous" in site_codes(site)
    assert first
    assert not site.verdict("a.md").published


def test_an_old_administrator_cannot_fork_the_chain(make_site):
    """Version 2 removes A's admin role; A branches from version 1 (quorum 1 there) and
    approves a rival version 2 alone.  Two approved versions 2: everything stops."""
    from conftest import ROSTER
    site = make_site(roster=ROSTER.replace("version: 1\n", "version: 1\nadmin_quorum: 1\n"))
    base = site.git("rev-parse", "HEAD").strip()
    assert "roster.single-approver" in site_codes(site)  # one approval suffices: said on every build
    site.change_roster(next_version(site, lambda t: t.replace("steps: [secrecy_office, admin]",
                                                              "steps: [secrecy_office]")),
                       approvers=("leader",))
    assert site.review().roster.version == 2
    site.git("checkout", "-q", "-b", "old", base)
    site.change_roster(next_version(site, lambda t: t + EDITOR_AS_LEADER), who="secrecy_office",
                       approvers=("secrecy_office",))
    site.git("checkout", "-q", "main")
    site.git("merge", "-q", "--no-edit", "-s", "ours", "old")
    site.write("a.md", page(f"# 页面\n\n{BODY}\n"))
    assert "roster.fork" in site_codes(site)
    assert not site.verdict("a.md").published


def test_a_reviewer_removed_on_the_main_line_cannot_sign_on_an_older_branch(site):
    """Version 2 takes the leader step away on main; the leader signs on a branch forked
    before it, and the branch is merged: the signature does not count."""
    three_signed(site)
    fork = site.git("rev-parse", "HEAD").strip()
    site.change_roster(next_version(site, lambda t: t.replace("steps: [leader, admin]", "steps: [admin]")))
    site.git("checkout", "-q", "-b", "late", fork)
    site.sign("a.md", "leader")  # allowed where version 1 is in force
    site.git("checkout", "-q", "main")
    site.git("merge", "-q", "--no-edit", "late")
    verdict = site.verdict("a.md")
    assert "signature.revoked" in {f.code for f in verdict.findings} and not verdict.published
    site.build()
    site.assert_absent(BODY)


def test_a_signature_made_before_a_removal_still_counts(site):
    site.write("a.md", page(f"# 页面\n\n{BODY}\n"))
    site.sign_all("a.md")
    site.change_roster(next_version(site, lambda t: t.replace("steps: [leader, admin]", "steps: [admin]")))
    assert site.verdict("a.md").published
