"""``secrecy-gate init``: add the gate to an existing MkDocs site.

It plans every change first (a ``Plan`` of ``Change``s), so ``--dry-run``
prints the same plan without writing, and a second run finds nothing to do:

- ``mkdocs.yml``: ``secrecy-gate`` joins ``plugins:``.  ruamel.yaml's
  round-trip reader locates the list; the edit is one inserted line (or an
  appended ``plugins:`` block), because ruamel's dumper would re-indent the
  file and respace flow mappings.  Everything else — comments, ``!ENV`` and
  ``!!python/name:`` tags — stays byte for byte, and the result is re-read to
  prove the plugin is in the list.  MkDocs' default is ``[search]``, so a
  file without ``plugins:`` gets ``[search, secrecy-gate]``.
- the registers the gate reads: the roster (第十条, 第十一条), the working-day
  calendar (第十二条) and the 第八条 lexicon, from templates, never over an
  existing file;
- ``.pre-commit-config.yaml``: a local hook running ``secrecy-gate check
  --pre-commit`` with the secrecy-gate installed beside MkDocs, so the hook
  and the build judge with the same version (no hook environment to download);
- a CI file that builds with the full history (第十八条) and runs the leak scan.

Refuses without ``mkdocs.yml`` or outside a git repository: the gate proves
every review from git history.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from ..core.siteconfig import plugin_names  # noqa: F401 - also this module's API
from .signing import _detect_indent, _yaml
from .sitedeps import SiteDeps, site_deps

PLUGIN = "secrecy-gate"
# A new site proves its signers by SSH signatures from the start (signatures/policy.py).
PLUGIN_ITEM = f"{PLUGIN}: {{signatures: ssh}}"
HOOK_ID = "secrecy-gate"
GITLAB_SIDE_FILE = "secrecy-gate.gitlab-ci.yml"

# (plugin option, default path, template, what it is zh, en)
REGISTERS = (
    ("roster", "reviews/roster.yml", "roster.yml",
     "保密审查名册模板（第十条、第十一条），示例人员须替换", "review roster template (第十条, 第十一条); replace the placeholders"),
    ("calendar", "reviews/calendar.yml", "calendar.yml",
     "工作日历补充表模板（第十二条）", "working-day override table template (第十二条)"),
    ("lexicon", "reviews/lexicon.yml", "lexicon.yml",
     "第八条提示词表", "第八条 trigger-word list"),
)


class InitRefused(Exception):
    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en


@dataclass(frozen=True)
class Change:
    path: Path
    action: str  # create | update | keep | manual
    zh: str
    en: str
    text: str | None = None  # what to write (create, update)


@dataclass
class Plan:
    site: Path
    top: Path  # the git repository's top level
    changes: list[Change] = field(default_factory=list)
    next_zh: list[str] = field(default_factory=list)
    next_en: list[str] = field(default_factory=list)
    docs: "DocsState | None" = None

    @property
    def manual(self) -> list[Change]:
        return [c for c in self.changes if c.action == "manual"]


def template(name: str) -> str:
    """A file shipped under ``secrecy_gate/templates/``."""
    return (resources.files("secrecy_gate") / "templates" / name).read_text(encoding="utf-8")


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


# -- refusals -------------------------------------------------------------------

def _config_file(site: Path) -> Path:
    for name in ("mkdocs.yml", "mkdocs.yaml"):
        if (site / name).is_file():
            return site / name
    raise InitRefused(f"{site} 中没有 mkdocs.yml：secrecy-gate init 用于已有的 MkDocs 站点（可用 --site 指定目录）",
                      f"no mkdocs.yml in {site}: secrecy-gate init adds the gate to an existing MkDocs site "
                      "(use --site DIR)")


def git_top(path: Path) -> Path | None:
    """The top level of the git work tree holding the directory ``path``, or None."""
    try:
        proc = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=path, capture_output=True,
                              text=True, check=False)
    except OSError:
        return None
    if proc.returncode != 0 or not proc.stdout.strip():
        return None
    return Path(proc.stdout.strip()).resolve()


def _git_top(site: Path) -> Path:
    top = git_top(site)
    if top is None:
        raise InitRefused(f"{site} 不在 git 仓库中。请先执行 git init 并提交站点文件：保密审查的每一步签署都由 git "
                          "历史证明（第十八条），没有历史就无法发布任何页面",
                          f"{site} is not in a git repository. Run `git init` and commit the site first: "
                          "the gate proves every review step from git history (第十八条)")
    return top


def _has_commits(top: Path) -> bool:
    proc = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=top, capture_output=True,
                          check=False)
    return proc.returncode == 0


# -- mkdocs.yml -----------------------------------------------------------------

def _load_config(path: Path, text: str) -> CommentedMap:
    try:
        data = _yaml().load(text)
    except YAMLError as exc:
        raise InitRefused(f"{path} 无法解析：{exc}", f"{path} does not parse: {exc}") from None
    if not isinstance(data, CommentedMap):
        raise InitRefused(f"{path} 不是 MkDocs 配置（顶层须为映射）", f"{path} is not an MkDocs config (not a mapping)")
    return data


def plugin_options(data: CommentedMap) -> dict:
    """The options already given to ``secrecy-gate`` in mkdocs.yml (empty when none)."""
    plugins = data.get("plugins")
    items = [plugins] if isinstance(plugins, dict) else plugins if isinstance(plugins, list) else []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get(PLUGIN), dict):
            return dict(item[PLUGIN])
    return {}


def _block_end(lines: list[str], data: CommentedMap, key: str) -> int:
    """Index of the line after the last content line of top-level ``key``'s block."""
    keys = list(data)
    later = keys[keys.index(key) + 1:]
    end = data.lc.key(later[0])[0] if later else len(lines)
    start = data.lc.key(key)[0]
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return end


def _insert_line(text: str, index: int, line: str) -> str:
    nl = _newline(text)
    lines = text.splitlines(keepends=True)
    if index and not lines[index - 1].endswith(("\n", "\r")):
        lines[index - 1] += nl
    lines.insert(index, line + nl)
    return "".join(lines)


_FLOW_LINE = re.compile(r"^(?P<head>[^#]*?:\s*)(?P<open>[\[{])(?P<inner>.*)(?P<close>[\]}])(?P<tail>\s*(?:#.*)?)$")


def _add_to_block(text: str, data: CommentedMap, plugins) -> str | None:
    lines = text.splitlines(keepends=True)
    if isinstance(plugins, CommentedSeq):
        indent, item = re.match(r"^([ \t]*)-[ \t]", lines[plugins.lc.data[0][0]]), f"- {PLUGIN_ITEM}"
    else:
        indent, item = re.match(r"^([ \t]*)", lines[plugins.lc.key(next(iter(plugins)))[0]]), PLUGIN_ITEM
    if indent is None:
        return None
    return _insert_line(text, _block_end(lines, data, "plugins"), indent.group(1) + item)


def _add_to_flow(text: str, data: CommentedMap, plugins) -> str | None:
    lines = text.splitlines(keepends=True)
    row = data.lc.key("plugins")[0]
    body = lines[row].rstrip("\r\n")
    m = _FLOW_LINE.match(body)
    pair = "[]" if isinstance(plugins, list) else "{}"
    if m is None or m.group("open") + m.group("close") != pair:
        return None
    item = f"{{{PLUGIN_ITEM}}}" if isinstance(plugins, list) else PLUGIN_ITEM
    inner = m.group("inner").rstrip()
    inner = f"{inner}, {item}" if inner.strip() else item
    lines[row] = m.group("head") + m.group("open") + inner + m.group("close") + m.group("tail") \
        + lines[row][len(body):]
    return "".join(lines)


def add_plugin(text: str, data: CommentedMap) -> str | None:
    """``text`` with secrecy-gate added to ``plugins``; None when it cannot be done safely."""
    nl = _newline(text)
    if "plugins" not in data:
        if "INHERIT" in data:
            return None  # the list may live in the parent file; replacing it would drop plugins
        sep = "" if not text or text.endswith("\n") else nl
        return f"{text}{sep}plugins:{nl}  - search{nl}  - {PLUGIN_ITEM}{nl}"
    plugins = data["plugins"]
    if not isinstance(plugins, (CommentedSeq, CommentedMap)):
        return None
    if plugins.fa.flow_style() or not plugins:
        return _add_to_flow(text, data, plugins)
    return _add_to_block(text, data, plugins)


def _plugin_change(path: Path, text: str, data: CommentedMap) -> Change:
    names = plugin_names(data.get("plugins", ["search"]))
    if PLUGIN in names:
        return Change(path, "keep", "plugins 中已有 secrecy-gate，未改动", "secrecy-gate is already in plugins; left as is")
    new = add_plugin(text, data)
    if new is not None:
        try:
            after = plugin_names(_yaml().load(new).get("plugins"))
        except YAMLError:
            after = []
        if after == [*(names if "plugins" in data else ["search"]), PLUGIN]:
            return Change(path, "update", f"在 plugins 中加入 secrecy-gate（现为 {', '.join(after)}）",
                          f"added secrecy-gate to plugins (now {', '.join(after)})", new)
    return Change(path, "manual", "无法安全地自动修改 plugins（继承的配置或少见的写法）：请手工在 plugins 中加入 - secrecy-gate",
                  "plugins cannot be edited safely (inherited config or an unusual form): add `- secrecy-gate` "
                  "to plugins by hand")


# -- registers --------------------------------------------------------------------

def _register_changes(config: Path, data: CommentedMap) -> list[Change]:
    options = plugin_options(data)
    out = []
    for option, default, name, zh, en in REGISTERS:
        path = config.parent / str(options.get(option) or default)
        if path.exists():
            out.append(Change(path, "keep", "已存在，未改动", "exists; left as is"))
        else:
            out.append(Change(path, "create", zh, en, template(name)))
    return out


# -- pre-commit -------------------------------------------------------------------

def _rel(path: Path, top: Path) -> str | None:
    try:
        return path.resolve().relative_to(top).as_posix()
    except ValueError:
        return None


# Tried in order by the hook; the first that imports secrecy_gate runs the check.
VENV_CANDIDATES = (".venv/bin/python", "venv/bin/python", ".venv/Scripts/python.exe",
                   "venv/Scripts/python.exe")


def interpreters(top: Path, current: str | None = None) -> list[str]:
    """Interpreters the hook tries: the one running ``init`` (repo-relative when it is inside
    the repository, so that the committed file works in every clone), the usual virtual
    environments in the repository, then ``python3``/``python`` on PATH."""
    out = []
    if current:
        here = Path(current)
        rel = _rel(here.parent, top)  # the venv's bin/ (not the symlink's target)
        out.append(f"{rel}/{here.name}" if rel not in (None, ".") else str(here))
    out.extend(VENV_CANDIDATES)
    return list(dict.fromkeys(out))


def hook_script(candidates: list[str]) -> str:
    """A POSIX shell resolver: git runs the hook without the user's virtual environment
    activated, so ``secrecy-gate`` need not be on PATH.  It finds an interpreter that has
    secrecy_gate installed and runs ``python -m secrecy_gate.cli``; none found fails closed
    with what to do."""
    paths = " ".join(shlex.quote(c) for c in candidates)
    return ('for py in ' + paths + ' "$(command -v python3)" "$(command -v python)"; do '
            'if [ -n "$py" ] && [ -x "$py" ] && "$py" -c "import secrecy_gate" 2>/dev/null; then '
            'exec "$py" -m secrecy_gate.cli check --pre-commit "$@"; fi; done; '
            'echo "secrecy-gate: no Python with secrecy-gate installed was found '
            '(pip install mkdocs-secrecy-gate into .venv) / 未找到安装了 secrecy-gate 的 Python" >&2; exit 1')


HOOK_FILES = (r".*\.(?i:md|markdown|pdf|docx?|docm|xlsx?|xlsm|pptx?|ppsx|wps|et|dps|od[tsp]"
              r"|csv|tsv|txt|rtf|zip)$")


def hook_entry(top: Path, config: Path, docs_dir: Path, lang: str,
               current: str | None = None) -> CommentedMap:
    """The local pre-commit hook: secrecy-gate as installed beside MkDocs, found without an
    activated virtual environment (``hook_script``)."""
    import sys

    hook = CommentedMap()
    hook["id"] = HOOK_ID
    hook["name"] = "secrecy-gate 提交前保密检查（第二、六、七、九条）"
    script = hook_script(interpreters(top, current if current is not None else sys.executable))
    # pre-commit appends args and file names: they become "$@" of the script.
    hook["entry"] = f"sh -c {shlex.quote(script)} secrecy-gate"
    hook["language"] = "system"
    docs = _rel(docs_dir, top)
    # Pages, and the documents attachments are read from (PDF, Office, WPS, CSV …).
    hook["files"] = (f"^{re.escape(docs)}/" if docs else "") + HOOK_FILES
    args = []
    if config.parent.resolve() != top:
        args += ["--config-file", _rel(config, top) or str(config)]
    if lang == "en":
        args += ["--lang", "en"]
    if args:
        hook["args"] = args
    return hook


def _has_hook(data) -> bool:
    repos = data.get("repos") if isinstance(data, dict) else None
    return any(isinstance(h, dict) and h.get("id") == HOOK_ID
               for r in repos or [] if isinstance(r, dict) for h in r.get("hooks") or [])


def _precommit_change(top: Path, hook: CommentedMap) -> Change:
    path = top / ".pre-commit-config.yaml"
    y = _yaml()
    if not path.exists():
        data = CommentedMap(repos=CommentedSeq([CommentedMap(repo="local", hooks=CommentedSeq([hook]))]))
        y.indent(mapping=2, sequence=4, offset=2)
        return Change(path, "create", "提交前检查：阻止密级标志、个人信息等进入仓库",
                      "pre-commit hook: keeps markings and personal data out of the repository", _dump(y, data))
    text = _read(path)
    try:
        data = y.load(text)
    except YAMLError:
        data = None
    if not isinstance(data, CommentedMap) or not isinstance(data.get("repos", []), list):
        return Change(path, "manual", "无法解析，请手工加入 secrecy-gate 钩子（见 docs/ci.md 的 Pre-commit hook 一节）",
                      "does not parse; add the secrecy-gate hook by hand (see docs/ci.md#pre-commit-hook)")
    if _has_hook(data):
        return Change(path, "keep", "已有 secrecy-gate 钩子，未改动", "already has the secrecy-gate hook; left as is")
    y.indent(*_detect_indent(text))
    repos = data.setdefault("repos", CommentedSeq())
    local = next((r for r in repos if isinstance(r, dict) and r.get("repo") == "local"), None)
    if local is None:
        repos.append(CommentedMap(repo="local", hooks=CommentedSeq([hook])))
    else:
        local.setdefault("hooks", CommentedSeq()).append(hook)
    return Change(path, "update", "加入 secrecy-gate 提交前检查钩子", "added the secrecy-gate pre-commit hook", _dump(y, data))


def _dump(y: YAML, data) -> str:
    buf = io.StringIO()
    y.dump(data, buf)
    return buf.getvalue()


# -- CI ------------------------------------------------------------------------

_INSTALL = {"github": ("          pip install mkdocs-secrecy-gate\n", "          "),
            "gitlab": ("    - pip install mkdocs-secrecy-gate\n", "    ")}
_VERIFY_INSTALL = {"github": "        run: pip install mkdocs-secrecy-gate\n",
                   "gitlab": "    - pip install mkdocs-secrecy-gate  # nothing from the repository\n"}
_STRICT_NOTE = "# Add --strict once `mkdocs build --strict` passes locally: then any warning fails the build.\n"


def _install_lines(kind: str, deps: SiteDeps | None) -> str:
    """The build job's install line: secrecy-gate, and the site's theme, plugins and Markdown
    extensions (found by ``sitedeps``); TODO comments for what could not be found."""
    line, indent = _INSTALL[kind]
    if deps is None or not (deps.packages or deps.unknown or deps.error):
        return line
    comments = ["The site's theme, plugins and Markdown extensions (found in mkdocs.yml by "
                "`secrecy-gate init`)."]
    if deps.versions:
        comments.append("Versions where init ran: " + ", ".join(f"{n} {v}" for n, v in deps.versions.items())
                        + " — pin them here or in requirements.txt.")
    for what in deps.unknown:
        comments.append(f"TODO: {what} is not installed where init ran, so its package is unknown: "
                        "add it to this line or to requirements.txt.")
    if deps.error:
        comments.append(f"TODO: mkdocs.yml could not be read ({deps.error}): add the site's theme and "
                        "plugins to this line.")
    out = "".join(f"{indent}# {c}\n" for c in comments)
    return out + line.rstrip("\n") + "".join(f" {p}" for p in deps.packages) + "\n"


def ci_text(kind: str, subdir: str | None = None, deps: SiteDeps | None = None) -> str:
    """The CI template for this site: its packages installed (``deps``), ``--strict`` as the
    site has it; for a site below the repository's top, run in its directory."""
    text = template("github-actions.yml" if kind == "github" else "gitlab-ci.yml")
    text = text.replace(_INSTALL[kind][0], _install_lines(kind, deps), 1)
    if deps is not None and deps.packages:
        # The verification knows the theme's and plugins' own files as public only where they
        # are installed: the same packages by name (from PyPI, nothing from the repository).
        verify = _VERIFY_INSTALL[kind]
        text = text.replace(verify, verify.replace("mkdocs-secrecy-gate", " ".join(
            ["mkdocs-secrecy-gate", *deps.packages]), 1), 1)
    if deps is not None and deps.strict:
        text = text.replace(_STRICT_NOTE, "# mkdocs.yml sets `strict: true`: any warning fails the build.\n", 1)
    if not subdir:
        return text
    # Both jobs: the build runs in the site's directory, and so does the verification (it
    # reads mkdocs.yml there); the artifact's paths are the workspace's, not the directory's.
    if kind == "github":
        anchor, added = "    runs-on: ubuntu-latest\n", f"    defaults:\n      run:\n        working-directory: {json.dumps(subdir)}\n"
        text = text.replace(anchor, anchor + added)
        return text.replace("          path: site\n", f"          path: {json.dumps(subdir + '/site')}\n")
    text = text.replace("  script:\n", f"  script:\n    - cd {shlex.quote(subdir)}\n")
    return text.replace("      - site\n", f"      - {json.dumps(subdir + '/site')}\n", 1)


def _ci_changes(top: Path, site: Path, kind: str, config: Path) -> tuple[list[Change], list[tuple[str, str]]]:
    if kind == "none":
        return [], []
    subdir = _rel(site, top)
    text = ci_text(kind, subdir if subdir not in (None, ".") else None, site_deps(config))
    what = ("CI：完整 git 历史构建（第十八条）并在部署前扫描输出", "CI: builds with the full git history (第十八条) "
            "and scans the output before deployment")
    if kind == "github":
        path = top / ".github" / "workflows" / "secrecy-gate.yml"
        if path.exists():
            return [Change(path, "keep", "已存在，未改动", "exists; left as is")], []
        return [Change(path, "create", *what, text)], []
    main = top / ".gitlab-ci.yml"
    if not main.exists():
        return [Change(main, "create", *what, text)], []
    main_text = _read(main)
    if re.search(r"^secrecy-gate:", main_text, re.MULTILINE) or GITLAB_SIDE_FILE in main_text:
        return [Change(main, "keep", "已含 secrecy-gate 作业，未改动", "already has the secrecy-gate job; left as is")], []
    side = top / GITLAB_SIDE_FILE
    note = (f"在 .gitlab-ci.yml 中加入：include: [{{local: {GITLAB_SIDE_FILE}}}]（原文件未改动）",
            f"add to .gitlab-ci.yml: include: [{{local: {GITLAB_SIDE_FILE}}}] (the file was left as is)")
    if side.exists():
        return [Change(side, "keep", "已存在，未改动", "exists; left as is")], [note]
    return [Change(side, "create", what[0] + "（.gitlab-ci.yml 已存在，未改动）",
                   what[1] + " (.gitlab-ci.yml exists and was left as is)", text)], [note]


# -- the plan -------------------------------------------------------------------

def plan(site: Path, ci: str = "none", lang: str = "zh") -> Plan:
    """Every change ``init`` would make to the site at ``site``; writes nothing."""
    site = site.resolve()
    config = _config_file(site)
    top = _git_top(site)
    text = _read(config)
    data = _load_config(config, text)
    result = Plan(site, top)
    result.changes.append(_plugin_change(config, text, data))
    registers = _register_changes(config, data)
    result.changes.extend(registers)
    docs_dir = config.parent / str(data.get("docs_dir") or "docs")
    result.changes.append(_precommit_change(top, hook_entry(top, config, docs_dir, lang)))
    ci_changes, notes = _ci_changes(top, site, ci, config)
    result.changes.extend(ci_changes)
    from ..build.pipeline import ungated_builds

    # A CI line building with a generator that runs no MkDocs plugin publishes everything.
    for line in ungated_builds(top, config):
        result.changes.append(Change(top / line.path, "manual", line.render("zh"), line.render("en")))
    result.docs = docs_state(top, config, docs_dir)
    if result.docs.ignored:
        result.changes.append(Change(
            docs_dir, "manual",
            "docs_dir 被 git 忽略（.gitignore），像是由脚本生成的副本：审查由 git 历史证明（第十八条），其中的页面永远"
            "无法发布。请把 docs_dir 指向仓库中提交的源页面（副本由已审查的源页面生成），或提交这些页面",
            "docs_dir is ignored by git (.gitignore): it looks like a generated copy. Reviews are proven by "
            "git history (第十八条), so no page in it can ever be published. Point docs_dir at the committed "
            "source pages (and generate any copy from reviewed sources), or commit the pages"))
    _next_steps(result, registers[0], ci, notes, data, _has_commits(top))
    return result


@dataclass
class DocsState:
    """What the first build will find in docs_dir."""

    path: Path
    ignored: bool = False  # git ignores it: a generated copy
    pages: int = 0
    with_record: int = 0  # pages whose front matter has a `review:` record (complete or not)


def docs_state(top: Path, config: Path, docs_dir: Path) -> DocsState:
    from ..core import frontmatter
    from ..core.siteconfig import SiteConfigError, read_site_config
    from ..review.gate import Discovery, is_page, published_files

    try:
        cfg = read_site_config(config)
        docs = Path(cfg.docs_dir)
        discovery = Discovery(cfg.exclude_docs, cfg.draft_docs, cfg.not_in_nav, cfg.use_directory_urls)
    except SiteConfigError:
        docs, discovery = docs_dir, None
    state = DocsState(docs)
    rel = _rel(docs, top)
    if rel is not None and docs.exists():
        proc = subprocess.run(["git", "check-ignore", "-q", "--", rel], cwd=top, capture_output=True, check=False)
        state.ignored = proc.returncode == 0
    if not docs.is_dir():
        return state
    try:
        pages = [p for p in published_files(docs, discovery) if is_page(p)]
    except Exception:  # noqa: BLE001 - only a count for the next steps
        pages = []
    state.pages = len(pages)
    for page in pages:
        try:
            state.with_record += "review" in frontmatter.parse((docs / page).read_bytes()).meta
        except (frontmatter.FrontMatterError, OSError):
            pass
    return state


def _next_steps(result: Plan, roster: Change, ci: str, notes, data: CommentedMap, committed: bool) -> None:
    steps: list[tuple[str, str]] = []
    if roster.action == "create":
        steps.append((f"编辑 {_show(roster.path, result.top)}：把示例机构和人员换成本单位的；四个步骤须由四个不同的人签署，"
                      "emails 填各自的 git 提交邮箱（第十条、第十一条）",
                      f"edit {_show(roster.path, result.top)}: replace the placeholder agencies and people; the "
                      "four steps need four different people, emails are their git author e-mails "
                      "(第十条, 第十一条)"))
        steps.append(("每人在 keys 中列出自己的 SSH 公钥（ssh-keygen -lf 可核对指纹），并运行 "
                      "git config --global user.signingKey ~/.ssh/id_ed25519.pub：本站 signatures: ssh，"
                      "每个签署由签署人本人的密钥签名（第十条、第十八条）",
                      "each person lists their SSH public key under keys (check it with `ssh-keygen -lf`) and "
                      "runs `git config --global user.signingKey ~/.ssh/id_ed25519.pub`: this site uses "
                      "signatures: ssh, every entry is signed by the signer's own key (第十条, 第十八条)"))
    steps.append(("名册写好后，在顶部加上 version: 1，并给至少两名可信人员（如保密审查员与分管领导）的 steps 加上 admin；"
                  "提交后运行 secrecy-gate trust，由平台管理员把它给出的 SECRECY_GATE_TRUST_ROOT 设为 CI 受保护变量"
                  "（第十条、第十八条）",
                  "when the roster is right, add `version: 1` at its top and `admin` to the steps of at least "
                  "two trusted people (e.g. the secrecy office and the leader); commit, run `secrecy-gate "
                  "trust`, and have a platform administrator set the SECRECY_GATE_TRUST_ROOT it prints as a "
                  "protected CI variable (第十条, 第十八条)"))
    steps.append(("记录站点的构建输入（mkdocs.yml、主题覆盖、钩子等）：secrecy-gate inputs --record 并提交，"
                  "再由两名管理员分别运行 secrecy-gate approve inputs；此前不发布任何页面（第二条）",
                  "record the site's build inputs (mkdocs.yml, theme overrides, hooks …): `secrecy-gate inputs "
                  "--record` and commit, then two administrators each run `secrecy-gate approve inputs`; "
                  "nothing is published before (第二条)"))
    docs = result.docs
    if docs is not None and not docs.ignored:
        n, m = docs.pages, docs.with_record
        steps.append((f"首次构建会怎样：名册经批准、构建输入经管理员批准之前，mkdocs build 中止，不生成任何内容（第二条）。"
                      f"此后，docs_dir 的 {n} 个页面中（{m} 个已有 review 记录），凡没有完整且经四步签署的审查记录的，一律不发布；"
                      "fail_on_withheld 默认为 true，有这样的页面时构建失败、不生成网站",
                      f"what the first build will do: until the roster and the build inputs are approved, "
                      f"`mkdocs build` stops and writes nothing (第二条). After that, of the {n} page(s) in "
                      f"docs_dir ({m} with a review record), every page without a complete record signed in "
                      "all four steps is withheld; with fail_on_withheld (default true) such pages fail the "
                      "build and no site is written"))
        steps.append(("接入期间：在 mkdocs.yml 中把插件写成 - secrecy-gate: {rollout: true}。仅因尚未审查完（无记录、记录空白、"
                      "签署未完成）而不发布的页面不再使构建失败，构建只发布已签署的页面；其他审查问题和泄密扫描仍使构建失败。"
                      "部署这样的构建会以只含已签署页面的网站替换现有网站。全部页面审查完毕后删去 rollout",
                      "while adopting: write the plugin as `- secrecy-gate: {rollout: true}` in mkdocs.yml. Pages "
                      "withheld only because their review is not done (no record, a blank one, signatures to "
                      "come) then no longer fail the build, which publishes the signed pages only; any other "
                      "finding and the leak scan still fail it. Deploying such a build replaces the live "
                      "site with the signed pages only. Remove rollout once every page is reviewed"))
    steps.append(("给已有页面加空白审查记录：secrecy-gate adopt 页面.md 或 secrecy-gate adopt 目录/（原有前置信息保留）；"
                  "新页面用 secrecy-gate new 页面.md。填写后按第十条依次 secrecy-gate sign 签署",
                  "give existing pages a blank review record: `secrecy-gate adopt PAGE.md` or `secrecy-gate adopt "
                  "DIR/` (their front matter is kept); new pages: `secrecy-gate new PAGE.md`. Fill it in, then "
                  "each reviewer runs `secrecy-gate sign` in 第十条 order"))
    steps.append(("启用提交前检查：pip install pre-commit && pre-commit install",
                  "enable the commit check: pip install pre-commit && pre-commit install"))
    steps.extend(notes)
    if ci == "none":
        steps.append(("需要 CI 时：secrecy-gate init --ci github 或 --ci gitlab",
                      "for CI: secrecy-gate init --ci github or --ci gitlab"))
    site_dir = str(data.get("site_dir") or "site")
    if ci != "none" and site_dir != "site":
        steps.append((f"mkdocs.yml 的 site_dir 为 {site_dir}：把 CI 文件中的 site（构建产物路径与 verify-site site）改为 {site_dir}",
                      f"mkdocs.yml sets site_dir to {site_dir}: change `site` in the CI file (the artifact "
                      f"path and `verify-site site`) to `{site_dir}`"))
    written = " ".join(shlex.quote(_show(c.path, result.top)) for c in result.changes
                       if c.action in ("create", "update"))
    if not committed and docs is not None and docs.ignored:
        steps.append((f"仓库还没有提交：提交站点的源文件与以上文件（git add {written} 及源页面；被忽略的 docs_dir 不提交）",
                      f"the repository has no commit yet: commit the site's sources and these files (git add "
                      f"{written} and the source pages; not the ignored docs_dir)"))
    elif not committed:
        steps.append(("仓库还没有提交：提交站点与以上文件（git add -A && git commit）",
                      "the repository has no commit yet: commit the site and these files (git add -A && git commit)"))
    elif written:
        steps.append((f"提交以上文件（git add {written} && git commit）",
                      f"commit these files (git add {written} && git commit)"))
    steps.append(("用 secrecy-gate status 查看各页面状态与下一步审查", "see each page's state and next review step "
                  "with `secrecy-gate status`"))
    result.next_zh = [zh for zh, _ in steps]
    result.next_en = [en for _, en in steps]


def apply(result: Plan) -> None:
    for change in result.changes:
        if change.text is not None:
            change.path.parent.mkdir(parents=True, exist_ok=True)
            change.path.write_bytes(change.text.encode("utf-8"))


_VERBS = {
    "zh": {"create": ("新建", "将新建"), "update": ("修改", "将修改"), "keep": ("保留", "保留"),
           "manual": ("需手工处理", "需手工处理")},
    "en": {"create": ("created", "would create"), "update": ("updated", "would update"), "keep": ("kept", "kept"),
           "manual": ("by hand", "by hand")},
}


def _show(path: Path, top: Path) -> str:
    return _rel(path, top) or str(path)


def render(result: Plan, lang: str = "zh", dry_run: bool = False) -> list[str]:
    zh = lang != "en"
    head = f"secrecy-gate init：{result.site}" if zh else f"secrecy-gate init: {result.site}"
    if dry_run:
        head += "（演练：未写入任何文件）" if zh else " (dry run: nothing written)"
    lines = [head]
    for c in result.changes:
        verb = _VERBS["zh" if zh else "en"][c.action][1 if dry_run else 0]
        lines.append(f"  {verb} {_show(c.path, result.top)}" + (f"：{c.zh}" if zh else f": {c.en}"))
    if all(c.action == "keep" for c in result.changes):
        lines.append("  无需改动：secrecy-gate 已接入" if zh else "  nothing to change: the gate is already set up")
    lines.append("下一步：" if zh else "Next steps:")
    lines.extend(f"  {i}. {s}" for i, s in enumerate(result.next_zh if zh else result.next_en, 1))
    return lines


__all__ = ["Change", "InitRefused", "Plan", "apply", "ci_text", "hook_entry", "plan", "render", "template"]
