"""The MkDocs plugin ``secrecy-gate``: thin glue from MkDocs events to the gate.

Events used, and why:

- ``on_startup``  remembers the command; refuses ``--dirty`` (stale output of
  now-withheld pages would survive).  Its presence also keeps the instance
  across ``mkdocs serve`` rebuilds.
- ``on_config``   (first) refuses MkDocs 2; judges every file MkDocs would
  publish, once (MkDocs' own discovery: ``exclude_docs``, ``draft_docs``,
  dot-files are never judged); writes the approved-only view of docs_dir
  (``stage``) and points ``config.docs_dir`` at it, before any other plugin
  reads it: MkDocs' ``files``, ``content_string``, Jinja loaders and includes
  relative to docs_dir only ever see approved content.  (Preview under
  ``mkdocs serve`` on loopback keeps the real docs_dir: it shows unreviewed
  pages with a banner anyway.)  (Last) checks that no plugin moved docs_dir
  back or changed what the review read.  From 200 pages on, the leak scan
  starts here, after the review, in a second process (``leakwatch``).
- ``on_files``    (first) hands each published page to MkDocs: the exact text
  that was judged, and ``abs_src_path`` back on the original file.  (Last)
  judges every file by its path: a published page gets the judged text
  again, whatever another plugin did to it; anything else from docs_dir or
  the stage that is not approved becomes ``InclusionLevel.EXCLUDED`` (never
  DRAFT, which ``serve`` shows and indexes).  What other plugins generated
  (Material's blog archives, a hook's page) is published, made from the
  approved-only stage by approved code, unless its path or source is one the
  review reserves (``generated.py``: a withheld page's path, an approved
  page's output, the real docs_dir): that is EXCLUDED and named in a
  warning.  An explicit ``nav`` is pruned.  Then, from the
  published pages only, the disclosure catalogue page (政府信息公开目录) is
  generated.  The front matter is handed to MkDocs already parsed (an empty
  one to skip, ``page.meta`` restored first in ``on_page_markdown``).
- ``on_page_markdown`` restores ``page.meta`` and the judged text (first: a
  plugin may have read the original file itself); re-checks (last) that no
  other plugin re-included a page or a refused generated file, and adds the
  preview banner under ``mkdocs serve``.
- ``on_page_content`` adds HTML no Markdown extension ever sees: the metadata
  table above a published document; the catalogue page's whole content.
- ``on_env``      re-checks every file's inclusion before anything is written.
- ``on_post_page`` (last) hands each page's final HTML to the leak scan.
- ``on_post_build`` (last) prints the summary (``report.log_summary``: counts and
  each kind of finding once, generated pages by plugin; page by page with
  ``verbose``) and finishes the leak
  scan of the whole output directory — any hit deletes it and fails the build.
  When ``fail_on_withheld`` stops the build in ``on_config``, the summary is
  printed there, before the error.
  Then (and on ``build_error``, ``shutdown``) the stage is removed and
  ``config.docs_dir`` is the real one again: ``mkdocs serve`` watches it.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import os
import posixpath
import re
import shutil
import threading
import time
from pathlib import Path, PurePath

import mkdocs
from mkdocs.config import config_options as c
from mkdocs.config.base import Config, ValidationError
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.toc import get_toc
from mkdocs.utils import get_relative_url
from mkdocs.utils.meta import get_data

from . import catalogue, generated, report
from ..core.workdays import as_date
from ..review import rules
from ..review.gate import (MARKDOWN_EXTENSIONS, Discovery, Gate, GateConfig, PageResult,
                           ReviewCache, SiteReview)
from ..review.inputs import nav_target
from ..scanners import documents
from ..scanners.text import MARKING_KINDS, PII_KINDS
from .leakwatch import LeakWatch, documents_ahead
from .stage import Stage, handoff_body, memory_dir, stage_parent, staged_bytes, write_stage
from .verify import scanner_from_inputs, scanner_inputs, verify_site

log = logging.getLogger("mkdocs.plugins.secrecy_gate")

PREVIEW_BANNER = (
    '!!! danger "预览：未经保密审查，不得公开 (preview: not reviewed, must not be published)"\n'
    "    {reason}\n\n"
)


DIRTY_REFUSED = (
    "secrecy-gate：拒绝 --dirty 构建：旧的输出可能包含现已撤下的页面。请去掉 --dirty 重新构建。\n"
    "secrecy-gate: refusing a --dirty build: stale output could keep pages that are now "
    "withheld. Build again without --dirty.")


# The empty front matter a handed-over page starts with (its meta is restored from the review).
HANDOFF_HEAD = "---\n{}\n---\n"

# From this many pages on, starting a scanning process (~0.3 s) beside the build pays off.
BACKGROUND_SCAN_PAGES = 200


class _UnlessOff(c.BaseConfigOption):
    """An option with a default that ``false`` or ``null`` switches off (None)."""

    def __init__(self, default: str, check):
        super().__init__()
        self.default = default
        self.check = check

    def pre_validation(self, config, key_name):
        if key_name not in config:
            config[key_name] = self.default

    def run_validation(self, value):
        return None if value is None or value is False else self.check(value)


def _regex(value) -> str:
    try:
        re.compile(value)
    except (TypeError, re.error) as exc:
        raise ValidationError(f"不是有效的正则表达式 / not a valid regular expression: {exc}")
    return value


class _Date(c.BaseConfigOption):
    """A date written ``2026-11-01`` (YAML reads it as a date) or as that string; unset: None."""

    def run_validation(self, value):
        if value is None:
            return None
        day = as_date(value)
        if day is not None:
            return day
        raise ValidationError(f"应为日期 YYYY-MM-DD / must be a date YYYY-MM-DD: {value!r}")


def _page_path(value) -> str:
    if not isinstance(value, str) or not value.endswith(".md") or value.startswith("/") \
            or posixpath.normpath(value) != value or value.startswith(".."):
        raise ValidationError(f"应为文档目录内的 .md 相对路径，如 gkml/index.md / "
                              f"must be a relative .md path inside docs_dir, e.g. gkml/index.md: {value!r}")
    return value


class _SshSince(c.BaseConfigOption):
    """A commit id (7–64 hex digits) or a date; unset: None (see signatures/policy.py)."""

    def run_validation(self, value):
        from ..signatures.policy import since_value
        try:
            return since_value(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class SecrecyGateConfig(Config):
    roster = c.Type(str, default="reviews/roster.yml")
    """Roster of agencies and reviewers, relative to mkdocs.yml."""
    calendar = c.Type(str, default="reviews/calendar.yml")
    """Working-day overrides for years chinesecalendar does not know yet."""
    fail_on_withheld = c.Type(bool, default=True)
    """Fail the build when a page is withheld because of a finding (not by its own decision)."""
    rollout = c.Type(bool, default=False)
    """While adopting the gate: a page withheld only because its review is not done yet (no
    record, a blank one, signatures to come) does not fail the build. It is withheld all the same."""
    verbose = c.Type(bool, default=False)
    """List every page and file with its outcome and findings (also with `mkdocs build -v`)."""
    include_on_request = c.Type(bool, default=False)
    """Publish 依申请公开 pages too (an internal build only)."""
    assets = c.ListOfItems(c.Type(str), default=[])
    """Globs (docs-relative) of non-Markdown files that need no review, e.g. `stylesheets/*.css`."""
    serve_preview = c.Type(bool, default=True)
    """Under `mkdocs serve` on a loopback address, show unreviewed pages with a banner."""
    language = c.Choice(("zh", "en"), default="zh")
    """Language of the build's messages."""
    lexicon = c.Type(str, default="reviews/lexicon.yml")
    """第八条 trigger words (the built-in list when the file does not exist)."""
    sensitive_hints = c.Choice(("warn", "withhold"), default="warn")
    """What a 第八条 hint does: print a warning, or withhold the page."""
    redaction_placeholder = c.Type(str, default="■■■")
    """What replaces each 第九条 secret point in a 删减后公开 page."""
    index_no_pattern = _UnlessOff(rules.INDEX_NO_PATTERN, _regex)
    """第五条: the regular expression every 索引号 (`document.index_no`) must match whole; `null` accepts any."""
    document_table = c.Type(bool, default=True)
    """Show the 索引号/发布机构/文号/成文日期/发布日期/公开属性 table above each published document."""
    catalogue = _UnlessOff("gkml/index.md", _page_path)
    """Where the generated 政府信息公开目录 page goes (docs-relative); `false` generates none."""
    catalogue_in_nav = c.Type(bool, default=False)
    """Append the catalogue to an explicit `nav` that does not list it."""
    signatures = c.Choice(("ssh", "git"), default="git")
    """What proves who signed an entry: `ssh` (the entry's SSH signature by a key the roster gives
    the signer; squash/rebase merges, cherry-picks and renames keep pages published) or `git`
    (the git author of the commit that introduced it)."""
    ssh_since = _SshSince()
    """Migration to `signatures: ssh`: entries introduced by this commit or its ancestors (or by
    commits dated before this day) are still judged the git way."""
    adopted = _Date()
    """The day the site's pages entered review (YYYY-MM-DD): 条例第二十六条 deadlines in `status`
    and `sweep` count from no earlier day (the later of it and the page's first committed record)."""


class SecrecyGatePlugin(BasePlugin[SecrecyGateConfig]):
    supports_multiple_instances = False

    def __init__(self):
        self.command = "build"
        self.dirty = False
        self.clean_build = False  # a `mkdocs build` MkDocs said is clean (on_startup)
        self.review: SiteReview | None = None
        self.site_dir: str | None = None
        self.preview = False
        self.approved: set[str] = set()
        self.generated: dict[str, list[str]] = {}  # plugin -> the generated files it publishes
        self.refused: list[generated.Refusal] = []  # generated files not published, and why
        self._refused_ids: set[int] = set()  # ... as objects (a refused file may share a path)
        self.meta: dict[str, dict] = {}
        self.documents: dict[str, catalogue.DocumentEntry] = {}
        self.catalogue_uri: str | None = None
        self.watch: LeakWatch | None = None
        self.docs_dir: Path | None = None  # the real docs_dir (config.docs_dir is the stage)
        self.stage: Stage | None = None
        self._staged_config = None  # (config, its own docs_dir value) while the stage replaces it
        self.includes: tuple | None = None  # the include settings the review was made with
        # Kept across `mkdocs serve` rebuilds (on_startup keeps this instance alive).
        self.cache = ReviewCache()

    def on_startup(self, *, command, dirty):
        self.command = command
        self.dirty = dirty
        self.clean_build = command == "build" and not dirty
        if dirty and command != "serve":
            raise PluginError(DIRTY_REFUSED)

    @event_priority(100)  # first: before any other plugin reads config.docs_dir
    def _review_and_stage(self, config):
        major = int(mkdocs.__version__.split(".")[0])
        if major >= 2:
            raise PluginError("secrecy-gate 需要 MkDocs 1.6–1.x / secrecy-gate needs MkDocs >=1.6,<2")
        self._unstage()
        self.generated, self.refused, self._refused_ids = {}, [], set()
        if self.watch is not None:  # an earlier build's scan nobody finished
            self.watch.abandon()
            self.watch = None
        self.site_dir = config.site_dir
        self.preview = self.command == "serve" and self.config.serve_preview and _loopback(config)
        if self.dirty and not self.preview:
            # `serve --dirty` is tolerated only for a local preview, never where others can see it.
            raise PluginError(DIRTY_REFUSED)
        docs_dir = Path(config.docs_dir)
        self.docs_dir = docs_dir
        cleaner = None
        # Only the build MkDocs announced as clean (on_startup), and only once: an instance
        # kept for another build (serve, or a caller passing dirty=True) cleans nothing.
        clean, self.clean_build = self.clean_build, False
        if clean and os.path.isdir(config.site_dir):
            # MkDocs empties site_dir right after on_config; doing it now, beside the review
            # (mostly system calls, which release the GIL), overlaps the two.  Nothing of the
            # old output can outlive it: MkDocs' own cleaning still runs after.
            cleaner = threading.Thread(target=_empty_dir, args=(config.site_dir,), daemon=True)
            cleaner.start()
        gc = gate_config(config, self.config, drafts=self.command == "serve")
        self.includes = (gc.auto_includes, gc.include_bases)
        # Git history is read on the other core while this one parses the pages (Gate.review).
        gate = Gate(gc, self.cache if self.command == "serve" else None)
        early: list[LeakWatch] = []

        def listing(pages: list[str], others: list[str]) -> None:
            # A site large enough for the scan beside the build starts its process now: it
            # reads the site's documents for the review meanwhile (attachments are most
            # of a review's time), on the other core, while this one parses the pages.
            # Under `mkdocs serve` the documents are in this process's cache after the first
            # build: reading them again in the other process would only slow the rebuild.
            if not self.preview and len(pages) >= BACKGROUND_SCAN_PAGES:
                early.append(documents_ahead(docs_dir, others) if self.command == "build"
                             else LeakWatch())

        try:
            review = gate.review(on_listing=listing)
            self.watch = self._start_scan(review, docs_dir, early[0] if early else None)
        except BaseException:
            for watch in early:
                watch.abandon()
            raise
        finally:
            if cleaner is not None:
                cleaner.join()
        self.review = review
        site_problems = [f for f in review.site_findings if f.withholds]
        if site_problems and not self.preview:
            # The site cannot be judged (build inputs not approved, roster not proven, history
            # unreadable): build nothing rather than an empty site that would replace the
            # published one, and stop before any later event of an unapproved hook.
            raise PluginError(report.site_message(site_problems, self.config.language))
        problems = report.failing(review, self.config.rollout)
        if self.preview:
            self._log_summary()
            return config
        if problems and self.config.fail_on_withheld:
            self._log_summary()  # the summary appears on every build, this one too
            raise PluginError(report.fail_message(problems, self.config.language, self.config.rollout))
        avoid = [config.site_dir, docs_dir]
        if self.command == "serve":
            avoid += [*config.watch, *config.theme.dirs]
        try:
            self.stage = write_stage(review, docs_dir, stage_parent(docs_dir, avoid),
                                     memory_dir(staged_bytes(review, docs_dir)))
        except OSError as exc:
            raise PluginError(f"secrecy-gate：无法写入待发布内容的暂存目录（第二条），构建中止：{exc} / "
                              f"cannot write the staging directory of approved content; "
                              f"build aborted: {exc}") from exc
        self._staged_config = (config, config.docs_dir)
        config.docs_dir = str(self.stage.docs_dir)
        return config

    def _start_scan(self, review: SiteReview, docs_dir: Path, early: LeakWatch | None) -> LeakWatch | None:
        """The leak scan beside the build, from 200 pages on: it starts now, on the other
        core (its start-up overlaps the staging and MkDocs' listing), and reads pages as
        they are rendered.  None when the review withholds the whole site, in preview, or
        for a smaller site (scanned after the build)."""
        if (early is None or self.preview or review.site_problem is not None
                or (self.config.fail_on_withheld and report.failing(review, self.config.rollout))):
            if early is not None:
                early.abandon()
            return None
        inputs = scanner_inputs(review, docs_dir)  # reads the published attachments' text
        early.start(scanner_from_inputs, *inputs, extracts=documents.CACHE.snapshot())
        if self.command == "build":
            # The scanning process has them now; a build reads no document again here
            # (`mkdocs serve` keeps them for its next rebuild).
            documents.CACHE.clear()
        return early

    @event_priority(-100)  # last: what every other plugin's on_config left
    def _check_config(self, config):
        if self.review is None:
            return config
        self._check_docs_dir(config)
        if _include_settings(config) != self.includes:
            raise PluginError(
                "secrecy-gate：另一个插件在审查之后修改了 pymdownx.snippets 的 auto_append 或 base_path，"
                "审查未覆盖这些引入（第二条），构建中止；请在 mkdocs.yml 中直接配置 / another plugin "
                "changed pymdownx.snippets auto_append or base_path after the review, so the review did "
                "not cover those includes; aborted. Set them in mkdocs.yml itself.")
        return config

    on_config = CombinedEvent(_review_and_stage, _check_config)

    def _log_summary(self) -> None:
        # Or `mkdocs build -v`, or SECRECY_GATE_VERBOSE=1 (scripts/build: the sample page by page).
        verbose = (self.config.verbose or log.isEnabledFor(logging.DEBUG)
                   or os.environ.get("SECRECY_GATE_VERBOSE") == "1")
        report.log_summary(self.review, log, self.config.language, verbose, self.config.rollout)
        for line in report.generated_lines(self.generated, self.refused, self.config.language, verbose):
            log.info(line)

    def _check_docs_dir(self, config) -> None:
        if self.stage is not None and os.path.abspath(config.docs_dir) != os.path.abspath(self.stage.docs_dir):
            raise PluginError(
                "secrecy-gate：另一个插件把 docs_dir 改离了只含已审查内容的暂存目录（第二条），构建中止 / "
                f"another plugin pointed docs_dir ({config.docs_dir}) away from the staged view of "
                "approved content; aborted")

    def _unstage(self) -> None:
        """Remove the stage, and give the config its own docs_dir back (``mkdocs serve``
        watches ``config.docs_dir`` after the first build: the real one, not the stage)."""
        stage, self.stage = self.stage, None
        staged, self._staged_config = self._staged_config, None
        if staged is not None:
            staged[0].docs_dir = staged[1]
        if stage is not None:
            stage.remove()

    def _hand_over(self, f: File, page: PageResult) -> None:
        """MkDocs renders exactly the text that was judged, front matter already parsed.

        MkDocs gets an empty front matter to skip, and page.meta is handed back
        first thing in on_page_markdown.  Setting ``content_string`` unsets
        ``abs_src_path``; it points at the original file again, so that plugins
        which run ``git log`` on it (mkdocs-git-revision-date-localized-plugin)
        give the page's real commit dates.  That is safe: MkDocs and every
        plugin that reads ``content_string`` get the judged text; a plugin that
        copies raw sources by path is a decision of the site's configuration,
        and the leak scan of the output still catches a 第九条 secret point.
        """
        f.content_string = HANDOFF_HEAD + handoff_body(page)
        f.abs_src_path = os.path.normpath(os.path.join(self.docs_dir, f.src_uri))
        self.meta[f.src_uri] = page.document.meta

    @event_priority(100)  # first: other plugins' on_files see the judged text and the real paths
    def _take_files(self, files: Files, *, config) -> Files:
        review = self.review
        if review is None:
            raise PluginError("secrecy-gate：on_config 未运行，无法审查 / on_config did not run; "
                              "nothing was reviewed")
        self._check_docs_dir(config)
        self.meta, self.approved = {}, set()
        self._page_of_output: dict[str, str] = {}
        for f in files:
            page = review.pages.get(f.src_uri) if f.generated_by is None else None
            if page is not None and page.published:
                self._hand_over(f, page)
        return files

    @event_priority(-100)
    def _judge_files(self, files: Files, *, config) -> Files:
        """Every file by its path: a page MkDocs renders has the judged text whatever
        object or path another plugin gave it; anything else from docs_dir or the stage
        is published only if it is an approved file itself; a file another plugin
        generated (Material's blog archives, a hook's page) is published unless its path
        or its source is one the review reserves (``generated.judge``)."""
        review = self.review
        candidates: list[File] = []
        for f in files:
            uri = f.src_uri
            if f.generated_by is not None:
                candidates.append(f)
                continue
            page, result = review.pages.get(uri), review.files.get(uri)
            if page is not None and page.published:
                # Again: another plugin's on_files may have changed the text.
                self._hand_over(f, page)
                self.approved.add(uri)
            elif page is None and result is not None and result.published and self._is_staged(f):
                self.approved.add(uri)
            elif page is not None or result is not None:
                self._withhold(f)
            elif _inside(f.abs_src_path, self.docs_dir):
                f.inclusion = InclusionLevel.EXCLUDED  # not a file the review judged
            elif not self._theme_file(f, config):
                # Made by a plugin that did not say so (in the stage, or elsewhere).
                candidates.append(f)
            # Theme files pass.
        self._judge_generated(candidates, files, config)
        if config.nav:
            # The catalogue page the gate generates is kept (it lists published pages only),
            # and so are published pages other plugins generate.
            generated = {uri for uris in self.generated.values() for uri in uris}
            config.nav = prune_nav(config.nav, {p.path for p in review.published()} | {
                r.path for r in review.files.values() if r.published} | {self.config.catalogue}
                | generated, set(review.files))
        # From the verdicts only, before review.release() drops the records.
        self.documents = catalogue.documents(review)
        self.catalogue_uri = self._add_catalogue(files, config)
        # MkDocs renders extra_templates from docs_dir even when their file is excluded.
        unreviewed = [t for t in config.extra_templates
                      if PurePath(t).as_posix() not in self.approved]
        if unreviewed and not self.preview:
            config.extra_templates = [t for t in config.extra_templates if t not in unreviewed]
            log.warning(f"secrecy-gate：extra_templates {unreviewed} 未经审查，不予渲染 / "
                        f"unreviewed extra_templates {unreviewed} are not rendered")
        if self.watch is not None:
            review.release()  # the scanning process has its own copy of what it needs
            # The approved files MkDocs copies as they are (attachments, images) are scanned
            # from the stage now, on the other core, while MkDocs renders every page.
            self.watch.files([(f.dest_uri, f.abs_src_path) for f in files
                              if f.src_uri in self.approved and not f.is_documentation_page()
                              and f.abs_src_path and f.inclusion.is_included()])
        return files

    def _judge_generated(self, candidates: list[File], files: Files, config) -> None:
        """Publish what other plugins generated, but for the paths and sources the review
        reserves (``generated.judge``): a refused file is EXCLUDED, by object, and any
        later attempt to include it stops the build (``on_page_markdown``, ``on_env``)."""
        self.generated, self.refused, self._refused_ids = {}, [], set()
        if not candidates:
            return
        review = self.review
        ours = {id(f) for f in candidates}
        withheld_dest, taken_src, taken_dest = {}, {}, {}
        for path in [*review.pages, *review.files]:
            page, result = review.pages.get(path), review.files.get(path)
            published = page.published if page is not None else result.published
            if published:
                taken_src[path.casefold()] = path
            # Where MkDocs would write it (another plugin may have moved a published one:
            # its new place is taken below, from the file itself).
            dest = File(path, "", "", config.use_directory_urls).dest_uri
            (taken_dest if published else withheld_dest).setdefault(dest.casefold(), path)
        catalogue_uri = self.config.catalogue
        if catalogue_uri is not None:
            taken_src[catalogue_uri.casefold()] = catalogue_uri
            dest = File(catalogue_uri, "", "", config.use_directory_urls).dest_uri
            taken_dest[dest.casefold()] = catalogue_uri
        for f in files:
            if id(f) not in ours and (f.inclusion.is_included() or f.src_uri in self.approved):
                taken_dest.setdefault(f.dest_uri.casefold(), f.src_uri)
        stage = self.stage
        base = Path(config.config_file_path).parent if config.config_file_path else Path.cwd()
        places = generated.Places(
            withheld_src=frozenset(p.casefold() for p in [*review.pages, *review.files]
                                   if p.casefold() not in taken_src),
            withheld_dest=withheld_dest, taken_src=taken_src, taken_dest=taken_dest,
            docs_dir=self.docs_dir,
            stage_dirs=tuple(d for d in ((stage.root, stage.memory) if stage else ()) if d),
            site_dirs=(base, Path(config.site_dir)))
        refusals = generated.judge([generated.Candidate(
            f.src_uri, f.dest_uri, f.generated_by or generated.UNNAMED, f.abs_src_path)
            for f in candidates], places)
        for i, f in enumerate(candidates):
            refusal = refusals.get(i)
            if refusal is None:
                self.generated.setdefault(f.generated_by or generated.UNNAMED, []).append(f.src_uri)
                self.approved.add(f.src_uri)
            else:
                f.inclusion = InclusionLevel.EXCLUDED
                self.refused.append(refusal)
                self._refused_ids.add(id(f))
                log.warning(refusal.render(self.config.language))

    def _theme_file(self, f: File, config) -> bool:
        """A file of the theme (its package or the approved ``custom_dir``)."""
        return any(_inside(f.abs_src_path, d) for d in config.theme.dirs)

    on_files = CombinedEvent(_take_files, _judge_files)

    def _from_docs(self, f: File) -> bool:
        """A file from the real docs_dir or from the stage."""
        return _inside(f.abs_src_path, self.docs_dir) or (
            self.stage is not None and self.stage.holds(f.abs_src_path))

    def _is_staged(self, f: File) -> bool:
        """An approved file as copied into the stage (or, in preview, the original)."""
        source = self.stage.docs_dir if self.stage is not None else self.docs_dir
        return f.abs_src_path is not None and os.path.abspath(f.abs_src_path) == os.path.abspath(
            os.path.join(source, f.src_uri))

    def _withhold(self, f: File) -> None:
        """Out of the build; in a loopback preview a draft (shown with a banner), never more
        included than MkDocs itself made it."""
        level = InclusionLevel.DRAFT if self.preview else InclusionLevel.EXCLUDED
        if f.inclusion.value > level.value:
            f.inclusion = level

    def _add_catalogue(self, files: Files, config) -> str | None:
        """The generated 政府信息公开目录 page, if the site has a document or its nav lists one.

        Its content is written in ``on_page_content``.
        """
        uri = self.config.catalogue
        if uri is None:
            return None
        listed = bool(config.nav) and uri in _nav_targets(config.nav)
        if not (self.documents or listed):
            return None
        if files.get_file_from_path(uri) is not None or uri in self.review.pages or uri in self.review.files:
            raise PluginError(f"secrecy-gate：公开目录的路径 {uri} 已有文件，请删除该文件或换一个 catalogue 路径 / "
                              f"the catalogue path {uri} is taken by a file; remove it or set "
                              "another `catalogue:` path")
        lang = self.config.language
        files.append(File.generated(config, uri, content=catalogue.catalogue_markdown(lang)))
        self.approved.add(uri)
        if self.config.catalogue_in_nav and config.nav and not listed:
            config.nav.append({catalogue.LABELS[lang]["heading"]: uri})
        return uri

    def on_page_content(self, html, *, page, config, files):
        uri = page.file.src_uri
        lang = self.config.language
        if uri == self.catalogue_uri:
            # Nothing the Markdown render made is kept: an extension (snippets' auto_append,
            # a macro) may have added text no review covers.
            page.toc = get_toc([catalogue.toc_token(lang)])
            rows = [(entry, get_relative_url(files.get_file_from_path(path).url, page.file.url))
                    for path, entry in self.documents.items()]
            return catalogue.catalogue_html(rows, lang)
        entry = self.documents.get(uri)
        if entry is not None and self.config.document_table and uri in self.approved:
            return catalogue.metadata_table(entry, lang) + html
        return html

    @event_priority(-100)  # last: scan the HTML exactly as it will be written
    def on_post_page(self, output, *, page, config):
        self.__dict__.setdefault("_page_of_output", {})[page.file.dest_uri] = page.file.src_uri
        if self.watch is not None:
            self.watch.page(page.file.dest_uri, output)
        return output

    @event_priority(100)
    def _restore_meta(self, markdown, *, page, config, files):
        meta = self.meta.get(page.file.src_uri)
        if meta is None:
            return markdown
        page.meta = meta
        # A plugin that reads the source itself instead of ``content_string`` (Material's
        # blog reads each post from ``abs_src_path``, the original file: unredacted) gets
        # the judged text back, as MkDocs would have read it.
        text = page.file.content_string
        if text.startswith(HANDOFF_HEAD):  # as _hand_over wrote it: no YAML to parse again
            return text[len(HANDOFF_HEAD):].lstrip("\n")
        return get_data(text)[0]

    @event_priority(-100)
    def _check_page(self, markdown, *, page, config, files):
        uri = page.file.src_uri
        if id(page.file) in self._refused_ids:
            raise PluginError(self._put_back(page.file))
        if uri in self.approved:
            return markdown
        if self.preview and self.review is not None and uri in self.review.pages:
            first = self.review.pages[uri].verdict.first_reason
            reason = first.render(self.config.language).replace("\n", "\n    ") if first else ""
            return PREVIEW_BANNER.format(reason=reason) + markdown
        raise PluginError(self._put_back(page.file))

    def _put_back(self, f: File) -> str:
        """Why the build stops when a file the gate excluded is included again."""
        refused = [r for r in self.refused if r.uri == f.src_uri]
        why = ("\n" + refused[0].render(self.config.language)) if refused else ""
        return (f"secrecy-gate：{f.src_uri} 未通过审查却被其他插件重新纳入构建，已中止（第二条） / "
                f"{f.src_uri} is withheld but another plugin put it back into the build; aborted{why}")

    on_page_markdown = CombinedEvent(_restore_meta, _check_page)

    @event_priority(-100)
    def on_env(self, env, *, config, files):
        if self.preview:
            return env
        for f in files:
            if not f.inclusion.is_included():
                continue
            # Refused (by object: it may share a path with an approved file), or not judged:
            # from docs_dir or the stage, or generated after on_files.  Theme files pass, and
            # so do files a plugin adds later from elsewhere without naming itself (Material's
            # privacy plugin adds the external assets it downloaded here, in on_env).
            if id(f) in self._refused_ids or (f.src_uri not in self.approved and (
                    f.generated_by is not None or self._from_docs(f))):
                raise PluginError(self._put_back(f))
        return env

    @event_priority(-100)  # last, so that what other plugins and hooks write is scanned too
    def on_post_build(self, *, config):
        try:
            self._leak_scan(config)
        finally:
            self._unstage()

    def _leak_scan(self, config) -> None:
        if self.review is None or self.preview:
            return
        self._log_summary()
        started = time.monotonic()
        watch, self.watch = self.watch, None
        if watch is None:
            hits = verify_site(Path(config.site_dir), self.review, self.docs_dir)
        else:
            hits = watch.finish(Path(config.site_dir))
        log.info(f"secrecy-gate 泄密扫描 leak scan: {len(hits)} 处/hits, "
                 f"{time.monotonic() - started:.2f} s")
        if hits:
            hits = [self._name_page(h, config) for h in hits]
            for hit in hits[:100]:
                log.error(hit.render())
            shutil.rmtree(config.site_dir, ignore_errors=True)
            raise PluginError(report.leak_message(hits, config.site_dir, self.config.language))

    def _name_page(self, hit, config):
        """A marking or a number found in a page's own output names that page (第二条): it
        came from the page's rendered text (an extension, a macro, a theme block), not
        necessarily from a plugin or a stale file."""
        src = getattr(self, "_page_of_output", {}).get(hit.path)
        if src is None or hit.kind not in PII_KINDS + MARKING_KINDS:
            return hit
        label = (f"{hit.label}（出自页面 {src} 渲染后的文字：请在该页面中查找并处理后重新送审 / "
                 f"in the rendered text of page {src}: find it there, fix it and have the page "
                 "reviewed again）")
        return dataclasses.replace(hit, label=label)

    def on_build_error(self, *, error):
        self._unstage()
        if self.watch is not None:
            self.watch.abandon()
            self.watch = None
        if isinstance(error, PluginError) and "secrecy-gate" in str(error) and self.site_dir:
            # What was already written is only approved output, but a half-built site
            # must not be deployed by mistake.
            shutil.rmtree(self.site_dir, ignore_errors=True)

    def on_shutdown(self):
        # A stage whose build never reached post_build or build_error (on_config alone).
        self._unstage()
        if self.watch is not None:
            self.watch.abandon()
            self.watch = None


def _include_settings(config) -> tuple[tuple[str, ...], tuple[Path, ...]]:
    """pymdownx.snippets' auto_append and base paths: what an include may read."""
    base = Path(config.config_file_path).parent if config.config_file_path else Path.cwd()
    use_snippets = "pymdownx.snippets" in (config.markdown_extensions or [])
    snippets = ((config.mdx_configs or {}).get("pymdownx.snippets") or {}) if use_snippets else {}
    bases = snippets.get("base_path", ["."]) if use_snippets else []
    bases = [bases] if isinstance(bases, str) else bases
    # Relative base paths are read from the working directory; mkdocs.yml's is the usual one.
    return (tuple(snippets.get("auto_append") or ()),
            tuple(dict.fromkeys(d / b for d in (base, Path.cwd()) for b in bases)))


def gate_config(config, options: SecrecyGateConfig, drafts: bool = False) -> GateConfig:
    """The gate's options from mkdocs.yml; ``drafts``: draft_docs pages are rendered (serve)."""
    base = Path(config.config_file_path).parent if config.config_file_path else Path.cwd()
    calendar = base / options.calendar
    auto_includes, include_bases = _include_settings(config)
    return GateConfig(
        docs_dir=Path(config.docs_dir),
        roster=base / options.roster,
        roster_default=base / "reviews" / "roster.yml",
        site=(config, options),
        calendar=calendar,
        lexicon=base / options.lexicon,
        hints_withhold=options.sensitive_hints == "withhold",
        placeholder=options.redaction_placeholder,
        index_no_pattern=options.index_no_pattern,
        include_on_request=options.include_on_request,
        adopted=options.adopted,
        signatures=options.signatures,
        ssh_since=options.ssh_since,
        assets=tuple(options.assets),
        auto_includes=auto_includes,
        include_bases=include_bases,
        discovery=Discovery(config.exclude_docs, config.draft_docs, config.not_in_nav,
                            config.use_directory_urls, drafts),
    )


def _empty_dir(path: str) -> None:
    """What MkDocs' cleaning does to site_dir (its contents removed, the directory kept)."""
    try:
        from mkdocs.utils import clean_directory
        clean_directory(path)
    except OSError:
        pass  # MkDocs cleans again after on_config and reports what it cannot remove


def prune_nav(nav, published: set[str], files: set[str]):
    """An explicit ``nav`` without entries for pages and files that are not published.

    Titles and prev/next links leak otherwise.  An entry for a page that does not
    exist at all goes too: MkDocs would write its path into every page as a link.
    Other targets (URLs, paths that are no page) are text approved with the build
    inputs and stay.
    """
    def shown(value: str) -> bool:
        path = _nav_target(value)
        return path is None or path in published or not (
            path.lower().endswith(MARKDOWN_EXTENSIONS) or path in files)

    out = []
    for item in nav:
        if isinstance(item, str):
            if shown(item):
                out.append(item)
        elif isinstance(item, dict):
            kept = {}
            for title, value in item.items():
                if isinstance(value, list):
                    sub = prune_nav(value, published, files)
                    if sub:
                        kept[title] = sub
                elif isinstance(value, str):
                    if shown(value):
                        kept[title] = value
                elif isinstance(value, dict):
                    # A section written as a mapping (MkDocs reads it as one): pruned the
                    # same way, or a withheld page's title would be shown through it.
                    sub = prune_nav([value], published, files)
                    if sub:
                        kept[title] = sub[0]
                # Anything else is no page link MkDocs would show: left out.
            if kept:
                out.append(kept)
        # Items that are neither an entry nor a section are left out too (fail closed).
    return out


def _nav_target(value: str) -> str | None:
    return nav_target(value)


def _nav_targets(nav) -> set[str]:
    """Every page an explicit ``nav`` lists."""
    out = set()
    for item in nav if isinstance(nav, list) else [nav]:
        values = item.values() if isinstance(item, dict) else [item]
        for value in values:
            if isinstance(value, str):
                out.add(_nav_target(value))
            elif isinstance(value, (list, dict)):
                out |= _nav_targets(value)
    return out


def _inside(path: str | None, directory: Path) -> bool:
    if not path:
        return False
    # Not resolved: a symlink in docs_dir is a docs file wherever it points to.
    p, d = os.path.abspath(path), os.path.abspath(directory)
    return p == d or p.startswith(d.rstrip(os.sep) + os.sep)


def _loopback(config) -> bool:
    try:
        return ipaddress.ip_address(config.dev_addr.host).is_loopback
    except ValueError:
        return config.dev_addr.host == "localhost"
