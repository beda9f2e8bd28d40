"""The pull-request flow: ``secrecy-gate status --base REV`` and the CI jobs that post it.

Real git repositories (``conftest.Site``): a branch that adds, modifies and renames pages
against main, reviewers who sign on the branch with the command the report gives, clones
that lack the base.  The Markdown is read back with a CommonMark + GFM-table parser, so a
title or path that broke the table or put markup into the note would show.  The CI
templates are parsed as YAML and their PR jobs' shell lines run for real in a clone.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import Site, page
from markdown_it import MarkdownIt

from secrecy_gate.cli import main
from secrecy_gate.desk.branch import md_code, md_text, shell_word
from secrecy_gate.desk.init import ci_text

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # where the `secrecy-gate` script is installed


def run(site: Site, who: str, *args: str):
    return CliRunner().invoke(main, [*args, "-f", str(site.root / "mkdocs.yml")], env=site.env(who))


def table(markdown: str) -> list[list[str]]:
    """The body rows of the report's table, each cell as the text a reader sees."""
    md = MarkdownIt("commonmark").enable("table")
    tokens = md.parse(markdown)
    rows, row, in_body, cell = [], None, False, None
    for t in tokens:
        if t.type == "tbody_open":
            in_body = True
        elif t.type == "tr_open" and in_body:
            row = []
        elif t.type == "tr_close" and in_body:
            rows.append(row)
        elif t.type == "td_open":
            cell = []
        elif t.type == "td_close":
            row.append("".join(cell))
            cell = None
        elif t.type == "inline" and cell is not None:
            for child in t.children:
                if child.type in ("text", "code_inline"):
                    cell.append(child.content)
                elif child.type in ("softbreak", "hardbreak") or (child.type == "html_inline"
                                                                   and child.content == "<br>"):
                    cell.append("\n")
                else:
                    cell.append(f"\0{child.type}:{child.content}")  # markup a repository put there
    return rows


@pytest.fixture
def branch_site(make_site):
    """main: three published pages; branch `feature` adds one, modifies one (its drafter has
    signed again on the branch) and renames one."""
    site = make_site()
    site.write("keep.md", page("# 保留\n正文\n", title="保留页"))
    site.write("b.md", page("# 乙\n原文\n", title="乙页"))
    site.write("c.md", page("# 丙\n正文\n", title="丙页"))
    for p in ("keep.md", "b.md", "c.md"):
        site.sign_all(p)
    assert all(site.verdict(p).published for p in ("keep.md", "b.md", "c.md"))
    site.git("switch", "-q", "-c", "feature")
    site.write("new.md", page("# 新\n正文\n", title="新页"))
    site.write("b.md", page("# 乙\n改过的原文\n", title="乙页"))
    site.sign("b.md", "originator")
    (site.docs / "sub").mkdir()
    site.git("mv", "content/c.md", "content/sub/c2.md")
    site.commit_all("移动 c.md")
    return site


def test_markdown_lists_exactly_the_changed_pages_with_next_step_and_command(branch_site):
    result = run(branch_site, "editor", "status", "--base", "main", "--format", "markdown")
    assert result.exit_code == 0, result.output
    rows = table(result.output)
    by_path = {r[0].split("\n")[-1]: r for r in rows}
    assert set(by_path) == {"content/b.md", "content/new.md", "content/c.md → content/sub/c2.md"}
    assert "keep.md" not in result.output  # unchanged on the branch
    _, change, state, nxt, cmd = by_path["content/new.md"]
    assert (change, state) == ("新增", "审查中 第1/4步") and nxt.endswith("王起草")
    assert cmd == "secrecy-gate sign content/new.md --step originator --opinion 主动公开"
    _, change, state, nxt, cmd = by_path["content/b.md"]
    assert (change, state) == ("修改", "审查中 第2/4步") and nxt.endswith("李科长")
    assert cmd == "secrecy-gate sign content/b.md --step originator_head --opinion 主动公开"
    where, change, state, nxt, cmd = by_path["content/c.md → content/sub/c2.md"]
    assert where.startswith("丙页\n") and change == "重命名"
    # git-proven signatures do not survive a rename: withheld, with the finding and its fix.
    assert state == "不发布" and "git.forged" in nxt and cmd == "secrecy-gate check content/sub/c2.md"
    assert "仅供参考" in result.output

    en = run(branch_site, "editor", "status", "--base", "main", "--format", "markdown", "--lang", "en")
    assert "in review: step 2/4" in en.output and "renamed" in en.output


def test_the_command_given_is_the_one_that_works(branch_site):
    """李科长 runs the report's command for b.md as written, on the branch: the next report
    names the third step and 赵保密."""
    rows = {r[0].split("\n")[-1]: r for r in table(
        run(branch_site, "editor", "status", "--base", "main", "--format", "markdown").output)}
    cmd = shlex.split(rows["content/b.md"][4])
    assert cmd[0] == "secrecy-gate"
    env = dict(branch_site.env("originator_head"), PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(cmd, cwd=branch_site.root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    after = {r[0].split("\n")[-1]: r for r in table(
        run(branch_site, "editor", "status", "--base", "main", "--format", "markdown").output)}
    assert after["content/b.md"][2] == "审查中 第3/4步" and after["content/b.md"][3].endswith("赵保密")
    assert after["content/b.md"][4] == "secrecy-gate sign content/b.md --step secrecy_office --opinion 主动公开"


def test_json_and_text_forms(branch_site):
    data = json.loads(run(branch_site, "editor", "status", "--base", "main", "--format", "json").output)
    rows = {r["path"]: r for r in data["rows"]}
    assert rows["content/sub/c2.md"]["old_path"] == "content/c.md"
    assert rows["content/new.md"]["who"] == ["王起草"] and rows["content/new.md"]["queue"]["step"] == 1
    assert data["merge_base"] == branch_site.git("merge-base", "main", "HEAD").strip()
    text = run(branch_site, "editor", "status", "--base", "main").output
    assert "$ secrecy-gate sign content/new.md --step originator --opinion 主动公开" in text


def test_deleted_pages_site_inputs_registers_and_ci_files_are_flagged(branch_site):
    site = branch_site
    (site.docs / "keep.md").unlink()
    cfg = (site.root / "mkdocs.yml").read_text(encoding="utf-8")
    (site.root / "mkdocs.yml").write_text(cfg.replace("测试站点", "改名的站点"), encoding="utf-8")
    (site.root / ".github" / "workflows").mkdir(parents=True)
    (site.root / ".github" / "workflows" / "secrecy-gate.yml").write_text("name: x\n", encoding="utf-8")
    (site.root / "README.md").write_text("说明\n", encoding="utf-8")
    site.commit_all("删除、改配置")
    out = run(site, "editor", "status", "--base", "main", "--format", "markdown").output
    rows = {r[0].split("\n")[-1]: r for r in table(out)}
    assert rows["content/keep.md"][1:3] == ["删除", "合并后从网站移除"]
    assert "site-inputs.changed" in rows["mkdocs.yml"][2]
    assert rows["mkdocs.yml"][4] == "secrecy-gate inputs --record"
    assert "CI" in rows[".github/workflows/secrecy-gate.yml"][2]
    assert "README.md" not in rows  # not review-relevant
    # The changed configuration withholds every page, and the report says so first.
    assert out.index("站点问题") < out.index("| 页面或文件")


def test_a_roster_change_on_the_branch_names_the_administrators(branch_site):
    site = branch_site
    roster = site.roster_text().replace("version: 1", "version: 2")
    (site.root / "reviews" / "roster.yml").write_text(roster, encoding="utf-8")
    site.commit_all("名册第 2 版")
    rows = {r[0].split("\n")[-1]: r for r in table(
        run(site, "editor", "status", "--base", "main", "--format", "markdown").output)}
    _, change, state, nxt, cmd = rows["reviews/roster.yml"]
    assert change == "修改" and "第 2 版待批准" in state
    assert "赵保密" in nxt and "陈领导" in nxt and cmd == "secrecy-gate approve roster"


HOSTILE_TITLE = "通知 | 第二列 `代码` <script>alert(1)</script> @admin #1 ![x](y) [链接](http://e.invalid)\n第二行"


def test_titles_and_paths_cannot_break_the_table_or_inject_markup(make_site):
    site = make_site()
    site.write("base.md", page("# 基\n", title="基"))
    site.git("switch", "-q", "-c", "feature")
    site.write("hostile.md", page("# 恶意\n", title=json.dumps(HOSTILE_TITLE, ensure_ascii=False)))
    odd = "we|ird`na``me <b>.md"
    site.write(odd, page("# 怪\n", title="怪"))
    out = run(site, "editor", "status", "--base", "main", "--format", "markdown").output
    html = MarkdownIt("commonmark").enable("table").render(out)
    assert "<script" not in html and "<b>" not in html and "<img" not in html and "<a " not in html
    rows = table(out)
    assert len(rows) == 2 and all(len(r) == 5 for r in rows)  # one row each, five cells each
    hostile = next(r for r in rows if r[0].endswith("content/hostile.md"))
    assert hostile[0].split("\n")[0] == " ".join(HOSTILE_TITLE.split())  # the title, shown literally
    weird = next(r for r in rows if "we|ird" in r[0])
    assert weird[0] == f"怪\ncontent/{odd}"
    assert shlex.split(weird[4]) == ["secrecy-gate", "sign", f"content/{odd}", "--step", "originator",
                                     "--opinion", "主动公开"]
    assert "\0" not in "".join(c for r in rows for c in r)  # text and code only: no link, image, HTML


@pytest.mark.parametrize("text", ["a|b", "`x`", "``", "a\nb", "<script>", "@x #1 ~l !2 %m $s &e", ""])
def test_escaping_round_trips(text):
    md = MarkdownIt("commonmark").enable("table")
    line = f"| {md_text(text)} | {md_code(text or 'x')} |"
    rows = table("| a | b |\n|---|---|\n" + line + "\n")
    assert rows == [[" ".join(text.split()), (text or "x").replace("\n", " ")]]
    assert "<" not in md.renderInline(md_text(text)).replace("&lt;", "")


def test_shell_word_keeps_any_path_on_one_line():
    for path in ("content/通知.md", "a b.md", "it's.md", "new\nline.md", "bad\udcffbyte.md"):
        word = shell_word(path)
        assert "\n" not in word
        out = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True).stdout
        assert out == path.encode("utf-8", "surrogateescape")
    assert shell_word("主动公开") == "主动公开"


# -- bad --base ----------------------------------------------------------------------

def test_unknown_base_is_a_clear_bilingual_usage_error(branch_site):
    result = run(branch_site, "editor", "status", "--base", "origin/nope", "--format", "markdown")
    assert result.exit_code == 2
    assert "未知的基准版本 origin/nope" in result.output and "unknown base revision origin/nope" in result.output
    assert "|" not in result.output  # no report


def test_markdown_needs_base(branch_site):
    result = run(branch_site, "editor", "status", "--format", "markdown")
    assert result.exit_code == 2 and "--base" in result.output


def test_shallow_clone_without_the_base_says_to_fetch_the_whole_history(branch_site, tmp_path):
    clone = Site.clone(branch_site, tmp_path / "shallow", "--depth", "1", "--branch", "feature")
    result = run(clone, "editor", "status", "--base", "origin/main", "--format", "markdown")
    assert result.exit_code == 2
    assert "浅克隆" in result.output and "shallow clone" in result.output
    assert "fetch-depth: 0" in result.output and "GIT_DEPTH" in result.output
    assert "git fetch --unshallow" in result.output


def test_shallow_clone_without_a_common_ancestor_says_the_same(branch_site, tmp_path):
    branch_site.git("switch", "-q", "main")
    branch_site.write("later.md", page("# 后\n"))  # main moves on: the tips diverge
    clone = Site.clone(branch_site, tmp_path / "shallow2", "--depth", "1", "--no-single-branch",
                       "--branch", "feature")
    assert clone.git("rev-parse", "--verify", "origin/main")
    result = run(clone, "editor", "status", "--base", "origin/main")
    assert result.exit_code == 2 and "共同祖先" in result.output and "fetch-depth: 0" in result.output


# -- the CI jobs ---------------------------------------------------------------------

DEPLOYS = ("deploy", "gh-pages", "gh-deploy", "pages", "upload-artifact", "rsync", "scp ", "mkdocs build",
           "git push")


def test_github_template_has_an_informational_pull_request_job_that_cannot_deploy():
    text = ci_text("github")
    assert text == (REPO / "examples" / "ci" / "github-actions.yml").read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    assert "pull_request" in doc[True]  # YAML 1.1 reads the key `on` as true
    job = doc["jobs"]["pr-status"]
    assert job["if"] == "github.event_name == 'pull_request'"
    assert job["permissions"] == {"contents": "read"}
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@") and checkout["with"]["fetch-depth"] == 0
    assert checkout["with"]["ref"] == "${{ github.event.pull_request.head.sha }}"
    runs = [s.get("run", "") for s in job["steps"]]
    assert any('secrecy-gate status --base "origin/$GITHUB_BASE_REF" --format markdown >> "$GITHUB_STEP_SUMMARY"'
               == r for r in runs)
    # What the job does (actions used, commands run): nothing that deploys, builds or pushes.
    body = " ".join(s.get("uses", "") + " " + s.get("run", "") for s in job["steps"]).lower()
    assert not any(d in body for d in DEPLOYS), "the PR job must not be able to publish"
    assert "requirements" not in body and "continue-on-error" not in job
    # No other job depends on it, and the site below the repository top runs it there too.
    assert all("pr-status" not in json.dumps(j.get("needs", "")) for j in doc["jobs"].values())
    sub = yaml.safe_load(ci_text("github", "website"))["jobs"]["pr-status"]
    assert sub["defaults"]["run"]["working-directory"] == "website"


def test_gitlab_template_has_an_informational_merge_request_job_that_cannot_deploy():
    text = ci_text("gitlab")
    assert text == (REPO / "examples" / "ci" / "gitlab-ci.yml").read_text(encoding="utf-8")
    job = yaml.safe_load(text)["secrecy-gate-mr-status"]
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert str(job["variables"]["GIT_DEPTH"]) == "0"
    assert not ({"artifacts", "environment", "allow_failure", "needs"} & set(job))
    script = "\n".join(job["script"])
    assert 'secrecy-gate status --base "origin/${CI_MERGE_REQUEST_TARGET_BRANCH_NAME}" --format markdown' in script
    assert "/merge_requests/${CI_MERGE_REQUEST_IID}/notes" in script and "SECRECY_GATE_NOTE_TOKEN" in script
    assert not any(d in script.lower() for d in DEPLOYS)
    sub = yaml.safe_load(ci_text("gitlab", "website"))["secrecy-gate-mr-status"]
    assert sub["script"][0] == "cd website"


def _ci_env(site: Site, **extra) -> dict:
    env = dict(site.env("editor"), PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", **extra)
    return env


def test_the_github_job_runs_as_written_on_a_pull_request_checkout(branch_site, tmp_path):
    """actions/checkout with fetch-depth 0 and the PR head: a full clone, detached at the head;
    the job's own `run:` line, as bash runs it, appends the report to the summary file."""
    clone = Site.clone(branch_site, tmp_path / "gh")
    head = branch_site.git("rev-parse", "feature").strip()
    clone.git("checkout", "-q", "--detach", head)
    step = yaml.safe_load(ci_text("github"))["jobs"]["pr-status"]["steps"][-1]["run"]
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    done = subprocess.run(["bash", "-e", "-c", step], cwd=clone.root, capture_output=True, text=True,
                          env=_ci_env(clone, GITHUB_BASE_REF="main", GITHUB_STEP_SUMMARY=str(summary)))
    assert done.returncode == 0, done.stderr
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n")
    assert {r[0].split("\n")[-1] for r in table(text)} == {
        "content/b.md", "content/new.md", "content/c.md → content/sub/c2.md"}


def test_the_gitlab_job_runs_as_written_in_a_merge_request_pipeline(branch_site, tmp_path):
    """A merge-request pipeline's checkout: the source branch only (GitLab fetches no target
    branch); the job fetches it, writes the report and, without a token, posts nothing."""
    clone = Site.clone(branch_site, tmp_path / "gl", "--single-branch", "--branch", "feature")
    assert clone.git("rev-parse", "--verify", "-q", "origin/main", check=False) == ""
    script = yaml.safe_load(ci_text("gitlab"))["secrecy-gate-mr-status"]["script"]
    assert script[0].startswith("pip install")
    env = _ci_env(clone, CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main", CI_API_V4_URL="http://127.0.0.1:9/api/v4",
                  CI_PROJECT_ID="1", CI_MERGE_REQUEST_IID="1")
    env.pop("SECRECY_GATE_NOTE_TOKEN", None)
    done = subprocess.run(["bash", "-e", "-c", "\n".join(script[1:])], cwd=clone.root, capture_output=True,
                          text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "SECRECY_GATE_NOTE_TOKEN is not set" in done.stdout
    report = (clone.root / "secrecy-gate-status.md").read_text(encoding="utf-8")
    assert {r[0].split("\n")[-1] for r in table(report)} == {
        "content/b.md", "content/new.md", "content/c.md → content/sub/c2.md"}
