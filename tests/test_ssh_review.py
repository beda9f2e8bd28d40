"""signatures: ssh — what proves the signer is the entry's SSH signature (第十条, 第十八条).

Real git repositories and real MkDocs builds: forged authors, squash and rebase merges,
cherry-picks, renames, each bad signature, key rotation and revocation, migration.
"""

from __future__ import annotations

import datetime as _dt
import re

import pytest

import sshkeys
from conftest import PEOPLE, ROSTER, Site, page, ssh_roster

BODY = "# 关于开展调研的通知\n\n调研正文甲乙丙丁。\n"
SECRET = "调研正文甲乙丙丁"
TODAY = _dt.date.today().isoformat()


def codes(verdict) -> set[str]:
    return {f.code for f in verdict.findings if f.withholds}


@pytest.fixture
def ssh_site(tmp_path):
    return Site(tmp_path / "ssh-repo", ssh=True)


def test_signed_page_publishes_and_build_shows_it(ssh_site):
    ssh_site.write("a.md", page(BODY))
    ssh_site.sign_all("a.md")
    assert ssh_site.verdict("a.md").published
    ssh_site.build()
    assert SECRET in ssh_site.output_text()


def test_forged_author_cannot_publish(ssh_site):
    """An editor writes all four entries under the signers' git identities (GIT_AUTHOR_EMAIL):
    in git mode that was enough; under ssh the entries have no valid signatures."""
    ssh_site.write("a.md", page(BODY))
    for step in ("originator", "originator_head", "secrecy_office", "leader"):
        ssh_site.add_entry("a.md", {"step": step, "name": PEOPLE[step][0], "date": TODAY,
                                    "opinion": "主动公开"}, who=step)
    v = ssh_site.verdict("a.md")
    assert not v.published and "sshsig.missing" in codes(v)
    assert "git.forged" not in codes(v)  # the author is "right" — and proves nothing now
    # Signing with the editor's own key, under the leader's name, is another person's key.
    ssh_site.write("b.md", page(BODY.replace("调研", "检查")))
    for step in ("originator", "originator_head", "secrecy_office"):
        ssh_site.sign("b.md", step)
    ssh_site.keys_of = {"leader": "editor"}
    with pytest.raises(Exception, match="SHA256:"):
        ssh_site.sign("b.md", "leader")  # the tool refuses to sign with an unlisted key
    from secrecy_gate.signatures import messages
    from secrecy_gate.core.frontmatter import parse
    from secrecy_gate.core.record import parse_record
    doc = parse((ssh_site.docs / "b.md").read_bytes())
    rec, _ = parse_record(doc.meta, "b.md")
    entry = {"step": "leader", "name": "陈领导", "date": TODAY, "opinion": "主动公开",
             "digest": rec.signatures[0].digest}
    priv, pub, _ = sshkeys.key("secrecy_office")  # a real roster key — of someone else
    from secrecy_gate.signatures import sshsig
    entry["sshsig"] = sshsig.sign_with(priv, pub, messages.entry_message("signature", entry, rec.signatures),
                                       messages.NAMESPACE)
    ssh_site.add_entry("b.md", entry, who="leader")
    v = ssh_site.verdict("b.md")
    assert not v.published and "sshsig.wrong-key" in codes(v)
    msg = next(f for f in v.findings if f.code == "sshsig.wrong-key")
    assert pub.fingerprint in msg.message_en and "第十条" in msg.article
    ssh_site.build()
    ssh_site.assert_absent(SECRET, "检查正文")


def test_the_same_forgery_publishes_in_git_mode(make_site):
    """The contrast: what the ssh policy closes (an author e-mail proves nothing)."""
    site = make_site()
    site.write("a.md", page(BODY))
    for step in ("originator", "originator_head", "secrecy_office", "leader"):
        site.add_entry("a.md", {"step": step, "name": PEOPLE[step][0], "date": TODAY,
                                "opinion": "主动公开"}, who=step)
    assert site.verdict("a.md").published


def _branch_reviewed(site, rel="a.md"):
    site.git("checkout", "-q", "-b", "review")
    site.write(rel, page(BODY))
    site.sign_all(rel)
    site.git("checkout", "-q", "main")


def test_squash_merge_publishes(ssh_site):
    _branch_reviewed(ssh_site)
    ssh_site.git("merge", "--squash", "review")
    ssh_site.git("commit", "-q", "-m", "合并审查分支 (squash)")
    assert ssh_site.git("log", "--format=%an", "-1", "--", "content/a.md").strip() == "网站编辑"
    assert ssh_site.verdict("a.md").published
    ssh_site.build()
    assert SECRET in ssh_site.output_text()


def test_squash_merge_withholds_in_git_mode(make_site):
    site = make_site()
    _branch_reviewed(site)
    site.git("merge", "--squash", "review")
    site.git("commit", "-q", "-m", "squash")
    assert "git.forged" in codes(site.verdict("a.md"))


def test_rebase_merge_and_cherry_pick_publish(ssh_site):
    _branch_reviewed(ssh_site)
    ssh_site.write("other.md", page("# 另一页\n\n别的内容。\n", title="另一页"))  # main moves on
    ssh_site.git("checkout", "-q", "review")
    ssh_site.git("rebase", "-q", "main")
    ssh_site.git("checkout", "-q", "main")
    ssh_site.git("merge", "-q", "--ff-only", "review")
    assert ssh_site.verdict("a.md").published
    # A cherry-pick of the four signing commits onto another line.
    ssh_site.git("checkout", "-q", "-b", "pick", "main~6")
    shas = ssh_site.git("log", "--reverse", "--format=%H", "main~5..main", "--", "content/a.md").split()
    for sha in shas:
        ssh_site.git("cherry-pick", "--allow-empty", sha)
    assert ssh_site.verdict("a.md").published


def test_rename_keeps_page_published(ssh_site, make_site):
    ssh_site.write("a.md", page(BODY))
    ssh_site.sign_all("a.md")
    ssh_site.git("mv", "content/a.md", "content/notices-a.md")
    ssh_site.git("commit", "-q", "-m", "改名")
    assert ssh_site.verdict("notices-a.md").published
    git_site = make_site()
    git_site.write("a.md", page(BODY))
    git_site.sign_all("a.md")
    git_site.git("mv", "content/a.md", "content/notices-a.md")
    git_site.git("commit", "-q", "-m", "改名")
    assert not git_site.verdict("notices-a.md").published


def _replace_sshsig(site, rel, index, new):
    p = site.docs / rel
    text = p.read_text(encoding="utf-8")
    sigs = re.findall(r"sshsig: '([^']*)'", text)
    p.write_text(text.replace(sigs[index], new), encoding="utf-8")
    site.commit_all("改签名", who="editor")


@pytest.mark.parametrize("mangle,code", [
    (lambda s: s.replace("U1NIU0lH", "U1NI*0lH"), "sshsig.armour"),
    (lambda s: s.replace("-----END SSH SIGNATURE-----", ""), "sshsig.armour"),
    (lambda s: _truncated(s), "sshsig.malformed"),
    (lambda s: _namespaced(s), "sshsig.namespace"),
])
def test_bad_signatures_withhold_with_their_finding(ssh_site, mangle, code):
    ssh_site.write("a.md", page(BODY))
    ssh_site.sign_all("a.md")
    text = (ssh_site.docs / "a.md").read_text(encoding="utf-8")
    sig = re.findall(r"sshsig: '([^']*)'", text)[3]
    _replace_sshsig(ssh_site, "a.md", 3, mangle(sig))
    v = ssh_site.verdict("a.md")
    assert not v.published and code in codes(v)
    f = next(f for f in v.findings if f.code == code)
    assert f.field == "review.signatures[3].sshsig" and "陈领导" in f.message_zh
    assert "secrecy-gate sign" in f.fix_en and "第十条" in f.article


def _truncated(sig):
    from secrecy_gate.signatures import sshsig
    return sshsig.armour(sshsig.dearmour(sig)[:-9])


def _namespaced(sig):
    from secrecy_gate.signatures import sshsig
    priv, pub, _ = sshkeys.key("leader")
    return sshsig.sign_with(priv, pub, b"whatever", "git")


def test_signature_over_other_data_and_reordered_chain(ssh_site):
    """A valid signature copied from another page, and steps whose chain no longer holds."""
    ssh_site.write("a.md", page(BODY))
    ssh_site.write("b.md", page(BODY.replace("调研", "检查"), title="第二页"))
    ssh_site.sign_all("a.md")
    ssh_site.sign_all("b.md")
    a = re.findall(r"sshsig: '([^']*)'", (ssh_site.docs / "a.md").read_text(encoding="utf-8"))
    _replace_sshsig(ssh_site, "b.md", 3, a[3])
    v = ssh_site.verdict("b.md")
    assert "sshsig.invalid" in codes(v)
    # Dropping step 2 and re-adding it after step 3 breaks the chain of steps 3 and 4 too.
    ssh_site.write("c.md", page(BODY.replace("调研", "巡查"), title="第三页"))
    ssh_site.sign_all("c.md")
    p = ssh_site.docs / "c.md"
    lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
    idx = [i for i, l in enumerate(lines) if "sshsig:" in l]
    lines[idx[1]], lines[idx[2]] = lines[idx[2]], lines[idx[1]]
    p.write_text("".join(lines), encoding="utf-8")
    ssh_site.commit_all("换序")
    assert "sshsig.invalid" in codes(ssh_site.verdict("c.md"))


def test_unknown_key_and_missing_signature(ssh_site):
    ssh_site.write("a.md", page(BODY))
    for step in ("originator", "originator_head", "secrecy_office"):
        ssh_site.sign(step and "a.md", step)
    from secrecy_gate.core.frontmatter import parse
    from secrecy_gate.core.record import parse_record
    from secrecy_gate.signatures import messages, sshsig
    doc = parse((ssh_site.docs / "a.md").read_bytes())
    rec, _ = parse_record(doc.meta, "a.md")
    entry = {"step": "leader", "name": "陈领导", "date": TODAY, "opinion": "主动公开",
             "digest": rec.signatures[0].digest}
    priv, pub, _ = sshkeys.key("stranger")
    entry["sshsig"] = sshsig.sign_with(priv, pub, messages.entry_message("signature", entry, rec.signatures),
                                       messages.NAMESPACE)
    ssh_site.add_entry("a.md", entry, who="leader")
    v = ssh_site.verdict("a.md")
    assert "sshsig.unknown-key" in codes(v)
    assert pub.fingerprint in next(f for f in v.findings if f.code == "sshsig.unknown-key").message_zh


def _rotated_roster(version: int, leader_key: str) -> str:
    text = ssh_roster(ROSTER).replace("version: 1", f"version: {version}")
    return text.replace(sshkeys.public_line("leader"), sshkeys.public_line(leader_key))


def test_key_rotation_judged_as_of_signing(ssh_site):
    ssh_site.write("old.md", page(BODY))
    ssh_site.sign_all("old.md")
    fork = ssh_site.git("rev-parse", "HEAD").strip()
    ssh_site.change_roster(_rotated_roster(2, "leader-new"))  # the old key revoked
    assert ssh_site.verdict("old.md").published  # signed while the old key was the leader's
    # After the rotation the old key signs nothing new.
    ssh_site.write("new.md", page(BODY.replace("调研", "督查"), title="新页"))
    for step in ("originator", "originator_head", "secrecy_office"):
        ssh_site.sign("new.md", step)
    with pytest.raises(Exception, match="SHA256:"):
        ssh_site.sign("new.md", "leader")  # the tool refuses the revoked key
    ssh_site.keys_of = {"leader": "leader-new"}
    ssh_site.sign("new.md", "leader")
    assert ssh_site.verdict("new.md").published
    # A branch forked before the revocation, signed there with the old key, merged after.
    ssh_site.keys_of = {}
    ssh_site.git("checkout", "-q", "-b", "late", fork)
    ssh_site.write("late.md", page(BODY.replace("调研", "检验"), title="晚页"))
    ssh_site.sign_all("late.md")
    ssh_site.git("checkout", "-q", "main")
    ssh_site.git("merge", "-q", "--no-edit", "late")
    v = ssh_site.verdict("late.md")
    assert "sshsig.revoked-key" in codes(v)
    ssh_site.build()
    ssh_site.assert_absent("检验")


def test_key_validity_window(make_site):
    roster = ssh_roster(ROSTER).replace(
        f"keys: [{sshkeys.public_line('leader')}]",
        f"keys: [{{key: {sshkeys.public_line('leader')}, valid_before: 2020-12-31}}]")
    site = make_site(ssh=False, roster=roster, plugin_options="      signatures: ssh\n")
    site.ssh = True
    site.write("a.md", page(BODY))
    for step in ("originator", "originator_head", "secrecy_office", "leader"):
        site.sign("a.md", step)
    assert "sshsig.key-expired" in codes(site.verdict("a.md"))


def test_migration_keeps_git_proven_pages(make_site):
    site = make_site()
    site.write("old.md", page(BODY))
    site.sign_all("old.md")
    # Keys distributed (roster v2, approved the git way), then the policy switched: the
    # cut-over is the last commit judged the git way.
    site.change_roster(ssh_roster(ROSTER).replace("version: 1", "version: 2"))
    cut = site.git("rev-parse", "HEAD").strip()
    site.ssh = True
    cfg = (site.root / "mkdocs.yml").read_text(encoding="utf-8")
    site.set_mkdocs_yml(cfg + "      signatures: ssh\n      ssh_since: " + cut + "\n")
    assert site.verdict("old.md").published
    # After the cut-over, an entry written the git way is not enough.
    site.write("new.md", page(BODY.replace("调研", "督导"), title="新页"))
    for step in ("originator", "originator_head", "secrecy_office", "leader"):
        site.add_entry("new.md", {"step": step, "name": PEOPLE[step][0], "date": TODAY,
                                  "opinion": "主动公开"}, who=step)
    assert "sshsig.missing" in codes(site.verdict("new.md"))
    site.write("signed.md", page(BODY.replace("调研", "督办"), title="签名页"))
    site.sign_all("signed.md")
    assert site.verdict("signed.md").published
    from secrecy_gate.desk.auditreport import build_report
    from secrecy_gate.desk.auditrender import states_text
    report = build_report(site.gate_config(), ["old.md", "signed.md"], lang="en")
    states = {p.path: [states_text(e, "en") for e in p.trail if e.current] for p in report.pages}
    assert all("proven by the git author" in s for s in states["old.md"]) and len(states["old.md"]) == 4
    assert all("proven by its SSH signature (key SHA256:" in s for s in states["signed.md"])
    assert all(e.valid for p in report.pages for e in p.trail if e.current)


def test_pinned_admin_keys(ssh_site, monkeypatch):
    ssh_site.write("a.md", page(BODY))
    ssh_site.sign_all("a.md")
    fps = " ".join(sshkeys.key(w)[1].fingerprint for w in ("secrecy_office", "leader"))
    monkeypatch.setenv("SECRECY_GATE_ADMIN_KEYS", fps)
    review = ssh_site.review()
    assert "trust-root.keys-unapproved" in {f.code for f in review.site_findings}
    assert not review.pages["a.md"].published
    from conftest import identity, _signer
    from secrecy_gate.desk.approve import approve_roster
    for who in ("secrecy_office", "leader"):
        with identity(ssh_site.env(who)):
            approve_roster(ssh_site.gate_config(), signer=_signer())
    assert ssh_site.verdict("a.md").published
    # The CI pins keys: a mkdocs.yml that goes back to git authors withholds everything.
    cfg = (ssh_site.root / "mkdocs.yml").read_text(encoding="utf-8")
    ssh_site.set_mkdocs_yml(cfg.replace("signatures: ssh", "signatures: git"))
    review = ssh_site.review()
    assert "signatures.downgrade" in {f.code for f in review.site_findings}
    assert not review.pages["a.md"].published


def test_forged_roster_approval_counts_for_nothing(ssh_site):
    """The editor adds themselves as leader and 'approves' as both admins by git author."""
    text = ssh_roster(ROSTER).replace("version: 1", "version: 2").replace(
        "steps: [leader, admin]", "steps: [admin]") + (
        "  - name: 网站编辑\n    emails: [editor@city.gov.cn]\n    agency: city-office\n"
        f"    steps: [leader]\n    keys: [{sshkeys.public_line('editor')}]\n")
    (ssh_site.root / "reviews" / "roster.yml").write_text(text, encoding="utf-8")
    ssh_site.commit_all("名册变更")
    from secrecy_gate.core.roster import parse_roster
    digest = parse_roster(text).digest
    for who in ("secrecy_office", "leader"):
        p = ssh_site.root / "reviews" / "roster.yml"
        p.write_text(p.read_text(encoding="utf-8")
                     + ("approvals:\n" if "approvals:" not in p.read_text(encoding="utf-8") else "")
                     + f"  - {{name: {PEOPLE[who][0]}, date: {TODAY}, digest: '{digest}'}}\n",
                     encoding="utf-8")
        ssh_site.commit_all("批准", who=who)  # forged author
    review = ssh_site.review()
    assert review.roster.version == 1


def test_inputs_approval_with_a_key_revoked_on_the_main_line(ssh_site):
    """An administrator's key withdrawn by a roster version on the main line no longer
    approves build inputs on a branch forked before, once merged (as for entries)."""
    ssh_site.write("a.md", page(BODY))
    ssh_site.sign_all("a.md")
    fork = ssh_site.git("rev-parse", "HEAD").strip()
    ssh_site.change_roster(_rotated_roster(2, "leader-new"))  # the leader's old key revoked
    ssh_site.git("checkout", "-q", "-b", "late", fork)
    cfg = (ssh_site.root / "mkdocs.yml").read_text(encoding="utf-8")
    ssh_site.set_mkdocs_yml(cfg.replace("site_name: 测试站点", "site_name: 测试站点\ncopyright: 分支上改的版权"),
                            approve=False)
    ssh_site.commit_all("改配置")
    ssh_site.approve_inputs()  # the leader approves with the old key, valid on this line
    assert ssh_site.verdict("a.md").published
    ssh_site.git("checkout", "-q", "main")
    ssh_site.git("merge", "-q", "--no-edit", "late")
    ssh_site.auto_inputs = False
    found = {f.code for f in ssh_site.review().site_findings}
    assert "site-inputs.unapproved" in found, found
