"""The pages a branch changes, for its pull request (``secrecy-gate status --base REV``).

Reviewers sign where the change is: on the pull request's branch, each in a
commit of their own, before it is merged (第十条).  What they need there is not
the whole site's queue but the pages this branch touches, with what each still
lacks, who may do it and the exact command.  A CI job posts that as Markdown
(a GitHub job summary, a GitLab merge-request note).

The changes are git's own: ``git diff --name-status -z -M <merge base> HEAD``,
committed changes only (what the pull request holds), renames found as git
finds them.  The verdicts are the gate's own: one review of the whole site as
the working tree is (a build of this checkout), with the queue's rows
(``desk/queue.py``); nothing here decides publication, and the Markdown says
that the main-branch build does.

Pure except asking git; ``render_*`` return text.  Every string that comes from
the repository (titles, paths, messages naming them) is escaped for Markdown:
a title with ``|``, backticks, ``<script>`` or a line break must neither break
the table nor put markup, mentions or references into a note.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..core.findings import Severity
from ..core.schema import STEPS
from ..history.gitaudit import _GIT, _git_env
from ..review.gate import SiteReview, is_page
from .queue import QueueRow, State, Text, action_text, report

CHANGE_NAMES = {
    "added": Text("新增", "added"),
    "modified": Text("修改", "modified"),
    "renamed": Text("重命名", "renamed"),
    "copied": Text("复制", "copied"),
    "deleted": Text("删除", "deleted"),
    "type": Text("类型变更", "type changed"),
}
_STATUS = {"A": "added", "M": "modified", "R": "renamed", "C": "copied", "D": "deleted", "T": "type"}

# CI files the guarantee rests on (see the templates' headers): a change to them is shown.
CI_FILES = (".gitlab-ci.yml", "secrecy-gate.gitlab-ci.yml", ".pre-commit-config.yaml")
CI_DIRS = (".github/workflows/",)

SHALLOW_FIX = Text(
    "请取得完整历史后再运行：git fetch --unshallow origin（或 git fetch origin 基准分支）；"
    "CI 中 GitHub 设 actions/checkout 的 fetch-depth: 0，GitLab 设 GIT_DEPTH: \"0\"（第十八条）",
    "fetch the full history and run it again: `git fetch --unshallow origin` (or `git fetch origin "
    "BRANCH`); in CI set actions/checkout's fetch-depth: 0 (GitHub) or GIT_DEPTH: \"0\" (GitLab) (第十八条)")


class BaseError(Exception):
    """``--base`` cannot be used: unknown revision, shallow clone, no common history."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en

    def __str__(self) -> str:
        return f"{self.zh}\n{self.en}"


@dataclass(frozen=True)
class Change:
    """One path the branch changes (repository-relative, POSIX)."""

    status: str  # a key of CHANGE_NAMES
    path: str  # the path on the branch (the old path for a deletion)
    old: str | None = None  # renamed or copied from


@dataclass
class BranchDiff:
    base: str  # as given
    base_sha: str
    merge_base: str
    head: str
    shallow: bool
    changes: list[Change] = field(default_factory=list)


def _run(root: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(_GIT + list(args), cwd=root, capture_output=True, env=_git_env(), check=False)
    except FileNotFoundError:
        raise BaseError("找不到 git 命令", "the git command was not found") from None


def _out(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout.decode("utf-8", "surrogateescape").strip()


def branch_diff(root: Path, base: str) -> BranchDiff:
    """What HEAD changes against its merge base with ``base``.  Raises BaseError."""
    if not base or base.startswith("-") or any(unicodedata.category(c) == "Cc" for c in base):
        raise BaseError(f"--base 的值无效：{base!r}", f"invalid --base value: {base!r}")
    shallow = _out(_run(root, "rev-parse", "--is-shallow-repository")) == "true"
    head = _run(root, "rev-parse", "--verify", "-q", "HEAD^{commit}")
    if head.returncode != 0:
        raise BaseError("当前分支还没有提交，无法与基准比较", "the current branch has no commit to compare")
    base_sha = _run(root, "rev-parse", "--verify", "-q", f"{base}^{{commit}}")
    if base_sha.returncode != 0:
        if shallow:
            raise BaseError(f"浅克隆中没有基准版本 {base}：{SHALLOW_FIX.zh}",
                            f"the base {base} is not in this shallow clone: {SHALLOW_FIX.en}")
        raise BaseError(
            f"未知的基准版本 {base}：请给出分支、标签或提交（如 origin/main），远程分支须先 git fetch origin",
            f"unknown base revision {base}: name a branch, tag or commit (e.g. origin/main); "
            "fetch a remote branch first with `git fetch origin`")
    merge_base = _run(root, "merge-base", _out(base_sha), _out(head))
    if merge_base.returncode != 0:
        if shallow:
            raise BaseError(f"浅克隆中找不到当前分支与 {base} 的共同祖先：{SHALLOW_FIX.zh}",
                            f"this shallow clone holds no common ancestor of the branch and {base}: "
                            f"{SHALLOW_FIX.en}")
        raise BaseError(f"当前分支与 {base} 没有共同历史，无法确定本分支的改动",
                        f"the branch and {base} share no history; what the branch changes cannot be told")
    diff = BranchDiff(base, _out(base_sha), _out(merge_base), _out(head), shallow)
    proc = _run(root, "diff", "--name-status", "-z", "-M", "--no-color", "--no-ext-diff", "--no-textconv",
                diff.merge_base, diff.head, "--")
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise BaseError(f"git diff 失败：{err}", f"git diff failed: {err}")
    diff.changes = parse_name_status(proc.stdout)
    return diff


def parse_name_status(raw: bytes) -> list[Change]:
    """``git diff --name-status -z`` output: ``S\\0path\\0``, or ``R100\\0old\\0new\\0``."""
    fields = raw.split(b"\0")
    if fields and fields[-1] == b"":
        fields.pop()
    out, i = [], 0
    while i < len(fields):
        letter = fields[i][:1].decode("ascii", "replace")
        status = _STATUS.get(letter)
        if status is None or i + 1 >= len(fields):
            raise BaseError(f"无法读取 git diff 的输出：{fields[i]!r}", f"unreadable git diff output: {fields[i]!r}")
        if letter in "RC":
            if i + 2 >= len(fields):
                raise BaseError("git diff 的输出不完整", "git diff output is truncated")
            old, new = (f.decode("utf-8", "surrogateescape") for f in fields[i + 1:i + 3])
            out.append(Change(status, new, old))
            i += 3
        else:
            out.append(Change(status, fields[i + 1].decode("utf-8", "surrogateescape")))
            i += 2
    return out


# -- rows ----------------------------------------------------------------------

@dataclass
class BranchRow:
    """A changed page or docs file (``kind`` page|file), or a site input, register or CI file."""

    kind: str  # page | file | input | roster | ci
    change: Change
    path: str  # as a command run beside mkdocs.yml names it
    old: str | None = None
    title: str = ""
    queue: QueueRow | None = None  # pages the build judges
    state: Text | None = None  # everything else (and deleted or excluded pages)
    next: Text | None = None
    who: tuple[str, ...] = ()
    command: str = ""


# shlex's safe characters, with letters and digits of every script (a CJK path needs no quotes).
_UNSAFE = re.compile(r"[^\w@%+=:,./-]")


def shell_word(text: str) -> str:
    """One shell word on one line: ``shlex.quote``, or bash's ``$'…'`` when the text holds a
    line break, a control character or bytes that are not UTF-8 (a path can)."""
    if text and not _UNSAFE.search(text):
        return text  # 主动公开, content/通知.md: no quotes needed
    if all(unicodedata.category(c)[0] != "C" for c in text):
        return shlex.quote(text)
    out = []
    for c in text:
        o = ord(c)
        if 0xDC80 <= o <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{o - 0xDC00:02x}")
        elif c in "\\'":
            out.append("\\" + c)
        elif unicodedata.category(c)[0] == "C":
            out.append(f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}")
        else:
            out.append(c)
    return "$'" + "".join(out) + "'"


def _command(row: QueueRow, shown: str, disclosure: str | None) -> str:
    """The exact command for the row's first action (the next 第十条 step first)."""
    page = shell_word(shown)
    if not row.actions:
        if row.state is State.WITHHELD:
            return f"secrecy-gate check {page}"
        return ""
    action = row.actions[0]
    if action.code in STEPS and disclosure:
        return f"secrecy-gate sign {page} --step {action.code} --opinion {shell_word(disclosure)}"
    if action.code == "consent":
        return f"secrecy-gate consent {page} --agency {shell_word(action.target)}"
    if action.code in ("complete", "fix"):
        return f"secrecy-gate check {page}"
    if action.code == "commit":
        return "git commit"
    return ""


def _excluded(change: Change) -> Text:
    if change.status == "deleted":
        return Text("合并后从网站移除", "removed from the site once merged")
    return Text("MkDocs 不发布此文件（exclude_docs、draft_docs 或以点开头）",
                "MkDocs does not publish it (exclude_docs, draft_docs or a dot-file)")


def _inputs_row(row: BranchRow, review: SiteReview, admins: tuple[str, ...]) -> None:
    found = review.inputs_findings
    if not found:
        site = review.site_problem
        if site is not None:  # inputs are not judged while the site cannot be
            row.state = Text(f"无法判断（{report.reason(site, 'zh')}）", f"cannot be judged ({report.reason(site, 'en')})")
            return
        row.state = Text("已批准", "approved")
        return
    f = found[0]
    row.state = Text(report.reason(f, "zh"), report.reason(f, "en"))
    if f.code == "site-inputs.unapproved":
        row.next = Text("管理员核对后分别批准", "administrators check and each approve")
        row.who, row.command = admins, "secrecy-gate approve inputs"
    else:
        row.next = Text("记录构建输入，再由管理员分别批准（secrecy-gate approve inputs）",
                        "record the build inputs, then administrators each approve "
                        "(`secrecy-gate approve inputs`)")
        row.command = "secrecy-gate inputs --record"


def _roster_row(row: BranchRow, review: SiteReview, admins: tuple[str, ...]) -> None:
    chain = review.trust
    if chain is None or not chain.usable:
        f = next((f for f in review.site_findings if f.withholds), None)
        row.state = (Text(report.reason(f, "zh"), report.reason(f, "en")) if f is not None
                     else Text("无法判断", "cannot be judged"))
        return
    pending = chain.pending
    if pending is None:
        row.state = Text("生效中", "in force")
        return
    done = {a.get("name") for a in pending.approvals if a.get("digest") == pending.digest}
    row.state = Text(f"第 {pending.version} 版待批准（已批准：{'、'.join(sorted(done)) or '无'}）",
                     f"version {pending.version} awaiting approval (approved by: "
                     f"{', '.join(sorted(done)) or 'nobody'})")
    row.next = Text("管理员核对后分别批准（第十条、第十八条）", "administrators check and each approve (第十条, 第十八条)")
    row.who = tuple(a for a in admins if a not in done)
    row.command = "secrecy-gate approve roster"


def branch_rows(diff: BranchDiff, review: SiteReview, rows: list[QueueRow], root: Path,
                site_dir: Path, docs_dir: Path, registers: dict[str, str],
                inputs: set[str]) -> list[BranchRow]:
    """One row per changed page or docs file, site input, register or CI file; other files
    (code, READMEs) are left out.  ``registers``: repo path → "roster" | "input" for the
    roster, the build-input record, calendar and lexicon; ``inputs``: repo paths of the build
    inputs (mkdocs.yml and what it draws in)."""
    by_page = {r.page: r for r in rows}
    top = Path(os.path.realpath(root))
    docs_prefix = PurePosixPath(Path(os.path.realpath(docs_dir)).relative_to(top)).as_posix()
    docs_prefix = "" if docs_prefix == "." else docs_prefix + "/"
    site_real = os.path.realpath(site_dir)
    admins = tuple(p.name for p in review.roster.admins) if review.roster is not None else ()

    def shown(repo_path: str) -> str:
        return PurePosixPath(os.path.relpath(top / repo_path, site_real)).as_posix()

    out = []
    for ch in diff.changes:
        path, old = shown(ch.path), (shown(ch.old) if ch.old else None)
        if ch.path.startswith(docs_prefix):
            rel = ch.path[len(docs_prefix):]
            page = review.pages.get(rel)
            row = BranchRow("page" if is_page(rel) else "file", ch, path, old)
            if ch.status == "deleted" or (page is None and rel not in review.files):
                row.state = _excluded(ch)
            elif page is not None:
                meta = page.document.meta if page.document is not None else None
                title = meta.get("title") if isinstance(meta, dict) else None
                row.title = title if isinstance(title, str) else ""
                q = by_page.get(rel)
                row.queue = q
                if q is not None:
                    disclosure = page.record.disclosure if page.record is not None else None
                    row.command = _command(q, path, disclosure)
                    if q.actions:
                        row.who = tuple(p.name for p in q.actions[0].people)
            else:
                f = review.files[rel]
                row.state = (Text("复制到网站", "copied to the site") if f.published else
                             Text("不复制到网站", "not copied to the site"))
                row.next = Text(f.reason_zh, f.reason_en)
            out.append(row)
        elif ch.path in registers or ch.path in inputs or (ch.old and (ch.old in registers or ch.old in inputs)):
            kind = registers.get(ch.path) or registers.get(ch.old or "") or "input"
            row = BranchRow(kind, ch, path, old)
            (_roster_row if kind == "roster" else _inputs_row)(row, review, admins)
            out.append(row)
        elif ch.path in CI_FILES or ch.path.startswith(CI_DIRS):
            row = BranchRow("ci", ch, path, old, state=Text(
                "CI 配置：发布保障依赖于它", "CI configuration: the guarantee rests on it"),
                next=Text("请确认仍以完整历史构建（fetch-depth: 0 / GIT_DEPTH: \"0\"）并在部署前运行 "
                          "secrecy-gate verify-site", "check that it still builds with the full history "
                          "(fetch-depth: 0 / GIT_DEPTH: \"0\") and runs `secrecy-gate verify-site` before "
                          "any deployment"))
            out.append(row)
    order = {"page": 0, "file": 1, "roster": 2, "input": 2, "ci": 3}
    return sorted(out, key=lambda r: (order[r.kind], r.path))


# -- Markdown ------------------------------------------------------------------

# Inline Markdown, HTML and the references GitHub and GitLab expand in comments
# (@mention, #issue, !merge-request, ~label, %milestone, $snippet, &epic).
_MD_ESCAPE = frozenset("\\`*_[]<>&|~@#!%$()")


def md_text(text: str) -> str:
    """Repository text as literal Markdown inline text on one line: control, format and
    line-separator characters become spaces, runs of space one, markup a character
    reference (``&#124;`` for ``|``: a table cell stays one cell)."""
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs") else c for c in text)
    text = " ".join(text.split())
    return "".join(f"&#{ord(c)};" if c in _MD_ESCAPE else c for c in text)


def md_code(text: str) -> str:
    """A code span inside a table cell: a fence longer than any run of backticks in it,
    ``|`` escaped as a table needs (GFM reads ``\\|`` before the code span)."""
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp", "Cs") else c for c in text)
    run = longest = 0
    for c in text:
        run = run + 1 if c == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    return f"{fence} {text.replace('|', chr(92) + '|')} {fence}"


def _state(row: BranchRow, lang: str) -> str:
    if row.queue is not None:
        return row.queue.state_label(lang)
    return row.state.get(lang) if row.state else ""


def _next(row: BranchRow, lang: str) -> str:
    q = row.queue
    if q is not None:
        if q.state is State.WITHHELD and q.reason is not None:
            fix = q.reason.fix_en if lang == "en" else q.reason.fix_zh
            return report.reason(q.reason, lang) + (f" — {fix}" if fix else "")
        parts = [action_text(a, lang) for a in q.actions]
        parts += [e.get(lang) for e in q.errors]
        return ("; " if lang == "en" else "；").join(parts)
    text = row.next.get(lang) if row.next else ""
    if row.who:
        text += (": " if lang == "en" else "：") + ("、".join(row.who))
    return text


def _where(row: BranchRow, lang: str) -> str:
    path = md_code(row.path)
    if row.old:
        path = f"{md_code(row.old)} → {path}"
    return (md_text(row.title) + "<br>" + path) if row.title else path


HEAD = {
    "zh": ("页面或文件", "改动", "状态", "下一步：由谁办理", "命令"),
    "en": ("page or file", "change", "state", "next step: who", "command"),
}


def render_markdown(diff: BranchDiff | None, rows: list[BranchRow], review: SiteReview,
                    lang: str = "zh") -> list[str]:
    """The rows as a Markdown report for a pull request (GitHub job summary, GitLab note)."""
    en = lang == "en"
    out = ["## secrecy-gate: " + ("pages this branch changes" if en else "本分支改动的页面（保密审查）"), ""]
    if diff is not None:
        base = f"{md_code(diff.base)} ({md_code(diff.merge_base[:12])})"
        out.append((f"Against the merge base with {base}, at {md_code(diff.head[:12])}." if en else
                    f"与 {base} 的合并基点比较，当前提交 {md_code(diff.head[:12])}。"))
        out.append("")
    problems = [f for f in review.site_findings if f.withholds]
    for f in problems:
        out.append("> **" + ("Site problem" if en else "站点问题") + f"**: {md_text(report.reason(f, lang))}"
                   + (f" — {md_text(f.fix_en if en else f.fix_zh)}" if (f.fix_en if en else f.fix_zh) else ""))
    if problems:
        out.append("")
    if not rows:
        out.append("This branch changes no page, docs file, site input or CI file." if en
                   else "本分支未改动页面、文档目录文件、站点输入或 CI 文件。")
    else:
        head = HEAD["en" if en else "zh"]
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "---|" * len(head))
        for r in rows:
            cells = [_where(r, lang), md_text(CHANGE_NAMES[r.change.status].get(lang)), md_text(_state(r, lang)),
                     md_text(_next(r, lang)), md_code(r.command) if r.command else ""]
            out.append("| " + " | ".join(cells) + " |")
    out.append("")
    out.append(summary(rows, lang))  # counts and fixed words only
    out.append("")
    out.append("Informational: run each command in a checkout of this branch, as the person named, "
               "beside mkdocs.yml; after the merge the main-branch build decides what is published."
               if en else
               "仅供参考：请由所列人员在本分支的检出中、mkdocs.yml 所在目录运行命令；合并后由主分支的构建决定发布与否。")
    return out


def summary(rows: list[BranchRow], lang: str = "zh") -> str:
    pages = [r for r in rows if r.kind == "page"]
    published = sum(1 for r in pages if r.queue is not None and r.queue.state is State.PUBLISHED)
    waiting = sum(1 for r in pages if r.queue is not None and r.queue.state not in (State.PUBLISHED,))
    gone = sum(1 for r in pages if r.queue is None)
    if lang == "en":
        return (f"{len(pages)} page(s) changed: {published} published, {waiting} not yet, "
                f"{gone} removed or not published by MkDocs; {len(rows) - len(pages)} other file(s)")
    return (f"改动 {len(pages)} 个页面：已发布 {published}，未发布 {waiting}，删除或 MkDocs 不发布 {gone}；"
            f"其他文件 {len(rows) - len(pages)} 个")


def render_text(diff: BranchDiff, rows: list[BranchRow], review: SiteReview, lang: str = "zh") -> list[str]:
    """The rows for a terminal: one block per row."""
    en = lang == "en"
    out = [(f"against {diff.base} (merge base {diff.merge_base[:12]}), HEAD {diff.head[:12]}" if en else
            f"基准 {diff.base}（合并基点 {diff.merge_base[:12]}），当前提交 {diff.head[:12]}")]
    for f in review.site_findings:
        if f.severity is not Severity.NOTICE:
            out.append(f.render(lang))
    for r in rows:
        where = f"{r.old} -> {r.path}" if r.old else r.path
        out.append(f"{where}  [{CHANGE_NAMES[r.change.status].get(lang)}]  {_state(r, lang)}"
                   + (f"  {r.title}" if r.title else ""))
        nxt = _next(r, lang)
        if nxt:
            out.append("    " + nxt)
        if r.command:
            out.append("    $ " + r.command)
    out.append(summary(rows, lang))
    return out


def rows_json(diff: BranchDiff, rows: list[BranchRow], lang: str = "zh") -> dict:
    from .queue import queue_json
    items = []
    for r in rows:
        item = {"kind": r.kind, "change": r.change.status, "path": r.path, "old_path": r.old,
                "title": r.title, "state": _state(r, lang), "next": _next(r, lang),
                "who": list(r.who), "command": r.command}
        if r.queue is not None:
            item["queue"] = queue_json([r.queue], lang)[0]
        items.append(item)
    return {"base": diff.base, "base_commit": diff.base_sha, "merge_base": diff.merge_base,
            "head": diff.head, "rows": items}


__all__ = ["BaseError", "BranchDiff", "BranchRow", "Change", "branch_diff", "branch_rows", "md_code",
           "md_text", "parse_name_status", "render_markdown", "render_text", "rows_json", "shell_word"]

