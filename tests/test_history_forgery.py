"""History that a commit cannot forge (第十条, 第十八条).

An editor controls every byte of the commits they make: message, author name,
author e-mail, even raw commit objects written with ``git hash-object``.  None
of it may add a commit, an author or a parent to what the gate reads, and none
of it may crash a build, ``check``, ``status`` or ``audit``.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PEOPLE, STEPS, TODAY, Site, page

from secrecy_gate.cli import main
from secrecy_gate.history import gitaudit

SECRET = "伪造提交记录的正文子丑寅"
FAKE = "f" * 40


def hand_signed(site: Site, rel: str) -> None:
    """The four entries written into the page without committing (as `sign --no-commit`
    would under each reviewer's name), ready for the editor to commit."""
    for step in STEPS:
        site.add_entry(rel, {"step": step, "name": PEOPLE[step][0], "date": str(TODAY),
                             "opinion": "主动公开"}, commit=False)


def commit_as(site: Site, message: bytes | str, name: str = "网站编辑",
              email: str = "editor@city.gov.cn") -> str:
    site.git("add", "-A")
    env = site.env("editor")
    env.update(GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email)
    msg = message.encode() if isinstance(message, str) else message
    proc = subprocess.run(["git", "commit", "-q", "--allow-empty", "-F", "-"], cwd=site.root, env=env, input=msg,
                          capture_output=True)
    assert proc.returncode == 0, proc.stderr
    return site.git("rev-parse", "HEAD").strip()


def injected_subject(site: Site, who: str) -> str:
    """A subject that, split on \\x1e/\\x1f, reads as a commit by ``who`` (the old reader's hole)."""
    name, email = PEOPLE[who]
    parent = site.git("rev-parse", "HEAD").strip()
    return f"typo fix\x1e{FAKE}\x1f{parent}\x1f{email}\x1f{name}\x1f1767225600\x1fx"


def cli(site: Site, *args: str):
    old = os.getcwd()
    os.chdir(site.root)
    try:
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def test_a_subject_cannot_add_commits_or_authors(site):
    site.write("a.md", page(f"# 甲\n\n{SECRET}\n"), commit=False)
    hand_signed(site, "a.md")
    subject = "".join(injected_subject(site, step) for step in STEPS)
    commit_as(site, subject)
    hist = gitaudit.read_history(site.docs)
    assert FAKE not in hist.commits
    assert set(hist.commits) == set(site.git("rev-list", "HEAD").split())
    verdict = site.verdict("a.md")
    assert not verdict.published
    assert {f.code for f in verdict.findings} >= {"git.forged"}
    site.build()
    site.assert_absent(SECRET)
    audit = json.loads(cli(site, "audit", "--format", "json").output)
    shas = {c["sha"] for p in audit["pages"] for c in p["commits"]}
    assert FAKE not in shas
    # The subject is shown as written, its separators replaced: no record of its own.
    assert all("\x1e" not in c["subject"] for p in audit["pages"] for c in p["commits"])


def test_a_roster_change_cannot_be_attributed_to_the_leader(site):
    roster = site.roster_text().replace("version: 1", "version: 2") + (
        "  - name: 网站编辑\n    emails: [editor@city.gov.cn]\n    agency: city-office\n"
        "    steps: [leader]\n")
    (site.root / "reviews" / "roster.yml").write_text(roster, encoding="utf-8")
    commit_as(site, injected_subject(site, "leader"))
    audit = json.loads(cli(site, "audit", "--format", "json").output)
    assert [c["email"] for c in audit["roster_changes"]] == ["editor@city.gov.cn"] * 2
    assert FAKE not in {c["sha"] for c in audit["roster_changes"]}
    assert site.review().roster.version == 1  # not approved: still the first version


@pytest.mark.parametrize("name", ["编辑\x1f伪造", "编辑\x1e", "\x1b[2J清屏", "名\u202e字"])
def test_odd_author_names_never_crash_and_are_shown_safely(site, name):
    site.write("a.md", page(f"# 甲\n\n{SECRET}\n"), commit=False)
    commit_as(site, "第一行\x1e第二段\x1f\n\n正文", name=name)
    for args in (["check"], ["status"], ["audit"], ["sweep"]):
        result = cli(site, *args)
        assert result.exception is None or isinstance(result.exception, SystemExit), args
        assert "\x1b" not in result.output and "\u202e" not in result.output and "\x1f" not in result.output
    site.build()
    site.assert_absent(SECRET)


def raw_commit(site: Site, header_extra: bytes = b"", author: bytes | None = None,
               message: bytes = b"msg\n", parents: list[str] | None = None) -> str:
    """A commit object written byte for byte with ``git hash-object --literally``."""
    tree = site.git("rev-parse", "HEAD^{tree}").strip()
    parents = [site.git("rev-parse", "HEAD").strip()] if parents is None else parents
    author = author or b"\xe7\xbd\x91\xe7\xab\x99\xe7\xbc\x96\xe8\xbe\x91 <editor@city.gov.cn> 1767225600 +0800"
    body = (b"tree " + tree.encode() + b"\n" + b"".join(b"parent " + p.encode() + b"\n" for p in parents)
            + b"author " + author + b"\n" + header_extra
            + b"committer x <editor@city.gov.cn> 1767225600 +0800\n\n" + message)
    proc = subprocess.run(["git", "hash-object", "-t", "commit", "--literally", "-w", "--stdin"],
                          cwd=site.root, input=body, capture_output=True, check=True)
    sha = proc.stdout.decode().strip()
    site.git("update-ref", "HEAD", sha)
    return sha


def test_a_second_author_line_makes_the_commit_prove_nothing(site):
    site.write("a.md", page(f"# 甲\n\n{SECRET}\n"), commit=False)
    site.git("add", "-A")
    site.git("commit", "-q", "-m", "起草")
    for step in STEPS:
        site.add_entry("a.md", {"step": step, "name": PEOPLE[step][0], "date": str(TODAY),
                                "opinion": "主动公开"}, commit=False)
        site.git("add", "-A")
        tree = site.git("write-tree").strip()
        name, email = PEOPLE[step]
        parent = site.git("rev-parse", "HEAD").strip()
        body = (f"tree {tree}\nparent {parent}\nauthor {name} <{email}> 1767225600 +0800\n"
                f"author 网站编辑 <editor@city.gov.cn> 1767225600 +0800\n"
                f"committer 网站编辑 <editor@city.gov.cn> 1767225600 +0800\n\nsign\n").encode()
        sha = subprocess.run(["git", "hash-object", "-t", "commit", "--literally", "-w", "--stdin"],
                             cwd=site.root, input=body, capture_output=True, check=True).stdout.decode().strip()
        site.git("update-ref", "HEAD", sha)
        site.git("reset", "-q", "--hard", sha)
    hist = gitaudit.read_history(site.docs)
    head = hist.commits[hist.head]
    assert head.malformed and head.email == ""
    codes = {f.code for f in site.verdict("a.md").findings}
    assert "git.malformed-commit" in codes and not site.verdict("a.md").published
    site.build()
    site.assert_absent(SECRET)


def test_a_nul_in_a_raw_commit_is_read_without_confusion(site):
    site.write("a.md", page(f"# 甲\n\n{SECRET}\n"))
    before = set(site.git("rev-list", "HEAD").split())
    sha = raw_commit(site, message=b"ok\x00\n" + FAKE.encode() + b" " + b"0" * 40 + b"\n")
    hist = gitaudit.read_history(site.docs)
    assert set(hist.commits) == before | {sha} and FAKE not in hist.commits
    nul_author = raw_commit(site, author=b"ed\x00itor <leader@city.gov.cn> 1767225600 +0800")
    hist = gitaudit.read_history(site.docs)
    assert hist.commits[nul_author].malformed


# -- property: arbitrary bytes in the places a committer controls --------------------------

_TEXT = st.binary(max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_TEXT, email=_TEXT, message=_TEXT)
def test_arbitrary_commit_bytes_add_nothing_and_crash_nothing(tmp_path_factory, name, email, message):
    root = tmp_path_factory.mktemp("prop")
    site = Site(root / "repo")
    author = name + b" <" + email + b"> 1767225600 +0800"
    sha = raw_commit(site, author=author, message=message)
    try:
        hist = gitaudit.read_history(site.docs)
    except gitaudit.GitUnavailable:
        return  # refused as a whole: nothing is published (fail closed)
    assert set(hist.commits) == set(site.git("rev-list", "HEAD").split())
    commit = hist.commits[sha]
    plain = all(b not in email for b in (b"<", b">", b"\n", b"\x00")) and \
        all(b not in name for b in (b"<", b">", b"\n", b"\x00"))
    if commit.malformed:
        assert commit.email == ""
    else:
        assert plain
        assert commit.email == email.decode("utf-8").strip().lower()
    assert not any(ch in commit.name + commit.subject for ch in "\x00\x1b\x1e\x1f\n\u202e")
