"""The site's build inputs as one approved thing (第二条 先审核后公开, 第十八条).

A page reaches the site only with its own review record.  Everything else
that puts text or code on the site, or changes what the gate decides, is a
*build input*: it is listed here as path → ``"sha256:…"`` and the list must
match ``reviews/site.yml`` (beside the roster), which the roster's
administrators approve (``review/trust.py``).  The inputs are:

- ``mkdocs.yml`` and every file it ``INHERIT``s, digested from their parsed
  YAML (comments and layout do not matter, every value does).  MkDocs' tags
  (``!ENV``, ``!relative``, ``!!python/name:``) are kept as tagged data, never
  resolved: the approval covers "the site name comes from $SITE_NAME", and
  what the CI's environment holds is the CI's business.  ``nav`` is left out
  of the digest and replaced by its *title text*: a section title, a page
  entry titled differently from its page's reviewed ``title``, an entry for
  anything that is not a docs file (a URL, a missing file).  Adding, removing
  or reordering reviewed pages therefore needs no new approval; new words do.
  An entry for an existing page that is not published adds nothing either:
  the plugin prunes it from the nav, and once that page is published its
  title is compared like any other.
- every file under ``theme.custom_dir`` (templates, partials, the
  announcement banner, static files MkDocs copies), recursively, symlinks
  followed and hashed by content.  A custom_dir inside, equal to or
  containing ``docs_dir`` is refused, and so is a symlink in it that leads to
  a Markdown page or a directory of ``docs_dir``: templates could read
  withheld pages.
- each hook file, and the other ``*.py`` files of its directory and of the
  regular packages (``__init__.py``) below it: MkDocs puts the hook's
  directory on ``sys.path`` while the hook loads, so it can import them.
- the gate's registers that change verdicts: ``calendar`` (第十二条 deadlines)
  and ``lexicon`` (第八条 hints), by their bytes, when the files exist.
- every non-page file of ``docs_dir`` that the plugin's ``assets:`` globs let
  through unreviewed (pages matching a glob are still judged as pages).

Deliberately not inputs: the roster (its own rules of change are the trust
code's), ``reviews/site.yml`` itself, ``watch:`` (``mkdocs serve`` only),
``extra_css``/``extra_javascript``/``extra_templates`` beyond the above (a
URL is part of mkdocs.yml; a docs file is published only as an asset — then
it is an input — or as a reviewed attachment), installed themes and plugins
(``theme.name``, ``plugins:`` entries: an installed package is the CI's
business, its options are part of mkdocs.yml), and files a Markdown
extension includes into pages (``gate.includes_unreviewed`` withholds a page
that includes unreviewed text).

Paths are POSIX, relative to the directory of mkdocs.yml, and never escape
it.  Everything here is pure except reading files; no git.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import math
import os
import posixpath
import re
import tempfile
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from ..core import frontmatter, siteconfig
from ..core.siteconfig import Tagged
from ..core.findings import Finding

ARTICLE = "第二条、第十八条"
RECORD_NAME = "site.yml"
DIGEST_PATTERN = re.compile(r"^sha256:[0-9a-f]{64}$")
MARKDOWN_EXTENSIONS = (".md", ".markdown", ".mdown", ".mkdn", ".mkd")  # as review.gate

# What each kind of input is, for the comment beside a new entry of reviews/site.yml.
KINDS = {
    "config": "configuration; nav structure excluded, nav titles included",
    "inherit": "INHERIT parent configuration; nav excluded",
    "theme": "theme.custom_dir file",
    "hook": "hooks: file",
    "hook-module": "module a hook can import",
    "register": "gate register",
    "asset": "an assets: glob match",
    "requirements": "packages the build installs",
    "local-package": "a local package the requirements install",
    "module": "a Python module importable from the site's directory",
    "plugin-file": "a repository file a plugin's option names",
    "gitattributes": "how git checks files out",
}

RECORD_TEMPLATE = """\
# Build inputs approved by the roster's administrators (第二条 先审核后公开, 第十八条).
# Written by `secrecy-gate inputs --record`; approved with `secrecy-gate approve inputs`.
# 站点构建输入（mkdocs.yml、主题覆盖、钩子、工作日历与词表、assets 文件）须经名册中的
# 管理员批准后方可用于发布；任何一项变化都须重新记录、重新批准。
inputs: {}
approvals: []
"""

FIX_ZH = ("运行 secrecy-gate inputs 查看变化，确认无误后运行 secrecy-gate inputs --record "
          "写入 {record} 并提交，再由两名管理员分别运行 secrecy-gate approve inputs")
FIX_EN = ("run `secrecy-gate inputs` to see what changed; when it is right, run "
          "`secrecy-gate inputs --record` to write {record} and commit it, then two "
          "administrators each run `secrecy-gate approve inputs`")


class InputsError(ValueError):
    """The build inputs cannot be listed safely; the build must not publish."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en


class RecordError(ValueError):
    """``reviews/site.yml`` cannot be read or is not a valid record."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en


class RecordMissing(RecordError):
    """There is no ``reviews/site.yml`` yet."""


@dataclass(frozen=True)
class Input:
    path: str
    digest: str
    kind: str


@dataclass(frozen=True)
class InputChange:
    path: str
    state: str  # added | changed | removed
    recorded: str | None
    current: str | None


# -- YAML that keeps MkDocs' tags --------------------------------------------------

def load_config_yaml(raw: bytes, what: str):
    """Parse one MkDocs configuration file, tags kept; InputsError when it does not parse."""
    try:
        return siteconfig.load_config_yaml(raw, what)
    except siteconfig.SiteConfigError as exc:
        raise InputsError(exc.zh, exc.en) from None


def _plain(value):
    """YAML value → JSON value, without two different values ever meeting."""
    if isinstance(value, Tagged):
        return {"!tag": value.tag, "value": _plain(value.value)}
    if isinstance(value, dict):
        return {(k if isinstance(k, str) else f"\x00{type(k).__name__}:{_canonical(_plain(k))}"):
                _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {"!set": sorted(_canonical(_plain(v)) for v in value)}
    if isinstance(value, (_dt.datetime, _dt.date)):
        return {"!timestamp": value.isoformat()}
    if isinstance(value, bytes):
        return {"!binary": value.hex()}
    if isinstance(value, float) and not math.isfinite(value):
        return {"!float": repr(value)}
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return {"!python": repr(value)}


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _file_digest(data: bytes) -> str:
    """A file's digest; a text file's with its line endings made LF first, so that a checkout
    with ``core.autocrlf`` (a Windows runner) is the same input as the committed file."""
    if b"\r" in data and b"\x00" not in data:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            data = data.replace(b"\r\n", b"\n")
    return _sha256(data)


# -- nav titles --------------------------------------------------------------------

def _is_page(path: str) -> bool:
    return path.lower().endswith(MARKDOWN_EXTENSIONS)


def nav_target(value: str) -> str | None:
    """A nav entry's target as a docs-relative path, or None for a URL elsewhere.

    One reading for the build inputs and for pruning the nav: percent-escapes
    decoded, a query or fragment dropped, a leading ``/`` (the docs root) too —
    ``/internal/x.md?`` names ``internal/x.md`` for both, so an entry that is
    not approved text is pruned with its page.
    """
    target = urllib.parse.unquote(value.strip())
    target = re.split(r"[?#]", target, maxsplit=1)[0]
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("//"):
        return None
    target = target.lstrip("/")
    return posixpath.normpath(target) if target else ""


def _docs_file(docs_dir: str, path: str) -> bool:
    """``path`` is a file MkDocs sees in docs_dir (dot-files are not)."""
    if path in ("", ".") or path.startswith("../") or path == ".." or any(
            part.startswith(".") for part in path.split("/")):
        return False
    return os.path.isfile(os.path.join(docs_dir, *path.split("/")))


def nav_titles(nav, page_titles: Mapping[str, str], docs_dir: str) -> list[list]:
    """The text an explicit ``nav`` adds to the site, sorted and without repeats.

    Entries that add no text of their own are left out: a page entry without
    a title or titled exactly as its page's own ``title``.  The comparison does
    not depend on whether the page exists, reads or is published: a page moving
    through its review never changes the inputs.
    """
    found: set[str] = set()

    def add(*item) -> None:
        found.add(_canonical(list(item)))

    def text(value):
        return value if isinstance(value, str) else _canonical(_plain(value))

    def entry(title, target) -> None:
        if not isinstance(target, str):
            add("other", text(title) if title is not None else "", text(target))
            return
        path = nav_target(target)
        if path and (path != PurePosixPath(target).as_posix() or target[:1] == "/"
                     or any(c in target for c in "?#%")):
            # Not a docs path as MkDocs matches it (a query, a fragment, a leading ``/``,
            # an escape, ``..``, spaces): MkDocs makes it a link whose address is this text,
            # written into every page.  The address is text of its own.
            add("link", text(title) if title is not None else "", target)
            return
        if path and (_is_page(path) or _docs_file(docs_dir, path)):
            # A page entry, whether the page exists yet, reads, or is published: its title
            # is text of its own unless it is the page's own title.  Judged the same in
            # every state, so a page moving through review never changes the inputs.
            if title is None or (_is_page(path) and page_titles.get(path) == title):
                return
            add("title", text(title))
            return
        add("link", text(title) if title is not None else "", target)

    def walk(data) -> None:
        if isinstance(data, dict):
            for key, value in data.items():
                if isinstance(value, (str, Tagged)) or value is None:
                    entry(key, value)
                else:
                    add("section", text(key))
                    walk(value)
        elif isinstance(data, list):
            for item in data:
                walk(item)
        else:
            entry(None, data)

    if nav is not None:
        walk(nav)
    return [json.loads(s) for s in sorted(found)]


# -- paths -------------------------------------------------------------------------

def check_relative(path: str) -> str:
    """A record path: POSIX, relative, inside the site; raises RecordError otherwise."""
    if not isinstance(path, str) or not path or "\\" in path or "\x00" in path \
            or path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        raise RecordError(f"构建输入路径 {path!r} 须为 mkdocs.yml 所在目录内的相对路径",
                          f"build input path {path!r} must be relative to the directory of mkdocs.yml")
    parts = PurePosixPath(path).parts
    if ".." in parts or "." in path.split("/") or posixpath.normpath(path) != path:
        raise RecordError(f"构建输入路径 {path!r} 不得含 .. 或 . ，须为规范的相对路径",
                          f"build input path {path!r} must not contain .. or . segments")
    return path


def _key(path: str, base: str) -> str:
    rel = os.path.relpath(os.path.abspath(path), base)
    posix = PurePosixPath(*Path(rel).parts).as_posix()
    if os.path.isabs(rel) or posix == ".." or posix.startswith("../"):
        raise InputsError(f"构建输入 {path} 位于 mkdocs.yml 所在目录 {base} 之外，不予接受；"
                          "请把它移入站点目录",
                          f"build input {path} is outside the directory of mkdocs.yml ({base}); "
                          "move it into the site")
    return posix


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise InputsError(f"无法读取构建输入 {path}：{exc.strerror}",
                          f"cannot read build input {path}: {exc.strerror}") from None


def _opt(options, name: str):
    return options[name] if isinstance(options, Mapping) else getattr(options, name)


def _base(config) -> str:
    path = config.config_file_path
    if not path:
        raise InputsError("没有 mkdocs.yml 文件路径，无法确定构建输入",
                          "the configuration has no file path; the build inputs are unknown")
    return os.path.dirname(os.path.abspath(path))


def record_path(config, options) -> Path:
    """``reviews/site.yml``: beside the roster, relative to the directory of mkdocs.yml."""
    roster = Path(_base(config)) / _opt(options, "roster")
    return roster.parent / RECORD_NAME


# -- collecting --------------------------------------------------------------------

def _config_chain(config_file: str, base: str) -> list[tuple[str, dict]]:
    """mkdocs.yml and every file it INHERITs, child first, as MkDocs resolves them."""
    chain: list[tuple[str, dict]] = []
    path = os.path.abspath(config_file)
    seen: set[str] = set()
    while True:
        real = os.path.realpath(path)
        if real in seen:
            raise InputsError(f"INHERIT 形成循环：{path}", f"INHERIT loops back to {path}")
        seen.add(real)
        key = _key(path, base)
        data = load_config_yaml(_read(path), key)
        chain.append((path, data))
        parent = data.get("INHERIT")
        if parent is None:
            return chain
        if not isinstance(parent, str) or not parent:
            raise InputsError(f"{key} 的 INHERIT 须为文件路径", f"INHERIT in {key} must be a file path")
        path = os.path.normpath(os.path.join(os.path.dirname(path), parent))


def _walk_theme(custom_dir: str, docs_real: str, site_real: str | None) -> list[str]:
    """Every file under custom_dir, symlinks followed (a loop is not followed twice)."""
    out: list[str] = []

    def refuse(path: str) -> None:
        raise InputsError(
            f"theme.custom_dir 中的 {path} 指向文档目录 {docs_real}：模板可读取未经审查的页面，不予接受；"
            "主题覆盖须放在 docs_dir 之外（如 overrides/）",
            f"{path} in theme.custom_dir leads into docs_dir {docs_real}: templates could read "
            "unreviewed pages; keep theme overrides outside docs_dir (e.g. overrides/)")

    def visit(directory: str, ancestors: tuple[str, ...]) -> None:
        real = os.path.realpath(directory)
        if real in ancestors:
            return  # a symlink loop: its files are listed under the first path already
        if _inside(real, docs_real) or _inside(docs_real, real):
            refuse(directory)
        if site_real and _inside(real, site_real):
            return  # build output, not an input
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            raise InputsError(f"无法读取 {directory}：{exc.strerror}",
                              f"cannot read {directory}: {exc.strerror}") from None
        for e in entries:
            if e.is_dir(follow_symlinks=True):
                if e.name != "__pycache__":
                    visit(e.path, (*ancestors, real))
            elif e.is_file(follow_symlinks=True):
                target = os.path.realpath(e.path)
                if _inside(target, docs_real) and _is_page(target):
                    refuse(e.path)
                out.append(e.path)
            else:
                raise InputsError(f"theme.custom_dir 中的 {e.path} 不是可读文件（断开的链接？）",
                                  f"{e.path} in theme.custom_dir is not a readable file (a broken link?)")

    visit(custom_dir, ())
    return out


# What Python imports from a directory on sys.path: source, a compiled module without
# source (``mkdocs.pyc`` beside mkdocs.yml shadows MkDocs itself under `python -m mkdocs`),
# extension modules.  ``.pyd``/``.so`` are every platform's; the exact tags vary.
_IMPORT_SUFFIXES = (".py", ".pyw", ".pyc", ".pyo", ".so", ".pyd")


def _importable(name: str) -> bool:
    return name.endswith(_IMPORT_SUFFIXES) and not name.startswith(".")


def _is_package(path: str) -> bool:
    try:
        return any(_importable(n) and n.split(".", 1)[0] == "__init__" for n in os.listdir(path))
    except OSError:
        return False


def _unchecked_pycs(directory: str) -> list[str]:
    """Compiled files in ``directory/__pycache__`` that Python runs *instead of* their
    source without comparing them with it (an "unchecked hash" .pyc, flags 0b01): a
    committed one replaces an approved hook's or module's code.  Timestamp and checked-
    hash .pyc files are validated against the source, so the ones Python writes locally
    are not inputs."""
    cache = os.path.join(directory, "__pycache__")
    out = []
    try:
        names = sorted(os.listdir(cache))
    except OSError:
        return out
    for name in names:
        path = os.path.join(cache, name)
        if not name.endswith((".pyc", ".pyo")) or not os.path.isfile(path):
            continue
        head = _read(path)[:8]
        if len(head) < 8 or int.from_bytes(head[4:8], "little") != 0b01:
            continue
        out.append(path)
    return out


def importable_files(directory: str, kind: str, exclude: str | None = None,
                     skip: frozenset[str] | set[str] = frozenset()) -> list[tuple[str, str]]:
    """Every file Python can import from ``directory`` as a sys.path entry: top-level modules
    (source, compiled or extension), whole packages (``__init__`` in any of those forms), and
    unchecked compiled files that stand in for a source: [(path, kind)]."""
    out: list[tuple[str, str]] = []

    def scan(d: str, ancestors: tuple[str, ...], top: bool) -> None:
        real = os.path.realpath(d)
        if real in ancestors:
            return
        out.extend((p, kind) for p in _unchecked_pycs(d))
        for e in sorted(os.scandir(d), key=lambda e: e.name):
            if e.is_file() and _importable(e.name):
                if not (top and exclude is not None and os.path.abspath(e.path) == exclude):
                    out.append((e.path, kind))
            elif (e.is_dir() and e.name not in _SKIP_DIRS and not e.name.endswith(".egg-info")
                  and os.path.realpath(e.path) not in skip and (not top or _is_package(e.path))):
                # Inside a package every folder is importable (a namespace sub-package).
                scan(e.path, (*ancestors, real), False)

    try:
        scan(directory, (), True)
    except OSError as exc:
        raise InputsError(f"无法读取目录 {directory}：{exc.strerror}",
                          f"cannot read the directory {directory}: {exc.strerror}") from None
    return out


def _hook_files(hook: str) -> list[tuple[str, str]]:
    """The hook and what it can import from its directory: [(path, kind)]."""
    return [(hook, "hook"), *importable_files(os.path.dirname(hook), "hook-module", exclude=hook)]
    return out


def _hook_paths(config, base: str) -> list[str]:
    hooks = config.get("hooks")
    out = []
    for name, module in (hooks or {}).items():
        path = getattr(module, "__file__", None) or os.path.join(base, str(name))
        out.append(os.path.abspath(path))
    return out


def _list_docs(docs_dir: str) -> list[str]:
    """docs_dir files as MkDocs sees them (dot-files left out, symlinks followed, as
    MkDocs' ``get_files`` does; a symlink loop is not followed twice), docs-relative POSIX."""
    out = []
    for root, dirs, files in os.walk(docs_dir, followlinks=True):
        real = os.path.realpath(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and not _inside(real, os.path.realpath(os.path.join(root, d))))
        rel = os.path.relpath(root, docs_dir)
        for name in sorted(files):
            if not name.startswith("."):
                out.append(PurePosixPath(*Path(rel, name).parts).as_posix())
    return out


def collect(config, options, page_titles: Mapping[str, str]) -> dict[str, Input]:
    """Every build input of the site, path → Input; raises InputsError when unsafe.

    ``config`` is MkDocs' loaded configuration (``mkdocs.config.load_config``),
    ``options`` the plugin's options, ``page_titles`` the reviewed ``title``
    of each published page (docs-relative path → title).
    """
    base = _base(config)
    docs_dir = os.path.abspath(config.docs_dir)
    docs_real = os.path.realpath(docs_dir)
    found: dict[str, Input] = {}

    def add(path: str, digest: str, kind: str) -> None:
        key = _key(path, base)
        found.setdefault(key, Input(key, digest, kind))

    def add_file(path: str, kind: str) -> None:
        add(path, _file_digest(_read(path)), kind)

    chain = _config_chain(config.config_file_path, base)
    nav = next((data["nav"] for _, data in chain if "nav" in data), None)
    titles = nav_titles(nav, page_titles, docs_dir)
    for i, (path, data) in enumerate(chain):
        doc = {"config": _plain({k: v for k, v in data.items() if k != "nav"})}
        if i == 0:
            doc["nav_titles"] = titles
        add(path, _sha256(_canonical(doc).encode()), "config" if i == 0 else "inherit")

    custom_dir = getattr(config.theme, "custom_dir", None)
    if custom_dir:
        custom_dir = os.path.abspath(custom_dir)
        _key(custom_dir, base)
        site_real = os.path.realpath(config.site_dir) if config.site_dir else None
        for path in _walk_theme(custom_dir, docs_real, site_real):
            add_file(path, "theme")

    for hook in _hook_paths(config, base):
        for path, kind in _hook_files(hook):
            add_file(path, kind)

    for name in ("calendar", "lexicon"):
        value = _opt(options, name)
        if value:
            path = os.path.join(base, value)
            if os.path.exists(path):
                add_file(path, "register")

    patterns = tuple(_opt(options, "assets") or ())
    if patterns and os.path.isdir(docs_dir):
        for rel in _list_docs(docs_dir):
            if not _is_page(rel) and any(fnmatch.fnmatchcase(rel, p) for p in patterns):
                add_file(os.path.join(docs_dir, *rel.split("/")), "asset")

    # Code the build runs that is not a hook: what the requirements install (a local package's
    # files too), modules importable from the site's directory (`python -m mkdocs` puts it on
    # sys.path; macros' main.py lives there), files a plugin's options name, and how git
    # checks files out (.gitattributes can re-encode a page on every fresh clone).
    skip = {docs_real, os.path.realpath(config.site_dir)} if config.site_dir else {docs_real}
    for path, kind in _code_inputs(config, base, skip):
        add_file(path, kind)
    return dict(sorted(found.items()))


_REQUIREMENTS = re.compile(r"^(?:requirements|constraints)[\w.-]*\.txt$")
_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache",
              ".pytest_cache", ".hypothesis", "build", "dist"}
MAX_CODE_FILES = 5000


def _walk_code(directory: str, skip: set[str]) -> list[str]:
    """Every file below ``directory`` (no VCS or environment folders, nothing under ``skip``)."""
    out: list[str] = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.endswith(".egg-info")
                         and os.path.realpath(os.path.join(root, d)) not in skip)
        out.extend(os.path.join(root, f) for f in sorted(files))
        if len(out) > MAX_CODE_FILES:
            raise InputsError(f"{directory} 中的文件超过 {MAX_CODE_FILES} 个，无法作为构建输入逐一核对",
                              f"{directory} holds more than {MAX_CODE_FILES} files: too many to "
                              "approve as build inputs")
    return out


def _requirement_paths(path: str, base: str, seen: set[str]) -> list[tuple[str, str]]:
    """A requirements file, the files it includes (-r, -c) and the local paths it installs."""
    real = os.path.realpath(path)
    if real in seen or not os.path.isfile(path):
        return []
    seen.add(real)
    out = [(path, "requirements")]
    here = os.path.dirname(path)
    for line in _read(path).decode("utf-8", "replace").splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^(?:-r|--requirement|-c|--constraint)\s*=?\s*(\S+)", line)
        if m:
            out += _requirement_paths(os.path.join(here, m.group(1)), base, seen)
            continue
        m = re.match(r"^(?:-e|--editable)\s*=?\s*(\S+)", line)
        target = m.group(1) if m else line.split(";", 1)[0].split()[0]
        if target.startswith("file:"):
            target = urllib.parse.urlsplit(target).path
        if target.startswith((".", "/")) or os.path.exists(os.path.join(here, target)):
            local = os.path.normpath(os.path.join(here, target))
            if os.path.isdir(local):
                out += [(f, "local-package") for f in _walk_code(local, {os.path.realpath(base)})]
            elif os.path.isfile(local):
                out.append((local, "local-package"))
    return out


def _option_paths(value, base: str, skip: set[str]) -> list[str]:
    """Repository files a plugin option names (a file, a directory, or a module name)."""
    out: list[str] = []
    if isinstance(value, dict):
        for v in value.values():
            out += _option_paths(v, base, skip)
    elif isinstance(value, (list, tuple)):
        for v in value:
            out += _option_paths(v, base, skip)
    elif isinstance(value, str) and value.strip() and "\n" not in value and len(value) < 1024:
        for candidate in (value, value + ".py", value.replace(".", os.sep) + ".py"):
            path = os.path.normpath(os.path.join(base, candidate))
            real = os.path.realpath(path)
            if not _inside(real, os.path.realpath(base)) or real == os.path.realpath(base):
                continue
            if any(_inside(real, s) or _inside(s, real) for s in skip):
                continue  # docs_dir is judged page by page; the output is the output
            if os.path.isfile(path):
                out.append(path)
                break
            if os.path.isdir(path):
                out += _walk_code(path, skip)
                break
    return out


def _plugin_options(config):
    """Each plugin's options (MkDocs' loaded plugins, or the safe reader's mappings)."""
    try:
        plugins = config["plugins"]
    except (KeyError, AttributeError):
        return
    for name, plugin in plugins.items():
        if name == "secrecy-gate" or str(name).endswith("/secrecy-gate"):
            continue  # the gate's own paths: the roster has its own rule of change
        options = getattr(plugin, "config", plugin)
        yield dict(options) if hasattr(options, "items") else {}


def _code_inputs(config, base: str, skip: set[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name in sorted(os.listdir(base)):
        path = os.path.join(base, name)
        if _REQUIREMENTS.match(name):
            out += _requirement_paths(path, base, seen)
    # A module or package beside mkdocs.yml is importable (a Markdown extension, a
    # `!!python/name:` tag, a plugin's module_name, or — under `python -m mkdocs` — a
    # module that takes the place of an installed one).
    out += importable_files(base, "module", skip=skip)
    req_dir = os.path.join(base, "requirements")
    if os.path.isdir(req_dir):
        for name in sorted(os.listdir(req_dir)):
            if name.endswith(".txt"):
                out += _requirement_paths(os.path.join(req_dir, name), base, seen)
    for options in _plugin_options(config):
        out += [(p, "plugin-file") for p in _option_paths(options, base, skip)]
    attributes = [os.path.join(base, ".gitattributes")]
    for d in sorted(skip):
        if os.path.isdir(d):
            attributes += [os.path.join(root, ".gitattributes")
                           for root, _, files in os.walk(d) if ".gitattributes" in files]
    out += [(a, "gitattributes") for a in attributes if os.path.isfile(a)]
    return out


def site_inputs(config, options, page_titles: Mapping[str, str]) -> dict[str, str]:
    """Every build input as path → ``"sha256:…"`` (see ``collect``)."""
    return {path: item.digest for path, item in collect(config, options, page_titles).items()}


def config_text(config, published: set[str] | None = None) -> str:
    """Every string of mkdocs.yml and what it INHERITs, one per line (tags' values too) —
    of ``nav`` only what the site shows: the titles of entries for ``published`` files and
    of links elsewhere, and the sections holding them (a withheld page's entry is pruned,
    so its title is no public text)."""
    out: list[str] = []

    def walk(value) -> None:
        if isinstance(value, Tagged):
            walk(value.value)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(k)
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)
        elif isinstance(value, str):
            out.append(value)

    def nav(value) -> bool:
        """Add what a nav (part) shows; True when it shows anything."""
        shown = False
        items = value if isinstance(value, list) else [value]
        for item in items:
            entries = item.items() if isinstance(item, dict) else [(None, item)]
            for title, target in entries:
                if isinstance(target, (list, dict)):
                    if nav(target) and isinstance(title, str):
                        out.append(title)
                        shown = True
                    continue
                path = nav_target(target) if isinstance(target, str) else ""
                if path is None or (published is not None and path in published):
                    if isinstance(title, str):
                        out.append(title)
                    shown = True
        return shown

    for _, data in _config_chain(config.config_file_path, _base(config)):
        walk({k: v for k, v in data.items() if k != "nav"})
        if "nav" in data:
            nav(data["nav"])
    return "\n".join(out)


def page_titles(review) -> dict[str, str]:
    """The ``title`` of each page of a ``SiteReview`` whose front matter could be read, published
    or not (a withheld page's nav entry is pruned; once it publishes, its title is the same)."""
    out = {}
    for page in review.pages.values():
        title = page.document.meta.get("title") if page.document is not None else None
        if isinstance(title, str):
            out[page.path] = title
    return out


# -- the record --------------------------------------------------------------------

def record_digest(inputs: Mapping[str, str]) -> str:
    """What an approval approves: the whole inputs mapping, canonically."""
    return _sha256(_canonical(dict(inputs)).encode())


def _record_data(text: str, where: str):
    try:
        data = frontmatter.load_yaml(text, f"构建输入记录 {where}", f"the build-input record {where}")
    except frontmatter.FrontMatterError as exc:
        raise RecordError(exc.zh, exc.en) from None
    if not isinstance(data, dict):
        raise RecordError(f"{where} 必须是映射，含 inputs 与 approvals",
                          f"{where} must be a mapping with inputs and approvals")
    unknown = sorted(str(k) for k in set(data) - {"inputs", "approvals"})
    if unknown:
        raise RecordError(f"{where} 含未知键：{unknown}", f"{where} has unknown keys: {unknown}")
    inputs = data.get("inputs")
    if inputs is None:
        inputs = {}
    if not isinstance(inputs, dict):
        raise RecordError(f"{where} 的 inputs 必须是 路径: \"sha256:…\" 的映射",
                          f"inputs in {where} must map paths to \"sha256:…\"")
    for path, digest in inputs.items():
        try:
            check_relative(path)
        except RecordError as exc:
            raise RecordError(f"{where}：{exc.zh}", f"{where}: {exc.en}") from None
        if not isinstance(digest, str) or not DIGEST_PATTERN.match(digest):
            raise RecordError(f"{where} 中 {path} 的摘要 {digest!r} 不是 sha256:64位十六进制",
                              f"the digest of {path} in {where} is not sha256:<64 hex>: {digest!r}")
    approvals = data.get("approvals")
    if approvals is None:
        approvals = []
    if not isinstance(approvals, list) or not all(isinstance(a, dict) for a in approvals):
        raise RecordError(f"{where} 的 approvals 必须是批准条目的列表",
                          f"approvals in {where} must be a list of approval entries")
    return dict(inputs), list(approvals)


def load_record(path: Path) -> tuple[dict[str, str], list[dict]]:
    """(inputs, approvals) of ``reviews/site.yml``, read strictly; RecordError otherwise."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RecordMissing(f"尚无构建输入记录 {path}", f"there is no build-input record {path}") from None
    except OSError as exc:
        raise RecordError(f"无法读取构建输入记录 {path}：{exc.strerror}",
                          f"cannot read the build-input record {path}: {exc.strerror}") from None
    try:
        text = frontmatter.decode(raw)
    except frontmatter.FrontMatterError as exc:
        raise RecordError(f"{path}：{exc.zh}", f"{path}: {exc.en}") from None
    return _record_data(text, str(path))


def compare(recorded: Mapping[str, str], current: Mapping[str, str]) -> list[InputChange]:
    """What differs between the record and the site, by path."""
    out = []
    for path in sorted(set(recorded) | set(current)):
        old, new = recorded.get(path), current.get(path)
        if old == new:
            continue
        state = "added" if old is None else "removed" if new is None else "changed"
        out.append(InputChange(path, state, old, new))
    return out


@dataclass(frozen=True)
class WriteResult:
    path: Path
    digest: str
    kept: int      # approvals of exactly these inputs
    dropped: int   # approvals of other inputs, removed
    created: bool


def write_record(path: Path, inputs: Mapping[str, str],
                 kinds: Mapping[str, str] | None = None) -> WriteResult:
    """Write ``inputs`` into ``reviews/site.yml`` (ruamel round-trip: comments kept).

    Approvals whose digest is not the new record's approved other inputs and
    are dropped.  An existing record that does not read strictly is never
    overwritten (approvals in it could be lost): fix it or delete it first.
    ``kinds`` (path → ``KINDS`` key) adds a comment beside each new entry.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    path = Path(path)
    for p, d in inputs.items():
        check_relative(p)
        if not isinstance(d, str) or not DIGEST_PATTERN.match(d):
            raise RecordError(f"{p} 的摘要 {d!r} 无效", f"invalid digest for {p}: {d!r}")
    created = not path.exists()
    if created:
        text = RECORD_TEMPLATE
    else:
        try:
            text = frontmatter.decode(path.read_bytes())
        except OSError as exc:
            raise RecordError(f"无法读取 {path}：{exc.strerror}", f"cannot read {path}: {exc.strerror}") from None
        except frontmatter.FrontMatterError as exc:
            raise RecordError(f"{path}：{exc.zh}", f"{path}: {exc.en}") from None
        _record_data(text, str(path))
    y = YAML()
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    data = y.load(text)
    if data is None:
        data = CommentedMap()
    current = data.get("inputs")
    if not isinstance(current, CommentedMap):
        current = CommentedMap()
        data["inputs"] = current
    current.fa.set_block_style()
    for key in [k for k in current if k not in inputs]:
        del current[key]
    for key in sorted(inputs):
        value = DoubleQuotedScalarString(inputs[key])
        if key in current:
            current[key] = value
        else:
            pos = sum(1 for k in current if k < key)
            current.insert(pos, key, value)
            note = KINDS.get((kinds or {}).get(key, ""))
            if note:
                # Two spaces after the quoted digest, whatever the key's length.
                current.yaml_add_eol_comment(note, key, column=2 + len(key) + 2 + len(value) + 2 + 2)
    digest = record_digest(inputs)
    approvals = data.get("approvals")
    if not isinstance(approvals, CommentedSeq):
        approvals = CommentedSeq()
        data["approvals"] = approvals
    stale = [i for i, a in enumerate(approvals) if not (isinstance(a, dict) and a.get("digest") == digest)]
    for i in reversed(stale):
        del approvals[i]
    if not approvals:
        approvals.fa.set_flow_style()  # `approvals: []`; a block list left empty dumps invalid YAML
    buf = io.StringIO()
    y.dump(data, buf)
    # Never write a record this module could not read back as exactly these inputs.
    if _record_data(buf.getvalue(), str(path))[0] != dict(inputs):
        raise RecordError(f"写入 {path} 的结果无法读回，未写入", f"{path} would not read back; not written")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".site.", suffix=".yml.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(buf.getvalue())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return WriteResult(path, digest, len(approvals), len(stale), created)


# -- findings ----------------------------------------------------------------------

MAX_NAMED = 50


def _names(changes: list[InputChange], lang: str) -> str:
    label = {"zh": {"added": "新增", "changed": "已变更", "removed": "已删除"},
             "en": {"added": "added", "changed": "changed", "removed": "removed"}}[lang]
    shown = [f"{c.path}（{label[c.state]}）" if lang == "zh" else f"{c.path} ({label[c.state]})"
             for c in changes[:MAX_NAMED]]
    more = len(changes) - len(shown)
    if more:
        shown.append(f"等另 {more} 项" if lang == "zh" else f"and {more} more")
    return ("、" if lang == "zh" else ", ").join(shown)


def inputs_findings(recorded: Mapping[str, str] | RecordError | None, current: Mapping[str, str],
                    record_path: Path | str) -> list[Finding]:
    """Findings that withhold the whole build until the inputs match the record.

    ``recorded`` is the record's inputs, ``None`` (or a ``RecordMissing``)
    when there is no record, or the ``RecordError`` that reading it raised.
    Whether the record is approved is the trust code's finding, not this one.
    """
    where = str(record_path)
    fix_zh, fix_en = FIX_ZH.format(record=where), FIX_EN.format(record=where)
    if recorded is None or isinstance(recorded, RecordMissing):
        return [Finding(
            "site-inputs.unrecorded", ARTICLE, where,
            f"站点构建输入（mkdocs.yml、主题覆盖、钩子、工作日历与词表、assets 文件，共 {len(current)} 项）"
            f"没有批准记录 {where}，未经审核不得用于发布",
            f"the site's build inputs (mkdocs.yml, theme overrides, hooks, calendar and lexicon, "
            f"assets files: {len(current)} in all) have no approval record {where}; they must not "
            "be used to publish before they are reviewed",
            fix_zh, fix_en, "inputs")]
    if isinstance(recorded, RecordError):
        return [Finding(
            "site-inputs.record-invalid", ARTICLE, where,
            f"构建输入记录无效：{recorded.zh}", f"the build-input record is invalid: {recorded.en}",
            f"修正或删除 {where} 后重新记录：{fix_zh}", f"fix or delete {where}, then record again: {fix_en}",
            "inputs")]
    changes = compare(recorded, current)
    if not changes:
        return []
    return [Finding(
        "site-inputs.changed", ARTICLE, where,
        f"{len(changes)} 项站点构建输入与批准记录不符，未经重新批准不得发布：{_names(changes, 'zh')}",
        f"{len(changes)} build input(s) differ from the approved record and must not be used to "
        f"publish before they are approved again: {_names(changes, 'en')}",
        fix_zh, fix_en, "inputs")]


def error_finding(exc: Exception, where: Path | str) -> Finding:
    """The inputs could not be listed (InputsError or any other error): fail closed."""
    zh = exc.zh if isinstance(exc, InputsError) else f"列出构建输入时出错：{exc!r}"
    en = exc.en if isinstance(exc, InputsError) else f"an error occurred while listing the build inputs: {exc!r}"
    return Finding("site-inputs.invalid", ARTICLE, str(where),
                   f"{zh}；站点不予发布", f"{en}; the site is not published",
                   "按上述说明修正后重新构建", "fix the above and build again", "inputs")


# -- one call for the build and the commands -----------------------------------------

@dataclass
class InputsReview:
    """The site's build inputs against ``reviews/site.yml``.

    ``findings`` withhold the build; ``digest`` is what an approval must
    name, and ``approvals`` are the record's entries for the trust code.
    """

    record_path: Path
    current: dict[str, str] | None = None       # None: the inputs could not be listed
    kinds: dict[str, str] = field(default_factory=dict)
    recorded: dict[str, str] | None = None      # None: no record, or an invalid one
    approvals: list[dict] = field(default_factory=list)
    record_error: RecordError | None = None
    changes: list[InputChange] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def digest(self) -> str | None:
        return record_digest(self.current) if self.current is not None else None

    @property
    def matches(self) -> bool:
        """The inputs are exactly those recorded (approval not yet checked)."""
        return self.current is not None and self.recorded is not None and not self.findings

    def states(self) -> list[tuple[str, str]]:
        """(path, ok|changed|added|removed) for every current and recorded input."""
        changed = {c.path: c.state for c in self.changes}
        if self.recorded is None:
            return [(p, "added") for p in sorted(self.current or {})]
        paths = sorted(set(self.current or {}) | set(self.recorded))
        return [(p, changed.get(p, "ok")) for p in paths]


def review_inputs(config, options, page_titles: Mapping[str, str],
                  path: Path | None = None) -> InputsReview:
    """List the inputs, read the record, compare: every error is a finding."""
    try:
        where = path or record_path(config, options)
    except Exception as exc:  # noqa: BLE001 - fail closed
        return InputsReview(Path(RECORD_NAME), findings=[error_finding(exc, RECORD_NAME)])
    result = InputsReview(Path(where))
    try:
        shown = _key(str(where), _base(config))  # reviews/site.yml, as the user knows it
    except InputsError:
        shown = str(where)
    try:
        items = collect(config, options, page_titles)
    except Exception as exc:  # noqa: BLE001 - fail closed: an unlisted input withholds
        result.findings.append(error_finding(exc, shown))
        return result
    result.current = {p: i.digest for p, i in items.items()}
    result.kinds = {p: i.kind for p, i in items.items()}
    try:
        result.recorded, result.approvals = load_record(Path(where))
    except RecordError as exc:
        result.record_error = exc
        result.findings = inputs_findings(exc, result.current, shown)
        return result
    except Exception as exc:  # noqa: BLE001
        result.findings.append(error_finding(exc, shown))
        return result
    result.changes = compare(result.recorded, result.current)
    result.findings = inputs_findings(result.recorded, result.current, shown)
    return result


# -- what is public besides the pages (the leak scan, ``build.public``) -------------------

# Input kinds whose files hold text a build may show.  Not the gate's registers (the
# lexicon lists sensitive words), requirements or .gitattributes.
PUBLIC_INPUT_KINDS = frozenset({"theme", "hook", "hook-module", "module", "plugin-file",
                                "local-package", "asset"})


def _top_level_dir(module: str) -> str | None:
    """The directory of ``module``'s top-level package, found without importing anything."""
    top = module.split(".")[0].strip()
    if not top:
        return None
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        locations = list(spec.submodule_search_locations)
        return locations[0] if len(locations) == 1 else None
    return None  # a single-file module: its strings are code, not copied files


def _theme_parents(theme_dir: str) -> list[str]:
    """``extends:`` of a theme's mkdocs_theme.yml (read safely), if any."""
    import yaml
    try:
        with open(os.path.join(theme_dir, "mkdocs_theme.yml"), encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return []
    parent = data.get("extends") if isinstance(data, dict) else None
    return [parent] if isinstance(parent, str) else []


def entry_point_dist(eps, group: str, name: str) -> tuple[str | None, str | None]:
    """(module, distribution name) of an entry point, found without importing it."""
    try:
        for ep in eps.select(group=group, name=name):
            dist = getattr(ep, "dist", None)
            return ep.value.split(":")[0], (dist.metadata["Name"] if dist is not None else None)
    except Exception:  # noqa: BLE001 - broken metadata: that package counts for nothing
        pass
    return None, None


def package_names(theme: str | None, plugins: Iterable[str],
                  extensions: Iterable[str]) -> list[str]:
    """The installed distributions of the site's theme, plugins and Markdown extensions.

    Resolved by name through the packages' entry points (``mkdocs.themes``,
    ``mkdocs.plugins``) and, for an extension, the distribution that installed
    its top-level module — nothing is imported.  MkDocs itself is always
    included (its default themes, search plugin and sitemap template).  Only
    the files each distribution's installed ``RECORD`` lists, with the digest
    it records, count as its files (``build.public``): a file added to or
    changed in a package directory afterwards (a virtual environment inside
    the repository, say) counts for nothing.
    """
    names: list[str] = ["mkdocs"]
    try:
        eps = importlib.metadata.entry_points()  # one pass over the installed distributions
    except Exception:  # noqa: BLE001
        return names
    themes = [theme or "mkdocs"]
    seen_themes: set[str] = set()
    while themes:
        name = themes.pop()
        if name in seen_themes:
            continue
        seen_themes.add(name)
        module, dist = entry_point_dist(eps, "mkdocs.themes", name)
        if dist:
            names.append(dist)
        top = _top_level_dir(module) if module else None
        if top:
            themes.extend(_theme_parents(os.path.join(top, *module.split(".")[1:])))
    for name in plugins:
        _, dist = entry_point_dist(eps, "mkdocs.plugins", str(name))
        if dist:
            names.append(dist)
    # MkDocs' short names ("admonition") are Python-Markdown's own extensions.
    tops = {str(name).split(".")[0] if "." in str(name) else "markdown" for name in extensions}
    names.extend(module_distributions(tops).values())
    return sorted(set(names), key=str.lower)


def record_rows(dist) -> list[tuple[str, str | None, int | None]]:
    """(path, hash spec or None, size or None) of each line of a distribution's installed
    ``RECORD``, as ``Distribution.files`` reads them, without making a path object per line
    (Material's RECORD lists about 15,000 files, mostly icons: 0.2 s as objects)."""
    try:
        text = dist.read_text("RECORD")
    except Exception:  # noqa: BLE001 - unreadable metadata: no files
        return []
    if not text:
        return []
    if '"' in text:  # a quoted path (a comma in a file name): the csv module's reading
        import csv
        rows = list(csv.reader(text.splitlines()))
    else:
        rows = [line.split(",") for line in text.splitlines()]
    out = []
    for row in rows:
        if len(row) < 3 or not row[0]:
            continue
        path, spec, size = row[0], row[1], row[2]
        out.append((path, spec or None, int(size) if size.isdigit() else None))
    return out


def module_distributions(tops: Iterable[str]) -> dict[str, str]:
    """The first installed distribution providing each top-level module, by name — what
    ``importlib.metadata.packages_distributions()`` maps it to first (``top_level.txt``,
    or else the top-level ``.py`` files and directories holding ``.py`` files its RECORD
    lists), reading only the RECORDs that name the module (that function reads every
    RECORD of the environment as path objects: 0.3–0.6 s on a build's critical path)."""
    wanted = set(tops)
    found: dict[str, str] = {}
    try:
        dists = list(importlib.metadata.distributions())
    except Exception:  # noqa: BLE001
        return found
    for dist in dists:
        if not wanted - found.keys():
            break
        try:
            top_level = dist.read_text("top_level.txt")
        except Exception:  # noqa: BLE001 - broken metadata: that package counts for nothing
            continue
        provided = set((top_level or "").split())
        if not provided:
            try:
                record = dist.read_text("RECORD")
                if record is None:  # an egg-info install: as Distribution.files reads it
                    paths = [str(f) for f in dist.files or []]
                elif any(t in record for t in wanted - found.keys()):
                    paths = [path for path, _, _ in record_rows(dist)]
                else:
                    continue
            except Exception:  # noqa: BLE001
                continue
            for path in paths:
                if path.endswith(".py"):
                    provided.add(path.split("/")[0] if "/" in path else path[:-3])
        mine = provided & (wanted - found.keys())
        if not mine:
            continue
        try:
            name = dist.metadata["Name"]
        except Exception:  # noqa: BLE001
            continue
        for top in mine:
            found[top] = name
    return found


def site_packages(config) -> tuple:
    """(theme, plugins, Markdown extensions) of a site configuration (MkDocs' own, or
    ``core.siteconfig``'s), by name: ``package_names`` resolves them where the scan runs."""
    theme = getattr(getattr(config, "theme", None), "name", None)
    plugins = [str(n) for n in (config["plugins"] or {}).keys()] if config["plugins"] else []
    extensions = [e for e in (config["markdown_extensions"] or []) if isinstance(e, str)]
    return (theme if isinstance(theme, str) else None, plugins, extensions)


def public_input_files(items: Mapping[str, object], base: str) -> list[tuple[str, str]]:
    """(absolute path, approved digest) of the approved inputs whose text is public.

    ``items`` is ``review.inputs.collect``'s path → Input of an approved record.
    """
    return sorted((os.path.join(base, *path.split("/")), item.digest)
                  for path, item in items.items() if item.kind in PUBLIC_INPUT_KINDS)



__all__ = [
    "ARTICLE", "Input", "entry_point_dist", "module_distributions", "record_rows", "InputChange", "InputsError", "InputsReview", "RecordError", "RecordMissing",
    "WriteResult", "collect", "compare", "inputs_findings", "load_config_yaml", "load_record",
    "nav_titles", "package_names", "page_titles", "public_input_files", "record_digest",
    "record_path", "review_inputs", "site_packages",
    "site_inputs", "write_record",
]
