"""The MkDocs plugin ``secrecy-gate``: thin glue from MkDocs events to the gate.

Events used, and why:

- ``on_startup``  remembers the command; refuses ``--dirty`` (stale output of
  now-withheld pages would survive).  Its presence also keeps the instance
  across ``mkdocs serve`` rebuilds.
- ``on_config``   refuses MkDocs 2; remembers ``site_dir`` for error cleanup.
- ``on_files``    (run last) judges every file once: withheld pages and
  unreviewed files become ``InclusionLevel.EXCLUDED`` (never DRAFT, which
  ``serve`` shows and indexes), published pages get the exact text that was
  judged, and an explicit ``nav`` is pruned.  Then, from the published pages
  only, the disclosure catalogue page (政府信息公开目录) is generated.
  The front matter is handed to MkDocs already parsed (an empty one to
  skip, ``page.meta`` restored first in ``on_page_markdown``).  From 200
  pages on, the leak scan starts here in a second process (``leakwatch``).
- ``on_page_markdown`` restores ``page.meta`` (first); re-checks (last) that
  no other plugin re-included a page, and adds the preview banner under
  ``mkdocs serve``.
- ``on_page_content`` adds HTML no Markdown extension ever sees: the metadata
  table above a published document; the catalogue page's whole content.
- ``on_env``      re-checks every file's inclusion before anything is written.
- ``on_post_page`` (last) hands each page's final HTML to the leak scan.
- ``on_post_build`` (last) finishes the leak scan of the whole output
  directory — any hit deletes it and fails the build — and prints the summary.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import posixpath
import re
import shutil
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

from . import catalogue, report
from ..review import rules
from ..review.gate import Gate, GateConfig, ReviewCache, SiteReview, is_page, list_docs
from .leakwatch import LeakWatch
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


def _page_path(value) -> str:
    if not isinstance(value, str) or not value.endswith(".md") or value.startswith("/") \
            or posixpath.normpath(value) != value or value.startswith(".."):
        raise ValidationError(f"应为文档目录内的 .md 相对路径，如 gkml/index.md / "
                              f"must be a relative .md path inside docs_dir, e.g. gkml/index.md: {value!r}")
    return value


class SecrecyGateConfig(Config):
    roster = c.Type(str, default="reviews/roster.yml")
    """Roster of agencies and reviewers, relative to mkdocs.yml."""
    calendar = c.Type(str, default="reviews/calendar.yml")
    """Working-day overrides for years chinesecalendar does not know yet."""
    fail_on_withheld = c.Type(bool, default=True)
    """Fail the build when a page is withheld because of a finding (not by its own decision)."""
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


class SecrecyGatePlugin(BasePlugin[SecrecyGateConfig]):
    supports_multiple_instances = False

    def __init__(self):
        self.command = "build"
        self.dirty = False
        self.review: SiteReview | None = None
        self.site_dir: str | None = None
        self.preview = False
        self.approved: set[str] = set()
        self.meta: dict[str, dict] = {}
        self.documents: dict[str, catalogue.DocumentEntry] = {}
        self.catalogue_uri: str | None = None
        self.watch: LeakWatch | None = None
        self.reader = None  # git history read from on_config on, for on_files' review
        # Kept across `mkdocs serve` rebuilds (on_startup keeps this instance alive).
        self.cache = ReviewCache()

    def on_startup(self, *, command, dirty):
        self.command = command
        self.dirty = dirty
        if dirty and command != "serve":
            raise PluginError(DIRTY_REFUSED)

    def on_config(self, config):
        major = int(mkdocs.__version__.split(".")[0])
        if major >= 2:
            raise PluginError("secrecy-gate 需要 MkDocs 1.6–1.x / secrecy-gate needs MkDocs >=1.6,<2")
        self.site_dir = config.site_dir
        self.preview = self.command == "serve" and self.config.serve_preview and _loopback(config)
        if self.dirty and not self.preview:
            # `serve --dirty` is tolerated only for a local preview, never where others can see it.
            raise PluginError(DIRTY_REFUSED)
        if self.command != "serve":
            # Start reading git history now, while MkDocs cleans the site directory and
            # lists the files; on_files' review uses it if it covers the same pages.
            self._drop_reader()
            gc = gate_config(config, self.config)
            docs = gc.docs_dir
            if docs.is_dir():
                self.reader = Gate(gc).start_reading([p for p in list_docs(docs) if is_page(p)])
        return config

    def _drop_reader(self) -> None:
        if self.reader is not None:
            self.reader.abandon()
            self.reader = None

    @event_priority(-100)
    def on_files(self, files: Files, *, config) -> Files:
        docs_dir = Path(config.docs_dir)
        ours = [f for f in files if f.generated_by is None and _inside(f.abs_src_path, docs_dir)]
        gate = Gate(gate_config(config, self.config), self.cache if self.command == "serve" else None)
        reader, self.reader = self.reader, None
        review = gate.review([f.src_uri for f in ours], reader, whole_site=True)
        self.review = review
        self.approved = set()
        self.meta = {}
        ours_uris = {f.src_uri for f in ours}
        for f in files:
            if f.src_uri in ours_uris:
                continue
            if f.generated_by is not None or _inside(f.abs_src_path, docs_dir):
                # Generated by another plugin: never reviewed.  Theme files pass.
                f.inclusion = InclusionLevel.EXCLUDED
        for f in ours:
            page = review.pages.get(f.src_uri)
            if page is not None:
                if page.published:
                    # Render exactly the text that was judged, not whatever is on disk later;
                    # newlines as MkDocs reads files, and a final one: MkDocs' front matter
                    # pattern needs both, or it renders the review record as page text.
                    #
                    # The front matter was parsed strictly once already: MkDocs gets an empty
                    # one to skip, and page.meta is handed back first thing in on_page_markdown.
                    body = page.publish_body.replace("\r\n", "\n").replace("\r", "\n")
                    f.content_string = "---\n{}\n---\n" + body + ("" if body.endswith("\n") else "\n")
                    self.meta[f.src_uri] = page.document.meta
                    self.approved.add(f.src_uri)
                else:
                    f.inclusion = InclusionLevel.DRAFT if self.preview else InclusionLevel.EXCLUDED
            else:
                result = review.files.get(f.src_uri)
                if result is not None and result.published:
                    self.approved.add(f.src_uri)
                else:
                    f.inclusion = InclusionLevel.DRAFT if self.preview else InclusionLevel.EXCLUDED
        if config.nav:
            withheld = {p.path for p in review.withheld()} | {
                r.path for r in review.files.values() if not r.published}
            config.nav = prune_nav(config.nav, withheld)
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
        report.log_review(review, log, self.config.language)
        site_problems = [f for f in review.site_findings if f.withholds]
        if site_problems and not self.preview:
            # The site cannot be judged (build inputs not approved, roster not proven, history
            # unreadable): build nothing rather than an empty site that would replace the
            # published one, and stop before any later event of an unapproved hook.
            raise PluginError(report.site_message(site_problems, self.config.language))
        problems = [p for p in review.withheld() if not p.verdict.by_decision_only]
        if problems and self.config.fail_on_withheld and not self.preview:
            raise PluginError(report.fail_message(problems, self.config.language))
        if not self.preview and len(review.pages) >= BACKGROUND_SCAN_PAGES:
            # The leak scan starts now, on the other core, and reads pages as they are rendered.
            self.watch = LeakWatch(scanner_from_inputs, *scanner_inputs(review, docs_dir))
            review.release()  # the scanning process has its own copy of what it needs
        return files

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
        if files.get_file_from_path(uri) is not None:
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
        if self.watch is not None:
            self.watch.page(page.file.dest_uri, output)
        return output

    @event_priority(100)
    def _restore_meta(self, markdown, *, page, config, files):
        meta = self.meta.get(page.file.src_uri)
        if meta is not None:
            page.meta = meta
        return markdown

    @event_priority(-100)
    def _check_page(self, markdown, *, page, config, files):
        uri = page.file.src_uri
        if uri in self.approved:
            return markdown
        if self.preview and self.review is not None and uri in self.review.pages:
            first = self.review.pages[uri].verdict.first_reason
            reason = first.render(self.config.language).replace("\n", "\n    ") if first else ""
            return PREVIEW_BANNER.format(reason=reason) + markdown
        raise PluginError(f"secrecy-gate：{uri} 未通过审查却被其他插件重新纳入构建，已中止 / "
                          f"{uri} is withheld but another plugin put it back into the build; aborted")

    on_page_markdown = CombinedEvent(_restore_meta, _check_page)

    @event_priority(-100)
    def on_env(self, env, *, config, files):
        if self.preview:
            return env
        for f in files:
            if f.inclusion.is_included() and f.src_uri not in self.approved and (
                    f.generated_by is not None or _inside(f.abs_src_path, Path(config.docs_dir))):
                raise PluginError(
                    f"secrecy-gate：{f.src_uri} 未通过审查却被重新纳入构建，已中止 / "
                    f"{f.src_uri} is withheld but was put back into the build; aborted")
        return env

    @event_priority(-100)  # last, so that what other plugins and hooks write is scanned too
    def on_post_build(self, *, config):
        if self.review is None or self.preview:
            return
        report.log_summary(self.review, log, self.config.language)
        started = time.monotonic()
        watch, self.watch = self.watch, None
        if watch is None:
            hits = verify_site(Path(config.site_dir), self.review, Path(config.docs_dir))
        else:
            hits = watch.finish(Path(config.site_dir))
        log.info(f"secrecy-gate 泄密扫描 leak scan: {len(hits)} 处/hits, "
                 f"{time.monotonic() - started:.2f} s")
        if hits:
            for hit in hits[:100]:
                log.error(hit.render())
            shutil.rmtree(config.site_dir, ignore_errors=True)
            raise PluginError(report.leak_message(hits, config.site_dir, self.config.language))

    def on_build_error(self, *, error):
        self._drop_reader()
        if self.watch is not None:
            self.watch.abandon()
            self.watch = None
        if isinstance(error, PluginError) and "secrecy-gate" in str(error) and self.site_dir:
            # What was already written is only approved output, but a half-built site
            # must not be deployed by mistake.
            shutil.rmtree(self.site_dir, ignore_errors=True)


def gate_config(config, options: SecrecyGateConfig) -> GateConfig:
    base = Path(config.config_file_path).parent if config.config_file_path else Path.cwd()
    calendar = base / options.calendar
    use_snippets = "pymdownx.snippets" in (config.markdown_extensions or [])
    snippets = ((config.mdx_configs or {}).get("pymdownx.snippets") or {}) if use_snippets else {}
    bases = snippets.get("base_path", ["."]) if use_snippets else []
    bases = [bases] if isinstance(bases, str) else bases
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
        assets=tuple(options.assets),
        auto_includes=tuple(snippets.get("auto_append") or ()),
        # Relative base paths are read from the working directory; mkdocs.yml's is the usual one.
        include_bases=tuple(dict.fromkeys(d / b for d in (base, Path.cwd()) for b in bases)),
    )


def prune_nav(nav, withheld: set[str]):
    """Remove withheld pages from an explicit ``nav`` (titles and prev/next leak otherwise)."""
    out = []
    for item in nav:
        if isinstance(item, str):
            if _nav_target(item) not in withheld:
                out.append(item)
        elif isinstance(item, dict):
            kept = {}
            for title, value in item.items():
                if isinstance(value, list):
                    sub = prune_nav(value, withheld)
                    if sub:
                        kept[title] = sub
                elif isinstance(value, str):
                    if _nav_target(value) not in withheld:
                        kept[title] = value
                else:
                    kept[title] = value
            if kept:
                out.append(kept)
        else:
            out.append(item)
    return out


def _nav_target(value: str) -> str:
    return posixpath.normpath(value.split("#", 1)[0].lstrip("/"))


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
