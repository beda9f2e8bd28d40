"""The gated build for any generator: review → stage → generate → verify → publish.

The MkDocs plugin keeps its promise only inside MkDocs.  Zensical reads the
same ``mkdocs.yml`` but runs none of its plugins, and ProperDocs and MkDocs 2
load plugins their own way: under any of them the plugin is silently
skipped and every page is published.  ``secrecy-gate build`` therefore does
not rely on a plugin API at all.  It

1. reviews the site (the same ``Gate`` as the plugin and ``check``);
2. stages the approved-only tree (``stage.write_stage``, the one the plugin
   builds from): published pages with their 第九条 secret points already cut
   and their review records removed, approved files, the disclosure
   catalogue page and each document's metadata table written in as HTML;
3. writes a configuration beside ``mkdocs.yml`` that is the site's own with
   ``docs_dir`` pointed at the stage, ``site_dir`` at a directory inside the
   stage, the ``secrecy-gate`` plugin removed and ``nav`` pruned to what is
   published;
4. runs the generator on it (a separate process: nothing of the generator is
   imported here);
5. scans the whole output for withheld text (``verify.verify_report``, the
   scan ``verify-site`` runs);
6. and only then moves the output into ``site_dir``.

The stage and the configuration are internal material: they sit in the
site's directory (Zensical requires ``docs_dir`` and ``site_dir`` inside it),
never inside ``docs_dir`` or ``site_dir``, and are removed whatever happens.
On any failure (review, generator, scan, a file that cannot be written)
``site_dir`` is left empty of output: an old site in it might be one an
ungated generator wrote, and a later deploy step must find nothing to ship.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..core.siteconfig import SiteConfig, Tagged, plugin_names, read_chain
from ..review.gate import Gate, GateConfig, SiteReview
from . import catalogue, report
from .stage import Stage, _inside, memory_dir, staged_bytes, write_stage
from .verify import verify_report

PLUGIN_NAME = "secrecy-gate"
ENV_GENERATOR = "SECRECY_GATE_GENERATOR"


@dataclass(frozen=True)
class Generator:
    """A static site generator run as ``<command> build -f CONFIG`` on the staged tree."""

    name: str
    module: str  # run as ``python -m module`` when importable here
    package: str  # what ``pip install`` needs
    build_args: tuple[str, ...] = ("build",)
    # Follows symbolic links to directories in docs_dir (MkDocs does), so the stage's
    # folders can live in memory (``stage.memory_dir``); Zensical lists only real folders.
    follows_links: bool = True

    def command(self) -> list[str] | None:
        """The command line that runs it, or None when it is not installed.

        As a site runs it (``zensical build``), never as ``python -m zensical`` from the
        site's directory: that puts the directory first on ``sys.path``, where a committed
        ``zensical.pyc`` would run in the generator's place.  The console script beside this
        Python first, else ``python -P -m`` (3.11+; ``-I`` before), else the one on PATH.
        """
        script = Path(sys.executable).with_name(self.name)
        if script.is_file() and os.access(script, os.X_OK):
            return [str(script)]
        if importlib.util.find_spec(self.module) is not None:
            return [sys.executable, "-P" if sys.version_info >= (3, 11) else "-I", "-m", self.module]
        exe = shutil.which(self.name)
        return [exe] if exe else None


GENERATORS = {
    # `mkdocs build` cleans site_dir itself (a fresh directory here anyway).
    "mkdocs": Generator("mkdocs", "mkdocs", "mkdocs>=1.6,<2"),
    # --clean: Zensical keeps a cache beside mkdocs.yml; a page is rendered from the
    # staged text of this review, never from a cache the gate did not write.
    "zensical": Generator("zensical", "zensical", "zensical", ("build", "--clean"), follows_links=False),
    "properdocs": Generator("properdocs", "properdocs", "properdocs"),
}


class BuildError(Exception):
    """The gated build stopped; ``zh``/``en`` say why and what to do.  Nothing was published."""

    def __init__(self, zh: str, en: str | None = None, exit_code: int = 1):
        super().__init__(en or zh)
        self.zh = zh
        self.en = en
        self.exit_code = exit_code

    def render(self) -> str:
        """Both languages; a message ``report`` made is bilingual already (``en`` None)."""
        if self.en is None:
            return self.zh
        return f"secrecy-gate：{self.zh}\nsecrecy-gate: {self.en}"


def choose_generator(name: str | None, config_dir: Path) -> Generator:
    """``name``, else ``$SECRECY_GATE_GENERATOR``, else Zensical for a site that has a
    ``zensical.toml``, else MkDocs."""
    name = name or os.environ.get(ENV_GENERATOR) or ("zensical" if (config_dir / "zensical.toml").is_file()
                                                        else "mkdocs")
    gen = GENERATORS.get(name)
    if gen is None:
        raise BuildError(f"不认识的生成器 {name!r}；可选：{', '.join(GENERATORS)}",
                         f"unknown generator {name!r}; choose one of {', '.join(GENERATORS)}", 2)
    return gen


# --- The generator's configuration -------------------------------------------------------

class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Safe YAML, and each tag the site wrote (``!ENV``, ``!!python/name:``) written back."""


def _represent_tagged(dumper, data: Tagged):
    if isinstance(data.value, dict):
        return dumper.represent_mapping(data.tag, data.value)
    if isinstance(data.value, list):
        return dumper.represent_sequence(data.tag, data.value)
    return dumper.represent_scalar(data.tag, "" if data.value is None else str(data.value))


_Dumper.add_representer(Tagged, _represent_tagged)


def without_gate_plugin(plugins):
    """``plugins:`` as written (a list or a mapping), without the gate's own entry."""
    if isinstance(plugins, dict):
        return {k: v for k, v in plugins.items() if k != PLUGIN_NAME}
    if isinstance(plugins, list):
        return [p for p in plugins if not (p == PLUGIN_NAME or (isinstance(p, dict) and PLUGIN_NAME in p))]
    return plugins


def generator_config(config_file: Path, docs_dir: Path, site_dir: Path, nav) -> dict:
    """The site's configuration (``INHERIT`` merged as MkDocs merges it, every tag kept
    as written) pointed at the stage: ``docs_dir`` and ``site_dir`` replaced, the gate's
    plugin removed, and ``nav`` (when the site has one) the pruned one.

    Everything else is the site's own, and relative paths in it keep meaning what they
    meant: the file is written beside ``mkdocs.yml``.
    """
    data = read_chain(config_file)
    data["docs_dir"] = str(docs_dir)
    data["site_dir"] = str(site_dir)
    if "plugins" in data:
        data["plugins"] = without_gate_plugin(data["plugins"])
    if nav is not None:
        data["nav"] = nav
    return data


def write_generator_config(data: dict, path: Path) -> None:
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=1 << 16)
    path.write_text("# Written by secrecy-gate for one gated build; removed after it.\n" + text,
                    encoding="utf-8")


# --- The disclosure catalogue and metadata tables, as staged text -------------------------

def document_heads(review: SiteReview, options, config: SiteConfig) -> tuple[dict[str, str], dict[str, str]]:
    """What the plugin adds after rendering, as raw HTML any generator passes through:
    (HTML put above each published document's body, extra staged pages by path).

    The values come only from published pages' reviewed metadata (``catalogue``), HTML-
    escaped there; links are relative URLs, which no generator rewrites.
    """
    from mkdocs.structure.files import File
    from mkdocs.utils import get_relative_url

    lang = options.language
    documents = catalogue.documents(review)
    heads = ({path: catalogue.metadata_table(entry, lang) + "\n" for path, entry in documents.items()}
             if options.document_table else {})
    uri = options.catalogue
    extra: dict[str, str] = {}
    if uri is None:
        return heads, extra
    from .plugin import _nav_targets

    listed = bool(config.nav) and uri in _nav_targets(config.nav)
    if not (documents or listed):
        return heads, extra
    if uri in review.pages or uri in review.files:
        raise BuildError(f"公开目录的路径 {uri} 已有文件，请删除该文件或换一个 catalogue 路径",
                         f"the catalogue path {uri} is taken by a file; remove it or set another "
                         "`catalogue:` path")

    def url(path: str) -> str:
        return File(path, None, "", config.use_directory_urls).url

    here = url(uri)
    rows = [(entry, get_relative_url(url(path), here)) for path, entry in documents.items()]
    title = catalogue.LABELS[lang]["heading"]
    extra[uri] = (f"---\ntitle: {title}\n---\n\n" + catalogue.catalogue_html(rows, lang) + "\n")
    return heads, extra


# --- The build -----------------------------------------------------------------------------

@dataclass
class Outcome:
    review: SiteReview
    site_dir: Path
    generator: str
    hits: list = dataclasses.field(default_factory=list)


def _check_dirs(config: SiteConfig) -> tuple[Path, Path, Path]:
    config_dir = Path(config.config_file_path).parent.resolve()
    docs_dir = Path(config.docs_dir).resolve()
    site_dir = Path(config.site_dir).resolve()

    def inside(p: Path, d: Path) -> bool:
        return _inside(str(p), d)

    if not inside(docs_dir, config_dir):
        raise BuildError(
            f"docs_dir（{docs_dir}）不在站点目录 {config_dir} 之内：审查依据的 git 历史与暂存目录都须在站点仓库中"
            "（第十八条）。请把文档目录移入该目录，并在 mkdocs.yml 中相对地写 docs_dir",
            f"docs_dir ({docs_dir}) is outside the site's directory {config_dir}: the git history the "
            "review relies on and the staging directory must be inside the site's repository. Move "
            "the documents into it and give docs_dir relative to mkdocs.yml", 2)
    if inside(docs_dir, site_dir) or inside(site_dir, docs_dir) or inside(config_dir, site_dir):
        raise BuildError(
            f"site_dir（{site_dir}）不得包含或位于 docs_dir 或站点目录之中：构建会清空 site_dir",
            f"site_dir ({site_dir}) must neither hold nor lie inside docs_dir, and must not hold "
            "mkdocs.yml: the build empties it", 2)
    # Cleared and replaced as named: a symbolic link is removed, never what it points to.
    return config_dir, docs_dir, Path(os.path.abspath(config.site_dir))


def _clear(site_dir: Path) -> None:
    """No output of an earlier or a failed build stays where a deploy step would find it."""
    if site_dir.is_symlink() or site_dir.is_file():
        site_dir.unlink()
    elif site_dir.exists():
        shutil.rmtree(site_dir)


def _run(command: list[str], cwd: Path, out: Callable[[str], None]) -> None:
    proc = subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, encoding="utf-8", errors="replace")
    for line in proc.stdout.splitlines():
        out("  " + line)
    if proc.returncode != 0:
        raise BuildError(f"生成器以状态 {proc.returncode} 退出，未发布任何内容；请按上面生成器的输出修正站点后重试",
                         f"the generator exited with status {proc.returncode}; nothing was published. "
                         "Fix what its output above says and build again")


def gated_build(config: SiteConfig, options, gc: GateConfig, generator: Generator | str | None, *,
                strict: bool = False, out: Callable[[str], None] = print,
                summary: Callable[[SiteReview], None] | None = None) -> Outcome:
    """Review, stage, generate, verify and publish; BuildError when anything stops it.

    ``generator``: a Generator, or its name (None: see ``choose_generator``).  Once the
    directories are known to be safe to empty, every failure leaves ``site_dir`` empty.
    """
    config_dir, docs_dir, site_dir = _check_dirs(config)
    try:
        if not isinstance(generator, Generator):
            generator = choose_generator(generator, config_dir)
        command = generator.command()
        if command is None:
            raise BuildError(f"生成器 {generator.name} 未安装：请先运行 pip install '{generator.package}'",
                             f"the generator {generator.name} is not installed: "
                             f"run pip install '{generator.package}' first", 2)
        if out is not None:
            out(f"secrecy-gate build：生成器 / generator {generator.name}")
        review = Gate(gc).review()
        site_problems = [f for f in review.site_findings if f.withholds]
        if site_problems:
            raise BuildError(report.site_message(site_problems, options.language))
        if summary is not None:
            summary(review)
        problems = report.failing(review, options.rollout)
        if problems and options.fail_on_withheld:
            raise BuildError(report.fail_message(problems, options.language, options.rollout))
        _clear(site_dir)
        heads, extra = document_heads(review, options, config)
        try:
            memory = memory_dir(staged_bytes(review, docs_dir)) if generator.follows_links else None
            stage = write_stage(review, docs_dir, config_dir, memory, heads=heads, extra=extra)
        except OSError as exc:
            raise BuildError(f"无法写入待发布内容的暂存目录（第二条）：{exc}",
                             f"cannot write the staging directory of approved content: {exc}") from exc
        config_path = stage.root.with_name(stage.root.name + ".yml")
        try:
            return _generate(config, review, stage, config_path, site_dir, generator, command,
                             strict, out)
        finally:
            with contextlib.suppress(OSError):
                config_path.unlink()
            stage.remove()
    except BaseException:
        with contextlib.suppress(OSError):
            _clear(site_dir)
        raise


def _generate(config: SiteConfig, review: SiteReview, stage: Stage, config_path: Path,
              site_dir: Path, generator: Generator, command: list[str], strict: bool,
              out: Callable[[str], None]) -> Outcome:
    from .plugin import prune_nav

    built = stage.root / "site"
    nav = None
    if config.nav:
        nav = prune_nav(config.nav, stage.pages | stage.files, set(review.files))
    try:
        # Relative to mkdocs.yml, as sites write them (Zensical stops at absolute ones).
        base = config_path.parent
        write_generator_config(generator_config(Path(config.config_file_path),
                                                Path(os.path.relpath(stage.docs_dir, base)),
                                                Path(os.path.relpath(built, base)), nav), config_path)
    except OSError as exc:
        raise BuildError(f"无法在 {config_path.parent} 写入构建配置：{exc}",
                         f"cannot write the build configuration in {config_path.parent}: {exc}") from exc
    _run([*command, *generator.build_args, "-f", str(config_path), *(["--strict"] if strict else [])],
         Path(config.config_file_path).parent, out)
    if not built.is_dir():
        raise BuildError(f"生成器 {generator.name} 未写出任何输出",
                         f"the generator {generator.name} wrote no output")
    hits, _ = verify_report(built, review, Path(config.docs_dir))
    outcome = Outcome(review, site_dir, generator.name, hits)
    if hits:
        return outcome  # the caller reports them; the stage (and the output in it) goes
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(built, site_dir)
    except OSError:  # another file system
        shutil.copytree(built, site_dir, symlinks=True)
    return outcome


# --- The approved-only tree on its own -----------------------------------------------------

@dataclass
class Staged:
    review: SiteReview
    stage: Stage
    config: Path


# Keys of mkdocs.yml that name files relative to mkdocs.yml: absolute in a configuration
# written elsewhere.  (Plugin options are kept as written.)
def _absolute_paths(data: dict, config_dir: Path) -> dict:
    def absolute(value):
        return str(config_dir / value) if isinstance(value, str) and not os.path.isabs(value) else value

    theme = data.get("theme")
    if isinstance(theme, dict) and "custom_dir" in theme:
        data["theme"] = {**theme, "custom_dir": absolute(theme["custom_dir"])}
    for key in ("hooks", "watch"):
        if isinstance(data.get(key), list):
            data[key] = [absolute(v) for v in data[key]]
    return data


def stage_to(out: Path, config: SiteConfig, options, gc: GateConfig) -> Staged:
    """``secrecy-gate stage OUT``: the approved-only tree in ``OUT/docs`` and the site's
    configuration pointed at it in ``OUT/mkdocs.yml`` (output: ``OUT/site``)."""
    from .plugin import prune_nav

    config_dir, docs_dir, site_dir = _check_dirs(config)
    out = out.resolve()
    for d, what in ((docs_dir, "docs_dir"), (site_dir.resolve(), "site_dir")):
        if out == d or d in out.parents or out in d.parents:
            raise BuildError(f"OUT（{out}）不得位于 {what} 之中或包含它：暂存内容不得混入源文件或被误部署",
                             f"OUT ({out}) must not be inside or hold {what}: staged content must "
                             "not mix with the sources nor be deployed by mistake", 2)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BuildError(f"{out} 已存在且非空：请指定一个新目录",
                         f"{out} exists and is not empty: give a new directory", 2)
    review = Gate(gc).review()
    site_problems = [f for f in review.site_findings if f.withholds]
    if site_problems:
        raise BuildError(report.site_message(site_problems, options.language))
    heads, extra = document_heads(review, options, config)
    try:
        stage = write_stage(review, docs_dir, None, heads=heads, extra=extra, at=out)
    except OSError as exc:
        raise BuildError(f"无法写入 {out}：{exc}", f"cannot write {out}: {exc}") from exc
    nav = prune_nav(config.nav, stage.pages | stage.files, set(review.files)) if config.nav else None
    data = _absolute_paths(generator_config(Path(config.config_file_path), Path("docs"),
                                            Path("site"), nav), config_dir)
    config_path = out / "mkdocs.yml"
    write_generator_config(data, config_path)
    return Staged(review, stage, config_path)


# --- Builds that would skip the gate ---------------------------------------------------------

# Where a site's build command lives: CI configurations, and the task files they call.
CI_FILES = (".gitlab-ci.yml", "Jenkinsfile", ".drone.yml", ".woodpecker.yml", "azure-pipelines.yml",
            "bitbucket-pipelines.yml", "netlify.toml", "vercel.json", "Makefile", "GNUmakefile",
            "justfile", "tox.ini", "noxfile.py", "package.json", ".readthedocs.yml", ".readthedocs.yaml",
            "pyproject.toml", "Taskfile.yml", "Taskfile.yaml")
CI_GLOBS = (".github/workflows/*.yml", ".github/workflows/*.yaml", ".github/actions/**/action.yml",
            ".github/actions/**/action.yaml", "*.gitlab-ci.yml", ".gitlab/**/*.yml", ".woodpecker/*.yml",
            ".circleci/config.yml", "Dockerfile*", "scripts/*", "ci/*", "bin/*")
MAX_CI_FILE = 1 << 20
# A generator that runs no MkDocs plugin, building or deploying: `zensical build`,
# `uvx zensical@latest build`, `"properdocs" \ <newline> gh-deploy` … — tokens may be
# quoted and split over lines (shell continuations, YAML folded blocks).  Never
# `secrecy-gate build --generator zensical`: there "zensical" is not followed by "build".
_UNGATED = re.compile(r"(?<![\w.-])['\"]?(zensical|properdocs)(?:\.exe)?(?:@[^\s'\"]*)?['\"]?"
                      r"(?:\s|\\\n)+['\"]?(build|gh-deploy)\b")
# MkDocs itself is gated only by a configuration that enables the plugin.
_MKDOCS = re.compile(r"(?<![\w.-])['\"]?mkdocs(?:\.exe)?['\"]?(?:\s|\\\n)+['\"]?(build|gh-deploy)\b([^\n]*)")
_CONFIG_ARG = re.compile(r"\s(?:-f|--config-file)(?:\s+|=)['\"]?([^\s'\"]+)")


@dataclass(frozen=True)
class UngatedBuild:
    """A line of a CI or task file that builds the site without the gate."""

    path: str  # relative to the repository
    line: int
    text: str
    generator: str
    config: str | None = None  # for MkDocs: the configuration that does not enable the plugin

    def replacement(self) -> str:
        config = self.config or (lambda m: m.group(1) if m else None)(_CONFIG_ARG.search(" " + self.text))
        f = f" -f {config}" if config else ""
        return f"secrecy-gate build --generator {self.generator}{f}"

    def render(self, lang: str = "zh") -> str:
        fix = self.replacement()
        if self.generator == "mkdocs":
            why_en = f"with {self.config}, a configuration that does not enable the secrecy-gate plugin"
            why_zh = f"所用配置 {self.config} 未启用 secrecy-gate 插件"
        else:
            why_en = f"with {self.generator}, which does not run MkDocs plugins"
            why_zh = f"用 {self.generator} 构建，而它不运行 MkDocs 插件"
        if lang == "en":
            return (f"{self.path}:{self.line}: `{self.text}` builds the site {why_en}: every page, "
                    f"reviewed or not, would be published (第二条). Replace it with `{fix}` (review, "
                    "build, leak scan), then run `secrecy-gate verify-site` before deploying.")
        return (f"{self.path}:{self.line}：`{self.text}` {why_zh}：无论是否审查，所有页面都会被发布（第二条）。"
                f"请改为 `{fix}`（审查、构建、泄密扫描），部署前再运行 `secrecy-gate verify-site`。")


def _enables_gate(config: Path) -> bool | None:
    """Whether ``config`` (INHERIT followed) lists the plugin; None when it cannot be read."""
    from ..core.siteconfig import SiteConfigError

    try:
        plugins = read_chain(config).get("plugins")
    except (SiteConfigError, OSError):
        return None
    return plugins is not None and PLUGIN_NAME in plugin_names(plugins)


def ungated_builds(top: Path, default_config: Path | None = None) -> list[UngatedBuild]:
    """Every command under ``top`` (a repository) that builds without the gate: a generator
    that ignores MkDocs plugins, or `mkdocs build` with a configuration (``-f``, else
    ``default_config``) that exists and does not enable the plugin.

    Comment lines are skipped; files that cannot be read as text are skipped too.  A best
    effort: a command assembled from variables is not recognised.  It only warns — what is
    deployed must still pass `verify-site`.
    """
    paths: set[Path] = {top / name for name in CI_FILES if (top / name).is_file()}
    for pattern in CI_GLOBS:
        paths.update(p for p in top.glob(pattern) if p.is_file())
    found = []
    for path in sorted(paths):
        try:
            if path.stat().st_size > MAX_CI_FILE:
                continue
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        lines = text.splitlines()
        rel = path.relative_to(top).as_posix()

        def where(m) -> tuple[int, str] | None:
            number = text.count("\n", 0, m.start()) + 1
            line = lines[number - 1].strip() if number <= len(lines) else ""
            if line.startswith(("#", "//", "REM ", "rem ")):
                return None
            last = text.count("\n", 0, m.end()) + 1
            shown = " ".join(" ".join(lines[number - 1:last]).replace("\\ ", " ").split())
            return number, shown[:200]

        for m in _UNGATED.finditer(text):
            at = where(m)
            if at:
                found.append(UngatedBuild(rel, at[0], at[1], m.group(1)))
        for m in _MKDOCS.finditer(text):
            at = where(m)
            arg = _CONFIG_ARG.search(" " + m.group(2))
            config = top / arg.group(1) if arg else default_config
            if at and config is not None and config.is_file() and _enables_gate(config) is False:
                shown = arg.group(1) if arg else config.name
                found.append(UngatedBuild(rel, at[0], at[1], "mkdocs", shown))
    return found
