"""One review of a whole site: files → parsed records → verdicts.

Shared by the MkDocs plugin and every command, so the build and
``secrecy-gate check`` can never disagree.  Git history is read once here;
rules stay pure.  Every exception while judging a page becomes a finding
that withholds it: no code path turns an error into "publish".
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import fnmatch
import hashlib
import logging
import os
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..core import frontmatter
from ..history import gitaudit
from . import attachments as attached
from . import inputs, rules, secrets, trust
from ..scanners import documents
from ..core.digest import page_digest
from ..core.findings import Finding, Severity, Verdict
from ..core.record import ReviewRecord, parse_record
from ..core.roster import Roster, RosterError, load_roster
from ..scanners import LexiconError, apply_redactions, load_lexicon
from ..scanners.lexicon import Lexicon
from ..scanners.redaction import DEFAULT_PLACEHOLDER
from ..core.workdays import Calendar, load_calendar

MARKDOWN_EXTENSIONS = (".md", ".markdown", ".mdown", ".mkdn", ".mkd")
# From this many pages on, git history is read in a second process (see HistoryReader).
READ_AHEAD_PAGES = 200


@dataclass(frozen=True)
class Discovery:
    """What MkDocs' own file discovery needs from mkdocs.yml (see ``published_files``)."""

    exclude_docs: object = None  # pathspec patterns, as MkDocs validated them
    draft_docs: object = None
    not_in_nav: object = None
    use_directory_urls: bool = True
    drafts: bool = False  # `mkdocs serve` renders draft_docs pages; `mkdocs build` does not


@dataclass
class GateConfig:
    docs_dir: Path
    roster: Path
    calendar: Path | None = None
    include_on_request: bool = False
    # The day the site's pages entered review (plugin option `adopted`): 条例第二十六条
    # deadlines count from no earlier day.  Read by `status` and `sweep` only.
    adopted: _dt.date | None = None
    # What proves who signed (plugin options `signatures`, `ssh_since`; signatures/policy.py).
    signatures: str = "git"
    ssh_since: object = None  # a commit id or a date: the migration's cut-over
    assets: tuple[str, ...] = ()
    today: _dt.date = field(default_factory=_dt.date.today)
    # Files a Markdown extension adds to every page (pymdownx.snippets auto_append).
    auto_includes: tuple[str, ...] = ()
    # Directories an include tool reads names from (pymdownx.snippets base_path).
    include_bases: tuple[Path, ...] = ()
    lexicon: Path | None = None  # 第八条 trigger words; the built-in list when absent
    hints_withhold: bool = False
    placeholder: str = DEFAULT_PLACEHOLDER  # 第九条: what replaces a secret point
    index_no_pattern: str | None = rules.INDEX_NO_PATTERN  # 第五条: the site's 索引号 format
    # Where the roster must be (reviews/roster.yml beside mkdocs.yml) unless the trust root is
    # pinned; None: no such check (a caller without a mkdocs.yml).
    roster_default: Path | None = None
    # The site's configuration and the plugin's options (MkDocs' own, in a build; read
    # safely by core/siteconfig.py in a command): what the build inputs are listed from.
    site: tuple | None = None

    @property
    def inputs_record(self) -> Path:
        """``reviews/site.yml``: the approved record of the build inputs, beside the roster."""
        return self.roster.parent / "site.yml"

    # How MkDocs finds the files it publishes (mkdocs.yml's exclude_docs, draft_docs …).
    discovery: Discovery | None = None

    def rule_options(self) -> rules.Options:
        """The options every rule of ``rules.py`` reads, from this configuration."""
        return rules.Options(self.include_on_request, self.today, self.hints_withhold,
                             self.index_no_pattern, self.signatures)


@dataclass
class PageResult:
    path: str
    verdict: Verdict
    source: str | None = None  # the exact text that was judged, as MkDocs must render it
    document: frontmatter.Document | None = None
    record: ReviewRecord | None = None
    digest: str | None = None
    repo_path: str | None = None
    secrets: list[str] = field(default_factory=list)  # 第九条: texts cut from the page
    redacted_source: str | None = None  # 删减后公开: the source with its secret points replaced
    redacted_body: str | None = None
    proofs: dict | None = None  # signatures: ssh — each entry's SSH signature, checked ahead

    @property
    def publish_body(self) -> str | None:
        """The body MkDocs renders (secret points replaced on a 删减后公开 page)."""
        if self.redacted_body is not None:
            return self.redacted_body
        return self.document.body if self.document else None

    @property
    def publish_text(self) -> str | None:
        """What MkDocs renders for this page: the redacted source where there is one."""
        return self.redacted_source if self.redacted_source is not None else self.source

    @property
    def published(self) -> bool:
        return self.verdict.published


@dataclass
class FileResult:
    path: str
    published: bool
    reason_zh: str
    reason_en: str
    # Why, as a kind the build's summary groups by: file.asset, file.attachment (copied);
    # file.unlisted, file.unreadable, file.secret-point, file.content (withheld).
    code: str = "file.unlisted"


def front_matter_finding(path: str, exc: frontmatter.FrontMatterError, shown: str | None = None
                         ) -> Finding:
    """第二条 先审核后公开: a page whose front matter cannot be read cannot be judged.

    ``shown`` is the page as a command line names it (default: ``path``)."""
    if exc.code == "front-matter.missing":
        return Finding(exc.code, "第二条", path, exc.zh, exc.en, *adopt_fix(shown or path),
                       "front matter", exc.line)
    return Finding(exc.code, "第二条", path, exc.zh, exc.en,
                   "页面须以 --- 包围的 YAML 前置信息开头，并含 review 审查记录（已有页面：secrecy-gate adopt 页面 加入空白记录）",
                   "start the page with YAML front matter between --- lines holding a review record "
                   "(for an existing page, `secrecy-gate adopt PAGE` adds a blank one)", "front matter", exc.line)


def adopt_fix(shown: str) -> tuple[str, str]:
    """How a page without a record gets one (第二条): `secrecy-gate adopt` keeps the page as it is."""
    return (f"运行 secrecy-gate adopt {shown} 加入空白审查记录（页面原有内容不变），填写后按第十条程序签署",
            f"run `secrecy-gate adopt {shown}` to add a blank review record (the rest of the page stays "
            "as it is), fill it in and have it signed")


@dataclass
class SiteReview:
    pages: dict[str, PageResult] = field(default_factory=dict)
    files: dict[str, FileResult] = field(default_factory=dict)
    site_findings: list[Finding] = field(default_factory=list)
    history: gitaudit.History | None = None
    # The roster in force at HEAD, as the trust chain proves it (None when it cannot be proven).
    roster: Roster | None = None
    trust: trust.TrustChain | None = None
    calendar: Calendar | None = None  # the working-day calendar; None when it is invalid
    inputs_findings: list[Finding] = field(default_factory=list)  # the build inputs' problems
    # Every string of the approved configuration (site name, copyright, nav titles, extra …):
    # public text, which the leak scan does not mistake for a withheld page's.
    site_text: str = ""
    # Set only when the build inputs are approved (``build.public``): the site's theme, plugins
    # and Markdown extensions by name (``inputs.site_packages``), and (path, approved digest)
    # of the approved inputs whose text a build may show.
    public_packages: tuple | None = None
    public_inputs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def site_problem(self) -> Finding | None:
        """The first site-wide finding that withholds every page."""
        return next((f for f in self.site_findings if f.withholds), None)

    def release(self) -> None:
        """Drop what only judging needed (texts, records, history); verdicts stay.

        A portal build holds every page in MkDocs already; the gate's own copies
        need not stay for the rest of the build.
        """
        for page in self.pages.values():
            page.source = page.redacted_source = page.redacted_body = None
            page.document = page.record = None
            page.secrets = []
            page.proofs = None
        self.history = None

    def withheld(self) -> list[PageResult]:
        return [p for p in self.pages.values() if not p.published]

    def published(self) -> list[PageResult]:
        return [p for p in self.pages.values() if p.published]


def is_page(path: str) -> bool:
    return path.lower().endswith(MARKDOWN_EXTENSIONS)


def published_files(docs_dir: Path, discovery: Discovery | None = None) -> list[str]:
    """Every file MkDocs publishes from docs_dir, found by MkDocs' own discovery.

    The same walk, exclusions (dot-files, ``/templates/``, ``exclude_docs``,
    ``draft_docs`` outside ``serve``) and README.md/index.md rule as the
    build: a file MkDocs never publishes is never judged, by the build and
    ``secrecy-gate check`` alike.
    """
    from mkdocs.structure.files import InclusionLevel, get_files

    d = discovery or Discovery()
    config = {"docs_dir": str(docs_dir), "site_dir": "", "use_directory_urls": d.use_directory_urls,
              "exclude_docs": d.exclude_docs, "draft_docs": d.draft_docs, "not_in_nav": d.not_in_nav}
    keep = InclusionLevel.is_in_serve if d.drafts else InclusionLevel.is_included
    with quiet_logger("mkdocs.structure.files"):
        # MkDocs' own discovery says the same (e.g. a README.md beside an index.md) in a build.
        return sorted(f.src_uri for f in get_files(config) if keep(f.inclusion))


@contextlib.contextmanager
def quiet_logger(name: str, below: int = logging.ERROR):
    """Records of logger ``name`` under ``below`` are dropped while the block runs."""
    logger = logging.getLogger(name)
    drop = _Below(below)
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


class _Below(logging.Filter):
    def __init__(self, level: int):
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.level


def list_docs(docs_dir: Path) -> list[str]:
    """Every file under docs_dir except dot-files: what the pre-commit hook looks at
    (what enters the repository, published or not)."""
    out = []
    for p in sorted(docs_dir.rglob("*")):
        rel = p.relative_to(docs_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if p.is_file():
            out.append(rel.as_posix())
    return out


@dataclass
class ReviewCache:
    """What one review can hand the next (``mkdocs serve`` rebuilds).

    The history is reused while HEAD stays; a page's judgement while its bytes,
    its git state and every site-wide input (registers, options, HEAD, date)
    stay the same.
    """

    history: gitaudit.History | None = None
    pages: dict[str, tuple[tuple, PageResult]] = field(default_factory=dict)


def _fresh(result: PageResult) -> PageResult:
    """A copy whose findings list can grow (cross-page rules) without touching the cache."""
    v = result.verdict
    return dataclasses.replace(result, verdict=Verdict(v.page, list(v.findings), v.redacted))


class Gate:
    def __init__(self, config: GateConfig, cache: ReviewCache | None = None):
        self.config = config
        self.cache = cache
        self.policy = None  # signatures.policy.Policy, once history is read (_policy)

    # -- site-wide inputs ------------------------------------------------------
    def registers(self, problems: list) -> tuple[Roster | None, Calendar]:
        """The working copy of the roster, the 第八条 lexicon and the working-day calendar.

        The working copy of the roster only names people in messages where git
        history cannot be read; who may sign is decided from history (``trust``).
        """
        roster = None
        try:
            roster = load_roster(self.config.roster)
        except RosterError as exc:
            problems.append(("roster.invalid", "第十条", f"名册 {self.config.roster} 无效：{exc.zh}",
                             f"the roster {self.config.roster} is invalid: {exc.en}"))
        self.lexicon = Lexicon.default()
        if self.config.lexicon is not None and self.config.lexicon.exists():
            try:
                self.lexicon = load_lexicon(self.config.lexicon)
            except LexiconError as exc:
                problems.append(("lexicon.invalid", "第八条", f"第八条词表无效：{exc.zh}",
                                 f"the 第八条 lexicon is invalid: {exc.en}"))
        calendar = Calendar()
        try:
            calendar = load_calendar(self.config.calendar)
        except (ValueError, frontmatter.FrontMatterError) as exc:
            problems.append(("calendar.invalid", "第十二条", f"工作日历无效：{exc}",
                             f"the working-day calendar is invalid: {exc}"))
        return roster, calendar

    def _history(self, review: SiteReview, problems: list, reader) -> None:
        """Git history (from ``reader`` when one was started) and what it says of the site."""
        history = None
        try:
            if reader is not None:
                history = reader.result()
            else:
                previous = self.cache.history if self.cache is not None else None
                history = gitaudit.read_history(self.config.docs_dir, previous)
            if self.cache is not None:
                self.cache.history = history
        except gitaudit.GitUnavailable as exc:
            review.site_findings.append(Finding("git.unavailable", "第十八条", "(site)", exc.zh, exc.en))
        if history is not None:
            if history.shallow:
                problems.append(("git.shallow", "第十八条",
                                 "仓库是浅克隆，缺少证明审查过程的完整 git 历史；请执行 git fetch --unshallow，"
                                 "CI 中设置 fetch-depth: 0（GitHub Actions）或 GIT_DEPTH: 0（GitLab）",
                                 "the repository is a shallow clone without the full history that proves "
                                 "reviews; run `git fetch --unshallow`, in CI set fetch-depth: 0 "
                                 "(GitHub Actions) or GIT_DEPTH: 0 (GitLab)"))
            elif history.head is None:
                problems.append(("git.no-commits", "第十八条", "仓库还没有任何提交",
                                 "the repository has no commits yet"))
            elif not history.shallow:
                self._trust(review, history)
        for code, art, zh, en in problems:
            review.site_findings.append(Finding(code, art, "(site)", zh, en))
        review.history = history

    def _policy(self, review: SiteReview, history: gitaudit.History | None) -> None:
        """The signature policy (signatures/policy.py): mode, cut-over commit, pinned keys."""
        from ..signatures import policy as sp

        c = self.config
        pins, bad = sp.pinned_keys()
        since_commit = None
        article = "第十条、第十八条"
        if bad:
            review.site_findings.append(Finding(
                "signatures.pin-invalid", article, "(site)",
                f"{sp.ADMIN_KEYS_ENV} 中有无法识别的指纹：{' '.join(bad)[:200]}",
                f"{sp.ADMIN_KEYS_ENV} holds words that are no key fingerprint: {' '.join(bad)[:200]}",
                "写成 SHA256:… 形式（ssh-keygen -lf 密钥.pub 显示），以空格或逗号分隔",
                "write SHA256:… fingerprints (as `ssh-keygen -lf KEY.pub` prints them), separated "
                "by spaces or commas"))
        if pins and c.signatures != "ssh":
            review.site_findings.append(Finding(
                "signatures.downgrade", article, "(site)",
                f"CI 设置了 {sp.ADMIN_KEYS_ENV}（本站使用 SSH 签名），而 mkdocs.yml 的 signatures 不是 ssh："
                "改回只凭 git 作者证明签署人会让任何能伪造作者的人发布页面",
                f"the CI sets {sp.ADMIN_KEYS_ENV} (this site uses SSH signatures) but mkdocs.yml does not "
                "say `signatures: ssh`: going back to git authors would let anyone who can forge an "
                "author publish", "在 mkdocs.yml 的 secrecy-gate 选项中写回 signatures: ssh",
                "set `signatures: ssh` again in the secrecy-gate options of mkdocs.yml"))
        if c.signatures == "ssh" and isinstance(c.ssh_since, str) and history is not None:
            matches = [s for s in history.commits if s.startswith(c.ssh_since)]
            if len(matches) == 1:
                since_commit = matches[0]
            else:
                review.site_findings.append(Finding(
                    "signatures.since-unknown", article, "(site)",
                    f"ssh_since: {c.ssh_since} 不是 HEAD 历史中的唯一提交",
                    f"ssh_since: {c.ssh_since} is not one commit in the history of HEAD",
                    "写明切换到 SSH 签名的那个提交的完整编号", "write the full id of the cut-over commit"))
        self.policy = sp.Policy(c.signatures, c.ssh_since, since_commit, pins)

    def _trust(self, review: SiteReview, history: gitaudit.History) -> None:
        """The roster's chain of approvals (第十条, 第十八条): who may sign, commit by commit."""
        self._policy(review, history)
        chain = trust.trust_chain(history, self.config.roster, self.config.roster_default,
                                  policy=self.policy)
        review.trust = chain
        review.site_findings.extend(chain.findings)
        review.roster = chain.at_head(history)
        pending = chain.pending
        if pending is not None and chain.usable:
            review.site_findings.append(trust.pending_finding(chain, history))
        if review.roster is not None and review.roster.quorum < 2:
            review.site_findings.append(trust.single_approver_finding(review.roster))
        rp = history.repo_path(self.config.roster)
        try:
            working = self.config.roster.read_bytes()
        except OSError:
            working = None
        if rp is not None and working is not None and history.differs(rp, working):
            review.site_findings.append(Finding(
                "roster.uncommitted", "第十条", "(site)",
                f"名册 {self.config.roster} 有未提交的修改：审查只采用 git 中已批准的名册，工作区的修改不起作用",
                f"the roster {self.config.roster} has uncommitted changes: the review uses only the "
                "approved roster in git; the working copy has no effect",
                "提交修改并经管理员批准（secrecy-gate approve roster），或用 git restore 撤销",
                "commit the change and have administrators approve it (`secrecy-gate approve roster`), "
                "or discard it with git restore", "roster", None, Severity.WARNING))

    # -- one page --------------------------------------------------------------
    def _shown(self, path: str) -> str:
        """A page as a command run beside mkdocs.yml names it (``content/a.md``)."""
        base = self.config.roster_default.parent.parent if self.config.roster_default else None
        if base is None:
            return path
        try:
            return (self.config.docs_dir / path).relative_to(base).as_posix()
        except ValueError:
            return path

    def _prepare(self, path: str, raw: bytes) -> tuple[PageResult, object]:
        """What needs no git: the strict parse, the record, the digest, the 第九条 cut."""
        result = PageResult(path, Verdict(path))
        try:
            text = frontmatter.decode(raw)
            doc = frontmatter.parse(text)
        except frontmatter.FrontMatterError as exc:
            result.verdict.findings.append(front_matter_finding(path, exc, self._shown(path)))
            return result, None
        result.document = doc
        result.source = text
        jsonable = frontmatter.to_jsonable(doc.meta)  # once, for the schema and the digest
        record, findings = parse_record(doc.meta, path, jsonable)
        if record is None and findings and findings[0].code == "record.absent":
            findings = [dataclasses.replace(findings[0], **dict(zip(("fix_zh", "fix_en"),
                                                                    adopt_fix(self._shown(path)))))]
        result.verdict.findings.extend(findings)
        if record is None:
            return result, None
        result.record = record
        result.digest = page_digest(doc.meta, doc.body, jsonable)
        if self.config.signatures == "ssh":
            # No git or roster needed: done while history is read in the other process.
            from ..signatures.entries import prove_record
            result.proofs = prove_record(record)
        return result, apply_redactions(doc.body, self.config.placeholder)

    def _finish(self, prepared: tuple[PageResult, object], roster: Roster, calendar: Calendar,
                history: gitaudit.History | None, site_problem, chain=None,
                raw: bytes = b"") -> PageResult:
        """The git evidence and every rule (第五条 to 第十八条)."""
        result, redaction = prepared
        record, doc, path = result.record, result.document, result.path
        if record is None:
            return result
        text = result.source
        evidence = rules.GitEvidence()
        if site_problem:
            evidence.problem = site_problem
        elif history is not None:
            rp = self._repo_path(path)
            result.repo_path = evidence.repo_path = rp
            evidence.committed = rp is not None and history.is_committed(rp)
            evidence.dirty = evidence.committed and history.differs(rp, raw)
            if evidence.committed and not evidence.dirty:
                expected = frozenset(e.raw for e in (*record.signatures, *record.consents))
                found = history.evidence(rp, expected)
                evidence.introductions = found.introductions
                evidence.voided = found.voided
                evidence.created = found.created
            evidence.is_ancestor = history.is_ancestor
            if chain is not None:
                evidence.roster_at = chain.at
                evidence.revoked = chain.revoked
                evidence.key_revoked = chain.key_revoked
            policy = self.policy
            if policy is not None and policy.ssh:
                evidence.judged_by_git = lambda c: policy.judged_by_git(c, history.is_ancestor)
        ctx = rules.PageContext(path, doc.meta, doc.body, record, roster, result.digest, evidence,
                                calendar, self.config.rule_options(), redaction, self.lexicon,
                                doc.body_line, result.proofs)
        result.verdict.findings.extend(rules.evaluate(ctx))
        result.secrets = redaction.secrets
        if redaction.count and record.disclosure == "删减后公开":
            # 第九条: what MkDocs renders is the body with its secret points replaced.
            result.verdict.redacted = True
            result.redacted_body = redaction.text
            result.redacted_source = text[: len(text) - len(doc.body)] + redaction.text
        return result

    def _attachments(self, page: str, record: ReviewRecord) -> Iterable[Finding]:
        """Each listed file exists, is the reviewed one (sha256), and what it contains passes the
        page's rules (``review/attachments.py``).

        Judged on every review, outside the page cache: the page's bytes pin the sha256, not
        the file's bytes.  The file's text is read once per sha256 (``documents.CACHE``)."""
        allowed = [a["value"] for a in record.get("pii_allowed") or []]
        declassified = record.classification != "非密" and bool(record.get("declassification"))
        for i, att in enumerate(record.get("attachments") or []):
            target = resolve(page, att["path"])
            fld = f"review.attachments[{i}]"
            fpath = self.config.docs_dir / target if target else None
            if fpath is None or not fpath.is_file():
                yield Finding("attachment.missing", "第十条", page,
                              f"附件 {att['path']} 不存在", f"attachment {att['path']} does not exist",
                              "核对附件路径（相对于页面）", "check the path, relative to the page", fld)
                continue
            data = fpath.read_bytes()
            actual = hashlib.sha256(data).hexdigest()
            if actual != att["sha256"]:
                yield Finding("attachment.hash-mismatch", "第十条", page,
                              f"附件 {att['path']} 与审查时的内容不一致（sha256 不符），附件与页面均不发布",
                              f"attachment {att['path']} differs from the reviewed file (sha256 mismatch)",
                              "附件变更须重新审查：更新 sha256 后重新签署",
                              "a changed attachment needs a new review: update sha256 and sign again", fld)
                continue
            if record.disclosure == "不予公开":
                continue  # neither the page nor its files are published
            extract = documents.extract(target, data, actual, listed=True)
            yield from attached.content_findings(page, i, att, att["path"], extract,
                                                 allowed_values=allowed, today=self.config.today,
                                                 declassified=declassified)

    # -- the whole site -------------------------------------------------------------
    def start_reading(self, pages: list[str]) -> gitaudit.HistoryReader | None:
        """Start reading git history on the other core, if the site is large enough to
        gain from it (``review`` does this itself; a caller that knows the pages
        earlier may start it sooner and hand it over)."""
        if self.cache is not None or len(pages) < READ_AHEAD_PAGES:
            return None
        try:
            return gitaudit.HistoryReader(*self._reading_request(pages))
        except OSError:
            return None

    def _reading_request(self, pages: list[str]) -> tuple:
        return (self.config.docs_dir, self.config.docs_dir, pages,
                [self.config.roster, self.config.inputs_record])

    def review(self, paths: Iterable[str] | None = None,
               reader: gitaudit.HistoryReader | None = None,
               whole_site: bool | None = None, on_listing=None) -> SiteReview:
        """Judge the pages (all of ``docs_dir`` by default).  ``reader`` is a history
        reader started earlier by ``start_reading``; used only if it was asked for
        these pages, and stopped otherwise.  ``whole_site`` (default: no ``paths``
        given) says the paths are every file of the site, as a build's are: only then
        are the build inputs judged, since nav titles are compared with every page.
        ``on_listing(pages, others)`` is told the files before any is read (the build
        has the site's documents read ahead in another process)."""
        whole_site = paths is None if whole_site is None else whole_site
        review = SiteReview()
        all_paths = (list(paths) if paths is not None
                     else published_files(self.config.docs_dir, self.config.discovery))
        pages = [p for p in all_paths if is_page(p)]
        if on_listing is not None:
            on_listing(pages, [p for p in all_paths if not is_page(p)])
        if reader is not None and (self.cache is not None
                                   or not reader.covers(*self._reading_request(pages))):
            reader.abandon()
            reader = None
        if reader is None:
            # Git history is read on the other core while this one parses the pages.
            reader = self.start_reading(pages)
        problems: list = []
        roster, calendar = self.registers(problems)
        review.roster = roster
        # For the deadlines of `status` and `sweep`: an invalid calendar computes none.
        review.calendar = None if any(p[0] == "calendar.invalid" for p in problems) else calendar
        raws: dict[str, bytes | Exception] = {}
        prepared: dict[str, tuple] = {}
        for path in pages:
            try:
                raws[path] = (self.config.docs_dir / path).read_bytes()
                if reader is not None and roster is not None:
                    prepared[path] = self._prepare(path, raws[path])
            except Exception as exc:  # noqa: BLE001 - fail closed: an error withholds
                raws[path] = exc
        self._history(review, problems, reader)
        first = review.site_problem
        site_problem = (first.code, first.message_zh, first.message_en) if first else None
        if review.trust is not None and not review.trust.usable:
            roster = None  # history is readable, but who may sign cannot be proven
        elif review.trust is not None:
            roster = review.roster
        chain = review.trust if review.trust is not None and review.trust.usable else None
        try:
            self._repo_path = (review.history.page_paths(self.config.docs_dir)
                               if review.history is not None else (lambda rel: None))
            if review.history is not None and site_problem is None and reader is None:
                review.history.prefetch(self._repo_path(p) for p in pages)
            site_key = self._site_key(review, site_problem)
            for path in pages:
                try:
                    raw = raws[path]
                    if isinstance(raw, Exception):
                        raise raw
                    if roster is None:
                        review.pages[path] = PageResult(path, Verdict(path, [
                            f for f in review.site_findings if f.withholds]))
                        continue
                    key = self._page_key(path, raw, site_key, review.history)
                    cached = self.cache.pages.get(path) if self.cache is not None else None
                    if cached is not None and cached[0] == key:
                        result = _fresh(cached[1])
                    else:
                        ready = prepared.pop(path, None) or self._prepare(path, raw)
                        result = self._finish(ready, roster, calendar, review.history,
                                              site_problem, chain, raw)
                        if self.cache is not None:
                            self.cache.pages[path] = (key, _fresh(result))
                    if result.record is not None:
                        result.verdict.findings.extend(self._attachments(path, result.record))
                    review.pages[path] = result
                except Exception as exc:  # noqa: BLE001 - fail closed: an error withholds
                    review.pages[path] = PageResult(path, Verdict(path, [Finding(
                        "internal.error", "第二条", path, f"审查时出错，页面不予发布：{exc!r}",
                        f"an error occurred while reviewing the page; it is withheld: {exc!r}",
                        "请报告此错误", "please report this error")]))
            self._cross_page(review, all_paths)
            self._inputs(review, whole_site)
        finally:
            if review.history is not None:
                review.history.close()
            if self.cache is not None:
                self.cache.pages = {p: v for p, v in self.cache.pages.items() if p in review.pages}
        return review

    def _inputs(self, review: SiteReview, whole_site: bool = True) -> None:
        """第二条, 第十八条: the build inputs match their record, and administrators approved it.

        Anything else withholds every page: a site whose configuration, theme
        overrides or hooks nobody approved publishes nothing.
        """
        if review.site_problem is not None or review.trust is None or not review.trust.usable:
            return  # every page is withheld already, for a reason that comes first
        findings: list[Finding] = []
        shown = self.config.inputs_record.name
        try:
            if self.config.site is None:
                raise inputs.InputsError("没有站点配置，无法列出构建输入",
                                         "no site configuration: the build inputs cannot be listed")
            site_config, options = self.config.site
            shown = inputs._key(str(self.config.inputs_record), inputs._base(site_config))
            titles = inputs.page_titles(review)
            if not whole_site:
                # Nav titles are judged against every page's title: read the others' too, so
                # that `check PAGE` judges the inputs as the build does.
                titles.update(self._titles(set(review.pages)))
            items = inputs.collect(site_config, options, titles)
            current = {p: i.digest for p, i in items.items()}
            state = trust.record_approval(review.history, review.trust, self.config.inputs_record)
            recorded = state.error if state.error is not None else state.recorded
            findings = inputs.inputs_findings(recorded, current, shown)
            if not findings and not state.approved:
                findings = [trust.unapproved_finding(state, shown, review.roster)]
        except Exception as exc:  # noqa: BLE001 - fail closed: inputs that cannot be judged withhold
            findings = [inputs.error_finding(exc, shown)]
        review.inputs_findings = findings
        if not findings:
            published = {p.path for p in review.published()} | {
                f.path for f in review.files.values() if f.published}
            review.site_text = inputs.config_text(site_config, published)
            try:
                review.public_packages = inputs.site_packages(site_config)
                review.public_inputs = inputs.public_input_files(items, inputs._base(site_config))
            except Exception:  # noqa: BLE001 - nothing counts as public: more needles, not fewer
                review.public_packages, review.public_inputs = None, []
            return
        review.site_findings.extend(findings)
        for page in review.pages.values():
            page.verdict.findings.extend(findings)

    def _titles(self, skip: set[str]) -> dict[str, str]:
        """The ``title`` of every page of the site but ``skip`` (front matter that reads)."""
        out = {}
        for path in published_files(self.config.docs_dir, self.config.discovery):
            if path in skip or not is_page(path):
                continue
            try:
                title = frontmatter.parse((self.config.docs_dir / path).read_bytes()).meta.get("title")
            except (frontmatter.FrontMatterError, OSError):
                continue
            if isinstance(title, str):
                out[path] = title
        return out

    def _site_key(self, review: SiteReview, site_problem) -> bytes:
        """Everything besides a page's own bytes and git state that its judgement depends on."""
        h = hashlib.blake2b(digest_size=20)
        for path in (self.config.roster, self.config.calendar, self.config.lexicon):
            try:
                h.update(path.read_bytes() if path is not None else b"-")
            except OSError:
                h.update(b"-missing-")
        c = self.config
        h.update(repr((c.docs_dir, c.include_on_request, c.assets, c.today, c.auto_includes,
                       c.include_bases, c.hints_withhold, c.placeholder, c.index_no_pattern,
                       c.roster_default, site_problem, os.environ.get(trust.TRUST_ROOT_ENV),
                       c.signatures, c.ssh_since, os.environ.get("SECRECY_GATE_ADMIN_KEYS"),
                       review.history.head if review.history else None)).encode())
        return h.digest()

    def _page_key(self, path: str, raw: bytes, site_key: bytes, history) -> tuple:
        rp = self._repo_path(path)
        # The committed blob: with the page's own bytes it decides committed and dirty.
        git_state = history.head_blobs.get(rp) if history is not None else None
        return (site_key, hashlib.blake2b(raw, digest_size=20).digest(), git_state)

    def _cross_page(self, review: SiteReview, all_paths: list[str]) -> None:
        # 第五条: one 索引号, one page — first, as what follows depends on which pages publish.
        index_nos = {path: index_no for path, page in review.pages.items() if page.document
                     and (index_no := rules.index_no_of(page.document.meta)) is not None}
        for path, findings in rules.index_no_clashes(index_nos).items():
            review.pages[path].verdict.findings.extend(findings)
        # 第九条: a secret point cut from one page is published by no other page, nor a second
        # time by its own (title, document fields, another paragraph …), nor by front matter.
        copies = secrets.SecretCopies.of(review)
        for page in review.published():
            marked = secrets.front_matter_finding(page)
            if marked is not None:
                page.verdict.findings.append(marked)
            if copies is not None:
                page.verdict.findings.extend(copies.in_page(page))
        carrying: dict[str, FileResult] = {}  # files withheld for a secret point they carry
        scanned: dict[str, dict[str, str]] = {}
        while True:
            # 第二条: an include pulls text into a page that its review never saw.
            changed = True
            while changed:
                changed = False
                for page in review.published():
                    for finding in includes_unreviewed(page, review, self.config.docs_dir,
                                                       self.config.auto_includes,
                                                       self.config.include_bases):
                        page.verdict.findings.append(finding)
                        changed = True
                        break
            listed: dict[str, list[tuple[str, str]]] = {}  # file -> [(page, sha256)] of published pages
            for page in review.published():
                for att in (page.record.get("attachments") or []) if page.record else []:
                    target = resolve(page.path, att["path"])
                    if target is not None:
                        listed.setdefault(target, []).append((page.path, att["sha256"]))
            for path in all_paths:
                if is_page(path):
                    continue
                review.files[path] = carrying.get(path) or self._judge_file(path, listed.get(path, []))
            # 第九条: a published file (its name; its text, for plain-text formats) carries none.
            found_now = False
            for path, result in list(review.files.items()) if copies is not None else ():
                if not result.published:
                    continue
                if path not in scanned:
                    data, extract = None, None
                    full = self.config.docs_dir / path
                    try:
                        if posixpath.splitext(path.lower())[1] in secrets.TEXT_EXTENSIONS:
                            data = full.read_bytes()
                        else:
                            with open(full, "rb") as fh:
                                head = fh.read(1024)
                            if documents.family(path, head) is not None:
                                data = full.read_bytes()  # a document: its text is read too
                        if data is not None:
                            extract = documents.extract(path, data)
                    except OSError:
                        data = b""
                    scanned[path] = copies.in_file(path, data, extract)
                if not scanned[path]:
                    continue
                source, matched = next(iter(scanned[path].items()))
                where = copies.places.get(path, {}).get(source)
                carrying[path] = review.files[path] = FileResult(
                    path, False, f"含有 {source} 标出并删除的第九条密点 [{matched}]",
                    f"holds a secret point [{matched}] that {source} marks and cuts (第九条)",
                    "file.secret-point")
                for page_path, _ in listed.get(path, []):
                    review.pages[page_path].verdict.findings.append(
                        secrets.attachment_finding(page_path, path, source, matched, where))
                found_now = True
            if not found_now:
                break  # otherwise: pages were withheld; their includes and attachments again
        for page in review.published():
            page.verdict.findings.extend(links_to_withheld(page, review, self._shown(page.path)))

    def _judge_file(self, path: str, listings: list[tuple[str, str]]) -> FileResult:
        """A non-page file is copied only as a reviewed attachment or an asset (第二条)."""
        for pattern in self.config.assets:
            if fnmatch.fnmatchcase(path, pattern):
                problem = self._asset_content(path)
                if problem is not None:
                    return FileResult(path, False, f"匹配 assets 规则 {pattern}，但{problem[0]}",
                                      f"matches asset glob {pattern}, but {problem[1]}",
                                      "file.content")
                return FileResult(path, True, f"匹配 assets 规则 {pattern}", f"matches asset glob {pattern}",
                                  "file.asset")
        if listings:
            try:
                digest = hashlib.sha256((self.config.docs_dir / path).read_bytes()).hexdigest()
            except OSError as exc:
                return FileResult(path, False, f"无法读取：{exc.strerror}", f"cannot read: {exc.strerror}",
                                  "file.unreadable")
            for page, sha256 in listings:
                if digest == sha256:
                    return FileResult(path, True, f"{page} 的审查附件", f"reviewed attachment of {page}",
                                      "file.attachment")
        return FileResult(path, False,
                          "未列入任何已发布页面的 review.attachments，也不匹配 assets 规则",
                          "not listed in any published page's review.attachments and matches no asset glob")


    def _asset_content(self, path: str) -> tuple[str, str] | None:
        """Why a document an ``assets:`` glob admits is withheld after all, or None.

        An asset is published without review: a PDF or spreadsheet among them is read like
        an attachment, with no allowance (no record lists it)."""
        full = self.config.docs_dir / path
        try:
            with open(full, "rb") as fh:
                head = fh.read(1024)
            if documents.family(path, head) is None:
                return None  # an image, a font, a style sheet: nothing to read
            data = full.read_bytes()
        except OSError as exc:
            return f"无法读取：{exc.strerror}", f"cannot be read: {exc.strerror}"
        return attached.asset_findings(path, documents.extract(path, data), self.config.today)


def resolve(page: str, target: str) -> str | None:
    """A link target as written in ``page`` → docs-relative path, or None if outside."""
    target = target.split("#", 1)[0].split("?", 1)[0]
    if not target or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("//"):
        return None
    if target.startswith("/"):
        joined = target.lstrip("/")
    else:
        joined = posixpath.join(posixpath.dirname(page), target)
    norm = posixpath.normpath(joined)
    if norm.startswith("../") or norm == "..":
        return None
    return norm


_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'][^)]*[\"'])?\s*\)"
                   r"|^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)"
                   r"|(?:href|src)\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)


def link_targets(page: str, body: str) -> list[str]:
    """Docs-relative targets of a page's local links — Markdown links and images,
    reference definitions, HTML ``src``/``href`` — each once, in order.  What the
    link rule below and `secrecy-gate attachments` both read."""
    out: dict[str, None] = {}
    for m in _LINK.finditer(body):
        target = resolve(page, m.group(1) or m.group(2) or m.group(3))
        if target is not None:
            out.setdefault(target, None)
    return list(out)


def links_to_withheld(page: PageResult, review: SiteReview, shown: str | None = None
                      ) -> Iterable[Finding]:
    """A published page that links to a withheld page or file is reported by name.

    ``shown``: the page as a command line names it, for the fix (default: its path)."""
    if not page.document:
        return
    shown = shown or page.path
    for target in link_targets(page.path, page.document.body):
        other = review.pages.get(target)
        withheld_file = review.files.get(target)
        if other is not None and not other.published:
            yield Finding("link.to-withheld", "第二条", page.path,
                          f"链接指向未发布的页面 {target}：该链接在网站上无法打开",
                          f"links to the page {target}, which is withheld; the link will not resolve",
                          "删除该链接，或待该页面审查通过后再发布",
                          "remove the link, or wait until that page is reviewed and published",
                          target, severity=Severity.WARNING)
        elif withheld_file and not withheld_file.published:
            yield Finding("link.to-withheld", "第二条", page.path,
                          f"链接指向未发布的文件 {target}（{withheld_file.reason_zh}）：该链接在网站上无法打开",
                          f"links to the file {target}, which is withheld ({withheld_file.reason_en}); "
                          "the link will not resolve",
                          f"运行 secrecy-gate attachments {shown} --write，把该文件连同 sha256 列入本页的 "
                          "review.attachments（本页已有签署时加 --force），再按第十条重新签署（附件是审查内容的一部分，列入会使现有签署失效）；"
                          "徽标、样式表等无需审查的主题类文件，可在 mkdocs.yml 的 secrecy-gate 选项 assets: 中加入匹配的 glob"
                          "（相对于 docs_dir，如 assets/images/logo.*），再由 secrecy-gate inputs --record 记录、"
                          "管理员 secrecy-gate approve inputs 批准（第十八条）",
                          f"run `secrecy-gate attachments {shown} --write` to list the file with its "
                          "sha256 in this page's review.attachments (add --force when the page already has "
                          "signatures), then have the page signed again "
                          "(attachments are part of what is reviewed: listing one voids the current "
                          "signatures); for theme-like files that need no review (logos, stylesheets), add "
                          "a matching glob, relative to docs_dir (e.g. assets/images/logo.*), to the "
                          "secrecy-gate option assets: in mkdocs.yml, record it with `secrecy-gate inputs "
                          "--record` and have administrators run `secrecy-gate approve inputs` (第十八条)",
                          target, severity=Severity.WARNING)


# Include directives of pymdownx.snippets, markdown-include and macros/jinja.  A snippets
# name runs to its own closing quote (the other quote is part of the name; a backslash
# escapes one), as snippets reads it.
_INCLUDE = re.compile(
    r"^[ \t]*;?-{1,}8<-{1,}[ \t]*(?:\"((?:\\\"|[^\"\n\r])+?)\"|'((?:\\'|[^'\n\r])+?)')"  # --8<-- "file"
    r"|^[ \t]*;?-{1,}8<-{1,}[ \t]*$"                           # --8<-- block start/end
    r"|\{!\s*([^!]+?)\s*!\}"                                    # {! file !}
    r"|\{%-?\s*include(?:[-_]markdown)?\s+[\"']([^\"']+)[\"']"  # {% include(-markdown) "file" %}
    r"|\{\{[^}]*include[^}]*\(\s*[\"']([^\"']+)[\"']",          # {{ include_file('x') }}
    re.MULTILINE)


def _include_targets(body: str) -> Iterable[str]:
    in_block = False
    for line in body.splitlines():
        stripped = line.strip()
        if re.fullmatch(r";?-{1,}8<-{1,}", stripped):
            in_block = not in_block
            yield ""  # a block include: its file list follows
            continue
        if in_block:
            if stripped and not stripped.startswith(";"):
                yield stripped
            continue
        for m in _INCLUDE.finditer(line):
            t = next((g for g in m.groups() if g), None)
            if t:
                yield t.strip()


# What may follow a snippets file name: lines (`:3`, `:3:9`, `:1:3,7:9`) or a section (`:name`).
_SNIPPET_SUFFIX = re.compile(r"(.+?)(?::[0-9]*(?::[0-9]*)?(?:,[0-9]*(?::[0-9]*)?)*|:[A-Za-z][-_0-9A-Za-z]*)")


def _target_forms(target: str) -> set[str]:
    """Every file name an include target can mean: as written, and without a line or section
    suffix.  Both are checked (``index.md:/../x.md`` is not ``index.md`` with a suffix: an
    include tool joins the whole name to its base and normalises ``index.md:/..`` away)."""
    forms = {target}
    m = _SNIPPET_SUFFIX.fullmatch(target)
    if m:
        forms.add(m.group(1))
    return forms


def _base_files(base: Path, name: str) -> set[Path]:
    """The files ``name`` can reach from an include base: joined as the OS resolves it, and
    normalised first as ``os.path.abspath`` does (``x/..`` removed even where ``x`` does not
    exist, which is what pymdownx.snippets checks its base path with)."""
    out = set()
    for candidate in (Path(base) / name, Path(os.path.normpath(os.path.join(base, name)))):
        try:
            if candidate.is_file():
                out.add(candidate)
        except (OSError, ValueError):  # a name the file system cannot hold
            continue
    return out


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def includes_unreviewed(page: PageResult, review: SiteReview, docs_dir: Path,
                        auto_includes: Iterable[str] = (),
                        include_bases: Iterable[Path] = ()) -> Iterable[Finding]:
    """第二条: an included file's text must itself be a published, reviewed page."""
    if not page.document:
        return
    for target in (*_include_targets(page.document.body), *auto_includes):
        if not target:
            continue
        # Include tools resolve a name against the page or against a base path: every
        # file the name could mean must be a published page, not merely one of them.
        candidates: set[str] = set()
        outside = False
        for name in _target_forms(target):
            for c in (resolve(page.path, name), posixpath.normpath(name.lstrip("/"))):
                if c and (c in review.pages or (docs_dir is not None and _exists(docs_dir / c))):
                    candidates.add(c)
            for base in include_bases:
                for found in _base_files(base, name):
                    try:
                        candidates.add(found.resolve().relative_to(docs_dir.resolve()).as_posix())
                    except ValueError:
                        outside = True  # a file outside docs_dir is never reviewed
        ok = not outside and bool(candidates) and all(
            c in review.pages and review.pages[c].published for c in candidates)
        if not ok:
            yield Finding("include.unreviewed", "第二条", page.path,
                          f"页面引入了未发布或未经审查的文件 {target}：被引入的文字未经本页审查",
                          f"the page includes {target}, which is not a published, reviewed page",
                          "删除该引入指令，或把被引入内容直接写入本页并重新送审",
                          "remove the include, or put the text into this page and have it reviewed",
                          target)
            return
