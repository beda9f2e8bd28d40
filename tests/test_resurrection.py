"""A decision the history has moved away from stays made (第十条, 第十八条).

A page was published, then withdrawn: re-reviewed as 不予公开, changed, or
deleted.  An editor with push access brings the old signed version back with
ordinary git — a merge whose other parent is the old commit, the same with the
parents swapped, ``commit-tree``, ``checkout OLD -- page``, a revert, a
cherry-pick.  Every route withholds the page, and the ordinary pull request
(reviewed on a branch, merged by a merge commit or a rebase) still publishes.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from click.testing import CliRunner

from conftest import STEPS, Site, page

from secrecy_gate.cli import main

OLD = "已撤回的旧版正文卯辰巳，不得再次发布。"


def published_then(site: Site, how: str) -> str:
    """Publish a.md, then withdraw it ``how``; returns the sha of the old signed commit."""
    site.write("a.md", page(f"# 通知\n\n{OLD}\n"))
    site.sign_all("a.md")
    assert site.verdict("a.md").published
    old = site.git("rev-parse", "HEAD").strip()
    if how == "re-reviewed":  # four reviewers decide 不予公开 (sign drops the void entries)
        text = (site.docs / "a.md").read_text(encoding="utf-8")
        (site.docs / "a.md").write_text(text.replace("disclosure: 主动公开", "disclosure: 不予公开"),
                                        encoding="utf-8")
        site.commit_all("重新审查：不予公开")
        site.sign_all("a.md", "不予公开")
    elif how == "edited":  # the decision changed without new signatures: entries stay, stale
        text = (site.docs / "a.md").read_text(encoding="utf-8")
        (site.docs / "a.md").write_text(text.replace("disclosure: 主动公开", "disclosure: 不予公开"),
                                        encoding="utf-8")
        site.commit_all("撤回：改为不予公开")
    elif how == "deleted":
        site.git("rm", "-q", "content/a.md")
        site.git("commit", "-q", "-m", "撤下页面")
    assert not site.review().pages.get("a.md") or not site.verdict("a.md").published
    return old


def old_blob(site: Site, old: str) -> bytes:
    return subprocess.run(["git", "show", f"{old}:content/a.md"], cwd=site.root, check=True,
                          capture_output=True).stdout


def assert_withheld(site: Site, *codes: str):
    verdict = site.verdict("a.md")
    assert not verdict.published, [f.render() for f in verdict.findings]
    found = {f.code for f in verdict.findings}
    assert found & set(codes or ("git.resurrected",)), found
    site.build()
    site.assert_absent(OLD)


WITHDRAWALS = ["re-reviewed", "edited", "deleted"]


@pytest.mark.parametrize("how", WITHDRAWALS)
def test_merge_with_the_old_commit_as_second_parent(site, how):
    old = published_then(site, how)
    site.git("checkout", "-q", "-b", "archive", old)
    site.write("other.md", "无关文件\n")  # the branch is not an ancestor of main any more
    site.git("checkout", "-q", "main")
    site.git("merge", "--no-commit", "--no-ff", "-q", "-s", "ours", "archive")
    site.git("checkout", "archive", "--", "content/a.md")
    site.git("commit", "-q", "-m", "合并 archive")
    assert_withheld(site)


@pytest.mark.parametrize("how", WITHDRAWALS)
def test_commit_tree_with_parents_either_way(site, how):
    old = published_then(site, how)
    site.docs.mkdir(exist_ok=True)
    (site.docs / "a.md").write_bytes(old_blob(site, old))
    site.git("add", "-A")
    tree = site.git("write-tree").strip()
    head = site.git("rev-parse", "HEAD").strip()
    for parents in ((head, old), (old, head)):
        args = ["commit-tree", tree, "-m", "合并"]
        for p in parents:
            args += ["-p", p]
        sha = site.git(*args).strip()
        site.git("reset", "-q", "--hard", sha)
        assert_withheld(site)
        site.git("reset", "-q", "--hard", head)


@pytest.mark.parametrize("how", WITHDRAWALS)
def test_checkout_of_the_old_file(site, how):
    old = published_then(site, how)
    site.git("checkout", old, "--", "content/a.md")
    site.git("commit", "-q", "-m", "恢复旧版")
    assert_withheld(site, "git.resurrected", "git.forged")


def test_revert_of_the_withdrawal(site):
    published_then(site, "edited")
    site.git("revert", "--no-edit", "HEAD")
    assert_withheld(site)


def test_cherry_pick_of_an_old_signature_keeps_its_author_but_not_its_force(site):
    """A cherry-pick keeps the leader as author; the version it approved was withdrawn."""
    old = published_then(site, "re-reviewed")
    site.git("checkout", old, "--", "content/a.md")
    text = (site.docs / "a.md").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines(keepends=True) if "step: leader" not in line]
    (site.docs / "a.md").write_text("".join(lines), encoding="utf-8")
    site.commit_all("恢复旧版（缺领导签署）")
    proc = subprocess.run(["git", "cherry-pick", "--allow-empty", "-X", "theirs", old],
                          cwd=site.root, env=site.env("editor"), capture_output=True, text=True)
    if proc.returncode != 0:
        site.git("checkout", old, "--", "content/a.md")
        subprocess.run(["git", "-c", "core.editor=true", "cherry-pick", "--continue"],
                       cwd=site.root, env=site.env("editor"), check=True, capture_output=True)
    assert "leader@city.gov.cn" in site.git("log", "-1", "--format=%ae")
    assert_withheld(site, "git.resurrected", "git.forged")


# -- what must keep working ---------------------------------------------------------------

def test_pull_request_merged_by_a_merge_commit_publishes(site):
    site.write("a.md", page("# 通知\n\n合并请求中的正文。\n"))
    site.git("checkout", "-q", "-b", "review")
    site.sign_all("a.md")
    site.git("checkout", "-q", "main")
    site.write("b.md", "其他页面\n")
    site.git("merge", "--no-ff", "-q", "-m", "Merge pull request #1", "review")
    assert site.verdict("a.md").published
    site.build()
    assert "合并请求中的正文" in site.output_text()


def test_pull_request_merged_by_rebase_publishes(site):
    """GitHub's rebase merge replays the commits (same authors, new committer) onto main."""
    site.write("a.md", page("# 通知\n\n变基合并的正文。\n"))
    site.git("checkout", "-q", "-b", "review")
    site.sign_all("a.md")
    site.git("checkout", "-q", "main")
    site.write("b.md", "其他页面\n")
    env = site.env("editor")
    subprocess.run(["git", "rebase", "-q", "--committer-date-is-author-date", "main", "review"],
                   cwd=site.root, env=env, check=True, capture_output=True)
    site.git("checkout", "-q", "main")
    site.git("merge", "--ff-only", "-q", "review")
    site.git("branch", "-D", "review")
    assert site.verdict("a.md").published
    site.build()
    assert "变基合并的正文" in site.output_text()


def test_a_page_reviewed_again_after_a_change_publishes(site):
    site.write("a.md", page("# 通知\n\n第一版。\n"))
    site.sign_all("a.md")
    p = site.docs / "a.md"
    p.write_text(p.read_text(encoding="utf-8").replace("第一版", "第二版"), encoding="utf-8")
    site.commit_all("修改")
    site.sign_all("a.md")
    assert site.verdict("a.md").published


def test_audit_shows_the_merge_that_brought_the_old_version_back(site):
    old = published_then(site, "deleted")
    site.git("checkout", "-q", "-b", "archive", old)
    site.write("other.md", "无关文件\n")
    site.git("checkout", "-q", "main")
    site.git("merge", "--no-commit", "--no-ff", "-q", "-s", "ours", "archive")
    site.git("checkout", "archive", "--", "content/a.md")
    site.git("commit", "-q", "-m", "合并 archive（带回旧版）")
    merge = site.git("rev-parse", "HEAD").strip()
    old_dir = os.getcwd()
    os.chdir(site.root)
    try:
        result = CliRunner().invoke(main, ["audit", "--format", "json", "content/a.md"])
    finally:
        os.chdir(old_dir)
    (audit,) = json.loads(result.output)["pages"]
    assert merge in {c["sha"] for c in audit["commits"]}
    assert not audit["published"]
    current = [e for e in audit["trail"] if e["current"]]
    assert current and all(e["withdrawn_by"] and not e["valid"] for e in current)
