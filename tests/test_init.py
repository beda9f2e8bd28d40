"""`secrecy-gate init`, the pre-commit mode of `check`, and the CI examples.

Real parts only: a real MkDocs site in a real git repository (several
identities), the real command line, real `mkdocs build`s and the real
`pre-commit` tool running the hook that init wrote.
"""

from __future__ import annotations

import os
import re
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import PEOPLE, ROSTER, STEPS, identity, page, ssh_roster
import sshkeys

from secrecy_gate.cli import main
from secrecy_gate.desk.init import add_plugin, plugin_names
from secrecy_gate.desk.init import _yaml as rt_yaml

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # secrecy-gate and pre-commit as installed beside this Python

# A site as a web team has it: comments, environment tags and Python-name tags.
MKDOCS_YML = """\
# 示例市人民政府网站 — maintained by the web team
site_name: !ENV [SITE_NAME, "示例市人民政府"]
site_url: https://www.example.gov.cn/

theme:
  name: mkdocs   # the built-in theme
  locale: zh

markdown_extensions:
  - toc:
      permalink: true
  - pymdownx.superfences:
      custom_fences:
        - name: mermaid
          class: mermaid
          format: !!python/name:pymdownx.superfences.fence_code_format

extra:
  version: !ENV
    - SITE_VERSION
    - dev

plugins:
  - search:
      lang: zh
# keep the list short

nav:
  - 首页: index.md
  - 通知: notice.md
"""

CLEAN_BODY = "# 关于调整办公时间的通知\n\n自下月起，办公时间调整为上午九时至下午五时。\n"


def git(root: Path, *args: str, who: str = "editor", check: bool = True) -> subprocess.CompletedProcess:
    name, email = PEOPLE[who]
    env = dict(os.environ, GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email,
               GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email)
    return subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True, check=check)


def make_site(root: Path, mkdocs_yml: str = MKDOCS_YML, docs: str = "docs") -> Path:
    """An existing MkDocs site, committed, without the gate."""
    (root / docs).mkdir(parents=True)
    (root / "mkdocs.yml").write_text(mkdocs_yml, encoding="utf-8")
    (root / docs / "index.md").write_text("# 首页\n", encoding="utf-8")
    top = root
    while not (top / ".git").exists() and top != top.parent:
        top = top.parent
    if not (top / ".git").exists():
        git(root, "init", "-q", "-b", "main")
        top = root
    git(top, "add", "-A")
    git(top, "commit", "-q", "-m", "existing site")
    return root


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.relative_to(root).parts}


@pytest.fixture
def fresh(tmp_path) -> Path:
    return make_site(tmp_path / "site")


# -- init ---------------------------------------------------------------------------

def test_init_adds_plugin_and_keeps_every_other_byte(fresh, monkeypatch):
    code, out = run("init", "--site", str(fresh))
    assert code == 0, out
    text = (fresh / "mkdocs.yml").read_text(encoding="utf-8")
    # One inserted line: comments, !ENV and !!python/name: tags and layout untouched.
    assert text == MKDOCS_YML.replace("      lang: zh\n", "      lang: zh\n  - secrecy-gate: {signatures: ssh}\n")
    monkeypatch.setenv("SITE_NAME", "测试站点")
    from mkdocs.config import load_config
    cfg = load_config(config_file=str(fresh / "mkdocs.yml"))
    assert list(cfg.plugins) == ["search", "secrecy-gate"]
    assert cfg.site_name == "测试站点"
    assert "修改 mkdocs.yml" in out and "新建 reviews/roster.yml" in out


def test_init_writes_registers_the_gate_can_read(fresh):
    run("init", "--site", str(fresh))
    from secrecy_gate.core.roster import load_roster
    from secrecy_gate.scanners import Lexicon, load_lexicon
    from secrecy_gate.core.workdays import load_calendar
    roster = load_roster(fresh / "reviews" / "roster.yml")
    steps = {s for p in roster.people.values() for s in p.steps}
    assert steps == {*STEPS, "consent"}
    assert all(e.endswith("@example.invalid") for p in roster.people.values() for e in p.emails)
    assert load_calendar(fresh / "reviews" / "calendar.yml").years == set()
    assert load_lexicon(fresh / "reviews" / "lexicon.yml").as_dict() == Lexicon.default().as_dict()


def test_init_never_overwrites_an_existing_roster(fresh):
    (fresh / "reviews").mkdir()
    (fresh / "reviews" / "roster.yml").write_text(ROSTER, encoding="utf-8")
    code, out = run("init", "--site", str(fresh))
    assert code == 0
    assert (fresh / "reviews" / "roster.yml").read_text(encoding="utf-8") == ROSTER
    assert "保留 reviews/roster.yml" in out
    assert (fresh / "reviews" / "calendar.yml").exists()


def test_second_run_changes_nothing(fresh):
    run("init", "--site", str(fresh), "--ci", "github")
    before = snapshot(fresh)
    code, out = run("init", "--site", str(fresh), "--ci", "github", "--lang", "en")
    assert code == 0
    assert snapshot(fresh) == before
    assert "nothing to change" in out and "updated" not in out and "created" not in out


def test_dry_run_writes_nothing_and_prints_the_plan(fresh):
    before = snapshot(fresh)
    code, out = run("init", "--site", str(fresh), "--ci", "gitlab", "--dry-run")
    assert code == 0
    assert snapshot(fresh) == before
    assert "演练" in out and "将修改 mkdocs.yml" in out and "将新建 .gitlab-ci.yml" in out


@pytest.mark.parametrize("plugins, expected", [
    ("", ["search", "secrecy-gate"]),  # MkDocs' default is [search]
    ("plugins: [search, tags]\n", ["search", "tags", "secrecy-gate"]),
    ("plugins: []  # none at all\n", ["secrecy-gate"]),
    ("plugins:\n- search\n- tags:\n    enabled: !ENV [TAGS, true]\n", ["search", "tags", "secrecy-gate"]),
    ("plugins:\n  search: {}\n  tags: {}\n", ["search", "tags", "secrecy-gate"]),
    ("plugins:\n    - search\n\n\n# the end\n", ["search", "secrecy-gate"]),
])
def test_add_plugin_forms(plugins, expected):
    text = "site_name: x\n" + plugins + ("theme: mkdocs\n" if "end" not in plugins else "")
    new = add_plugin(text, rt_yaml().load(text))
    assert plugin_names(rt_yaml().load(new).get("plugins")) == expected
    # A new site proves its signers by SSH signatures (DOCNOTES-ssh.md).
    from secrecy_gate.desk.init import plugin_options
    assert plugin_options(rt_yaml().load(new)) == {"signatures": "ssh"}
    assert len(new.splitlines()) - len(text.splitlines()) in (0, 1, 3)  # one line, or the default block


def test_plugin_already_present_is_left_as_is(tmp_path):
    yml = MKDOCS_YML.replace("      lang: zh\n", "      lang: zh\n  - secrecy-gate:\n      language: en\n")
    site = make_site(tmp_path / "s", yml)
    code, out = run("init", "--site", str(site))
    assert code == 0
    assert (site / "mkdocs.yml").read_text(encoding="utf-8") == yml
    assert "plugins 中已有 secrecy-gate" in out


def test_inherited_config_is_left_to_the_user(tmp_path):
    site = make_site(tmp_path / "s", "INHERIT: base.yml\nsite_name: x\n")
    code, out = run("init", "--site", str(site))
    assert code == 1
    assert (site / "mkdocs.yml").read_text(encoding="utf-8") == "INHERIT: base.yml\nsite_name: x\n"
    assert "需手工处理 mkdocs.yml" in out and "- secrecy-gate" in out


def test_unparsable_precommit_config_is_left_to_the_user(tmp_path):
    """A .pre-commit-config.yaml init cannot read is not touched, and the message names
    where the hook's instructions are (docs/ci.md), in both languages."""
    site = make_site(tmp_path / "s")
    broken = "repos: [\n  - {repo: local\n"
    (site / ".pre-commit-config.yaml").write_text(broken, encoding="utf-8")
    code, out = run("init", "--site", str(site))
    assert code == 1
    assert (site / ".pre-commit-config.yaml").read_text(encoding="utf-8") == broken
    assert "请手工加入 secrecy-gate 钩子" in out and "docs/ci.md" in out and "README" not in out
    code, out = run("init", "--site", str(site), "--lang", "en", "--dry-run")
    assert code == 1 and "add the secrecy-gate hook by hand (see docs/ci.md#pre-commit-hook)" in out
    assert (REPO / "docs" / "ci.md").read_text(encoding="utf-8").count("\n## Pre-commit hook\n") == 1


def test_refuses_without_mkdocs_yml(tmp_path):
    (tmp_path / "empty").mkdir()
    code, out = run("init", "--site", str(tmp_path / "empty"))
    assert code == 1 and "没有 mkdocs.yml" in out


def test_refuses_outside_git_and_says_why(tmp_path):
    site = tmp_path / "nogit"
    site.mkdir()
    (site / "mkdocs.yml").write_text("site_name: x\n", encoding="utf-8")
    code, out = run("init", "--site", str(site), "--lang", "en")
    assert code == 1
    assert "git init" in out and "history" in out
    assert not (site / "reviews").exists()


# -- after init: a real review and real builds --------------------------------------

def _person(who: str) -> dict:
    """A person's git identity, with git's user.signingKey set to their TEST ONLY key."""
    name, email = PEOPLE[who]
    return dict(GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME=name,
                GIT_COMMITTER_EMAIL=email, GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="user.signingKey",
                GIT_CONFIG_VALUE_0=str(sshkeys.key(who)[2]))


def _fill_roster(site: Path) -> None:
    """The team fills the roster, each person with their key (init wrote signatures: ssh)."""
    (site / "reviews" / "roster.yml").write_text(ssh_roster(ROSTER), encoding="utf-8")
    if not sshkeys.HAVE_SSH_KEYGEN:  # `sign` and `approve` call OpenSSH; without it, git mode
        yml = (site / "mkdocs.yml").read_text(encoding="utf-8")
        (site / "mkdocs.yml").write_text(yml.replace("signatures: ssh", "signatures: git"), encoding="utf-8")


def _sign_all(site: Path, rel: str):
    from secrecy_gate.cli import load_gate_config
    from secrecy_gate.desk.signing import sign
    gc = load_gate_config(str(site / "mkdocs.yml"))
    for step in STEPS:
        with identity(_person(step)):
            sign(site / "docs" / rel, step, "主动公开", None, gc, commit=True)


def _approve_inputs(site: Path):
    """What the team does after init: record the build inputs, commit, two administrators
    approve them — with the real commands."""
    old = os.getcwd()
    os.chdir(site)
    try:
        code, out = run("inputs", "--record")
        assert code == 0, out
        git(site, "add", "reviews/site.yml")
        git(site, "commit", "-q", "-m", "记录构建输入")
        for who in ("secrecy_office", "leader"):
            with identity(_person(who)):
                code, out = run("approve", "inputs")
            assert code == 0, out
    finally:
        os.chdir(old)


def _build(site: Path):
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    cfg = load_config(config_file=str(site / "mkdocs.yml"))
    cfg.plugins.on_startup(command="build", dirty=False)
    try:
        build(cfg)
    finally:
        cfg.plugins.on_shutdown()


def _all_output(site: Path) -> str:
    return "".join(p.read_text("utf-8", "replace") for p in (site / "site").rglob("*") if p.is_file())


def test_after_init_a_signed_page_publishes_and_an_unsigned_one_is_withheld(fresh, caplog):
    run("init", "--site", str(fresh))
    _fill_roster(fresh)
    (fresh / "docs" / "index.md").write_text(page("# 首页\n\n本站发布经保密审查的政府信息甲乙丙。\n"), encoding="utf-8")
    (fresh / "docs" / "notice.md").write_text(page("# 草稿\n\n尚未审查的草稿丁戊己。\n"), encoding="utf-8")
    git(fresh, "add", "-A")
    git(fresh, "commit", "-q", "-m", "接入 secrecy-gate")
    _approve_inputs(fresh)
    _sign_all(fresh, "index.md")

    # As init configured it (fail_on_withheld defaults to true): the unsigned page stops the build.
    from mkdocs.exceptions import Abort, PluginError
    with pytest.raises((PluginError, Abort)):
        _build(fresh)
    assert "- notice.md: " in caplog.text and "index.md:" not in caplog.text
    assert not (fresh / "site").exists() or "尚未审查的草稿丁戊己" not in _all_output(fresh)

    # With withheld pages allowed, the same build publishes the signed page only.
    yml = (fresh / "mkdocs.yml").read_text(encoding="utf-8")
    (fresh / "mkdocs.yml").write_text(re.sub(r"  - secrecy-gate: \{signatures: (\w+)\}\n",
                                             r"  - secrecy-gate:\n      signatures: \1\n"
                                             r"      fail_on_withheld: false\n", yml), encoding="utf-8")
    git(fresh, "commit", "-q", "-am", "允许不发布的页面")
    _approve_inputs(fresh)  # a changed option is a changed build input
    _build(fresh)
    out = _all_output(fresh)
    assert "本站发布经保密审查的政府信息甲乙丙" in out
    assert "尚未审查的草稿丁戊己" not in out
    assert not (fresh / "site" / "notice").exists()


# -- CI -------------------------------------------------------------------------------

PLAIN_YML = "site_name: 示例\ntheme: mkdocs\nplugins:\n  - search\n"  # needs nothing but MkDocs


def test_github_workflow_fetches_full_history_and_matches_the_example(tmp_path):
    fresh = make_site(tmp_path / "plain", PLAIN_YML)
    run("init", "--site", str(fresh), "--ci", "github")
    path = fresh / ".github" / "workflows" / "secrecy-gate.yml"
    assert path.read_bytes() == (REPO / "examples" / "ci" / "github-actions.yml").read_bytes()
    jobs = yaml.safe_load(path.read_text(encoding="utf-8"))["jobs"]
    for job in ("build", "verify"):
        steps = jobs[job]["steps"]
        checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
        assert checkout["with"]["fetch-depth"] == 0
        python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
        assert python["with"]["python-version"] == "3.11"
        assert "vars.SECRECY_GATE_TRUST_ROOT" in jobs[job]["env"]["SECRECY_GATE_TRUST_ROOT"]
    # Not forced: many live sites do not build --strict; the file says how to add it.
    assert "mkdocs build" in [s.get("run", "") for s in jobs["build"]["steps"]]
    assert "Add --strict once" in path.read_text(encoding="utf-8")
    # The check that a hook in the build could tamper with runs in a job of its own, which
    # installs nothing from the repository and runs no mkdocs.
    assert jobs["verify"]["needs"] == "build"
    verify = " ".join(s.get("run", "") for s in jobs["verify"]["steps"])
    assert "secrecy-gate verify-site site" in verify
    assert "requirements" not in verify and "mkdocs build" not in verify


def test_gitlab_job_matches_the_example_and_an_existing_file_is_not_clobbered(tmp_path):
    site = make_site(tmp_path / "a", PLAIN_YML)
    run("init", "--site", str(site), "--ci", "gitlab")
    assert (site / ".gitlab-ci.yml").read_bytes() == (REPO / "examples" / "ci" / "gitlab-ci.yml").read_bytes()
    jobs = yaml.safe_load((site / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    build, verify = jobs["secrecy-gate-build"], jobs["secrecy-gate-verify"]
    assert str(build["variables"]["GIT_DEPTH"]) == "0" == str(verify["variables"]["GIT_DEPTH"])
    assert build["script"][-1] == "mkdocs build"
    assert verify["needs"] == ["secrecy-gate-build"]
    assert verify["script"] == ["pip install mkdocs-secrecy-gate", "secrecy-gate verify-site site"]

    other = make_site(tmp_path / "b", PLAIN_YML)
    own = "stages: [test]\nlint:\n  script: [make lint]\n"
    (other / ".gitlab-ci.yml").write_text(own, encoding="utf-8")
    code, out = run("init", "--site", str(other), "--ci", "gitlab")
    assert code == 0
    assert (other / ".gitlab-ci.yml").read_text(encoding="utf-8") == own
    assert (other / "secrecy-gate.gitlab-ci.yml").read_bytes() == (site / ".gitlab-ci.yml").read_bytes()
    assert "include" in out and "secrecy-gate.gitlab-ci.yml" in out


def test_site_below_the_repository_top(tmp_path):
    top = tmp_path / "repo"
    top.mkdir()
    git(top, "init", "-q", "-b", "main")
    site = make_site(top / "website")
    run("init", "--site", str(site), "--ci", "github")
    hook = yaml.safe_load((top / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"][0]["hooks"][0]
    assert hook["args"] == ["--config-file", "website/mkdocs.yml"]
    assert re.search(hook["files"], "website/docs/a.md") and not re.search(hook["files"], "README.md")
    job = yaml.safe_load((top / ".github/workflows/secrecy-gate.yml").read_text(encoding="utf-8"))["jobs"]["build"]
    assert job["defaults"]["run"]["working-directory"] == "website"


# -- check --pre-commit ------------------------------------------------------------------

ID_NUMBER = "11010519491231002X"  # GB 11643 test vector: valid check character and birth date


def _draft(title="草稿"):
    """What `secrecy-gate new` writes: an empty record."""
    from secrecy_gate.cli import new_page_text
    return new_page_text(title, "city-office")


PRE_COMMIT_CASES = [
    ("unsigned clean draft", _draft() + CLEAN_BODY, False, None),
    ("complete record, no signature", page(CLEAN_BODY), False, None),
    ("plain Markdown, no front matter", CLEAN_BODY, False, None),
    ("marking in a draft", _draft() + "秘密★1年\n\n" + CLEAN_BODY, True, "content.marking"),
    ("marking on a 不予公开 page", page("机密★\n\n内容\n", disclosure="不予公开"), True, "content.marking"),
    ("ID number", page(f"申请人身份证号 {ID_NUMBER}。\n"), True, "content.resident-id"),
    ("ID number without front matter", f"身份证号：{ID_NUMBER}\n", True, "content.resident-id"),
    ("mobile number", _draft() + "联系人手机 13812345678\n", True, "content.mobile"),
    ("masked ID number", page("申请人身份证号 110105********002X。\n"), False, None),
    ("allowed with a reason", page(f"号码 {ID_NUMBER}\n", review_extra=f"""\
        pii_allowed:
          - {{value: "{ID_NUMBER}", reason: 依法公示}}
        """), False, None),
    ("unbalanced secret point", page("<!-- 密点 -->未闭合的内容\n", disclosure="删减后公开",
                                     review_extra="redactions: 1\n"), True, "redaction.markers"),
    ("unparseable front matter", "---\ntitle: [未闭合\n---\n正文\n", True, "front-matter.yaml"),
    ("unclosed front matter", "---\ntitle: 通知\n正文\n", True, "front-matter.unclosed"),
]


@pytest.mark.parametrize("name, text, blocked, code", PRE_COMMIT_CASES, ids=[c[0] for c in PRE_COMMIT_CASES])
def test_pre_commit_blocks_only_what_must_not_enter_the_repository(site, name, text, blocked, code):
    path = site.write("new.md", text, commit=False)
    site.git("add", "content/new.md")
    rc, out = run("check", "--pre-commit", "-f", str(site.root / "mkdocs.yml"), str(path))
    assert rc == (1 if blocked else 0), out
    if code:
        assert code in out and "不得提交" in out
    else:
        assert "可以提交" in out
    if name == "complete record, no signature":
        assert "signature.missing" in out  # reported, not blocking: drafts are committed before review


def test_pre_commit_skips_files_outside_docs_and_reads_no_history(site):
    (site.root / "README.md").write_text(f"秘密★1年 {ID_NUMBER}\n", encoding="utf-8")
    path = site.write("a.md", page(CLEAN_BODY), commit=False)  # never committed: no history exists
    rc, out = run("check", "--pre-commit", "--lang", "en", "--format", "json",
                  "-f", str(site.root / "mkdocs.yml"), str(site.root / "README.md"), str(path))
    assert rc == 0, out
    data = json.loads(out)
    assert data["files"][0]["skipped"] and not data["files"][1]["blocked"]
    codes = {f["code"] for f in data["files"][1]["findings"]}
    assert "signature.missing" in codes and not any(c.startswith("git.") for c in codes)


def test_pre_commit_hooks_yaml_parses_and_its_entry_runs(site):
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "secrecy-gate")
    assert hook["language"] == "python"
    # Pages and the documents `check --pre-commit` reads; not images or code.
    assert re.search(hook["files"], "content/a.md") and re.search(hook["files"], "content/a.PDF")
    assert not re.search(hook["files"], "content/a.png") and not re.search(hook["files"], "hooks/a.py")
    marked = site.write("marked.md", page("秘密★1年\n\n内容\n"), commit=False)
    clean = site.write("clean.md", _draft() + CLEAN_BODY, commit=False)
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    for path, expected in ((marked, 1), (clean, 0)):
        proc = subprocess.run([*shlex.split(hook["entry"]), str(path)], cwd=site.root, env=env,
                              capture_output=True, text=True)
        assert proc.returncode == expected, proc.stdout + proc.stderr


@pytest.mark.skipif(not (BIN / "pre-commit").exists(), reason="pre-commit is a test extra")
def test_the_hook_init_wrote_refuses_a_marked_commit(fresh):
    run("init", "--site", str(fresh))
    (fresh / "reviews" / "roster.yml").write_text(ROSTER, encoding="utf-8")
    git(fresh, "add", "-A")
    git(fresh, "commit", "-q", "-m", "接入 secrecy-gate")
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    subprocess.run([str(BIN / "pre-commit"), "install"], cwd=fresh, env=env, check=True, capture_output=True)

    def commit(rel: str, text: str) -> subprocess.CompletedProcess:
        (fresh / "docs" / rel).write_text(text, encoding="utf-8")
        git(fresh, "add", f"docs/{rel}")
        name, email = PEOPLE["editor"]
        return subprocess.run(["git", "commit", "-q", "-m", rel], cwd=fresh, capture_output=True, text=True,
                              env=dict(env, GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email,
                                       GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email))

    refused = commit("notice.md", _draft() + "绝密★长期\n\n" + CLEAN_BODY)
    assert refused.returncode != 0
    assert "content.marking" in refused.stdout + refused.stderr
    assert "notice.md" not in git(fresh, "ls-tree", "-r", "--name-only", "HEAD").stdout
    accepted = commit("notice.md", _draft() + CLEAN_BODY)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "docs/notice.md" in git(fresh, "ls-tree", "-r", "--name-only", "HEAD").stdout


def test_templates_are_package_data():
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert '"templates/*.yml"' in text
    shipped = {p.name for p in (REPO / "plugin" / "secrecy_gate" / "templates").glob("*.yml")}
    assert shipped == {"roster.yml", "calendar.yml", "lexicon.yml", "github-actions.yml", "gitlab-ci.yml"}
