"""The ``secrecy-gate`` command: the same rules as the plugin, from a terminal.

Every command reads the gate's options from ``mkdocs.yml`` (found in the
current directory or above, or given with ``-f``), so the command line and
the build always judge alike — read safely (``core/siteconfig.py``): no
command runs a hook, a plugin or a YAML tag of the repository it judges.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
from pathlib import Path

import click
from dateutil.relativedelta import relativedelta

from .desk import auditrender, auditreport, queue as desk, precommit
from .build import pipeline, report
from .desk import sweep as sweep_mod
from .review.gate import Gate, GateConfig, SiteReview, is_page, published_files
from .core.findings import Severity
from .core.schema import STEPS, page_schema
from .desk.signing import (SignError, consent as do_consent, git_author, git_author_ident,
                           sign_many as do_sign_many)


def _find_config(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit).resolve()
    here = Path.cwd().resolve()
    for d in (here, *here.parents):
        for name in ("mkdocs.yml", "mkdocs.yaml"):
            if (d / name).is_file():
                return d / name
    raise click.ClickException("找不到 mkdocs.yml（可用 -f 指定）/ no mkdocs.yml found (use -f)")


def load_site_config(config_file: str | None):
    """mkdocs.yml read safely (nothing in it run or imported) and the gate's options."""
    from .build.plugin import SecrecyGateConfig
    from .core.siteconfig import SiteConfigError, read_site_config

    path = _find_config(config_file)
    try:
        cfg = read_site_config(path)
    except SiteConfigError as exc:
        raise click.ClickException(f"mkdocs.yml 无法读取：{exc.zh} / cannot read {path}: {exc.en}") from None
    options = SecrecyGateConfig(config_file_path=str(path))
    options.load_dict(dict(cfg.plugins.get("secrecy-gate") or {}))
    errors, _ = options.validate()
    if errors:
        problems = "; ".join(f"{k}: {e}" for k, e in errors)
        raise click.ClickException(f"secrecy-gate 的选项无效 / invalid secrecy-gate options: {problems}")
    return cfg, options


def _review_reading_ahead(gc: GateConfig, paths):
    """``Gate(gc).review(paths)``, the site's documents read in a second process meanwhile
    when the site is large (as the build does: attachments are most of a review's time)."""
    from .build.leakwatch import documents_ahead
    from .build.plugin import BACKGROUND_SCAN_PAGES
    helpers = []

    def listing(pages, others):
        if len(pages) >= BACKGROUND_SCAN_PAGES and others:
            helpers.append(documents_ahead(gc.docs_dir, others))
    try:
        return Gate(gc).review(paths, on_listing=listing)
    finally:
        for helper in helpers:
            helper.abandon()


def load_gate_config(config_file: str | None) -> GateConfig:
    return gate_config_of(*load_site_config(config_file))


def gate_config_of(cfg, options) -> GateConfig:
    from .build.plugin import gate_config

    return gate_config(cfg, options)


def _rel_paths(gc: GateConfig, paths: tuple[str, ...]) -> list[str] | None:
    if not paths:
        return None
    out = []
    listed = None
    docs = gc.docs_dir.resolve()
    for p in paths:
        ap = Path(p).resolve()
        try:
            rel = ap.relative_to(docs)
        except ValueError:
            raise click.ClickException(f"{p} 不在文档目录 {docs} 中 / is not under docs_dir {docs}") from None
        if ap.is_dir():
            # What MkDocs publishes under it: dot-files, exclude_docs and draft_docs are not judged.
            if listed is None:
                listed = published_files(gc.docs_dir, gc.discovery)
            prefix = rel.as_posix()
            out.extend(q for q in listed if prefix == "." or q.startswith(prefix + "/"))
        else:
            out.append(rel.as_posix())
    return out


config_option = click.option("-f", "--config-file", default=None, help="mkdocs.yml to read options from.")
format_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh",
                           help="Language of messages (default Chinese).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mkdocs-secrecy-gate")
@click.pass_context
def main(ctx):
    """secrecy-gate：政府信息公开保密审查（武政办发〔2020〕75号）的发布闸门。

    Nothing is published before its confidentiality review is complete and
    proven by git history.
    """
    ctx.call_on_close(quiet_mkdocs())


def quiet_mkdocs():
    """MkDocs' own warnings (a README.md beside an index.md, a config key it does not know …)
    belong to `mkdocs build`, not to every command: only its errors are shown while a
    command runs.  Returns what puts the loggers back (the command may run in-process)."""
    import logging

    mkdocs_log, own = logging.getLogger("mkdocs"), logging.getLogger("mkdocs.plugins.secrecy_gate")
    saved = (mkdocs_log.level, own.level)
    mkdocs_log.setLevel(logging.ERROR)
    own.setLevel(saved[1] or logging.WARNING)

    def restore():
        mkdocs_log.setLevel(saved[0])
        own.setLevel(saved[1])
    return restore


@main.command()
@click.argument("paths", nargs=-1)
@config_option
@format_option
@lang_option
@click.option("--include-on-request", is_flag=True, help="Treat 依申请公开 pages as publishable.")
@click.option("--pre-commit", "pre_commit", is_flag=True,
              help="Hook mode: judge the given working-tree files without the git-history audit; "
                   "exit 1 only on front-matter.{unclosed,yaml,encoding,not-mapping,key,too-large}, "
                   "content.marking, content.{resident-id,bank-card,mobile}, redaction.markers, "
                   "internal.error. Never decides publication.")
def check(paths, config_file, fmt, lang, include_on_request, pre_commit):
    """Judge pages as the build would: every page with its findings, every file, the
    build's summary.  Exit 1 if any page is withheld by a finding (with the site's
    `rollout: true`, pages that only await review do not count), as the build fails,
    or if a CI or task file builds the site with a generator that runs no MkDocs
    plugin (`zensical build`, `properdocs build`): it would publish every page.

    With --pre-commit: exit 1 only on what must never enter the repository
    (第二条 unreadable front matter, 第六条 markings and personal data, 第九条
    unbalanced secret-point markers); missing signatures are reported only.
    """
    gc = load_gate_config(config_file)
    if pre_commit:
        result = precommit.check_files(gc, paths)
        click.echo(json.dumps(precommit.as_dict(result), ensure_ascii=False, indent=2) if fmt == "json"
                   else "\n".join(precommit.render(result, lang)))
        sys.exit(1 if result.blocked else 0)
    gc.include_on_request = gc.include_on_request or include_on_request
    review = _review_reading_ahead(gc, _rel_paths(gc, paths))
    # What stops the build (fail_on_withheld), with the site's own rollout option.
    problems = report.failing(review, bool(gc.site and gc.site[1].rollout))
    ungated = pipeline.ungated_builds(_repository_top(gc.docs_dir), Path(gc.site[0].config_file_path)
                                      if gc.site else None)
    if fmt == "json":
        click.echo(json.dumps({
            "summary": report.summarize(review).counts(),
            "ungated_builds": [{"path": u.path, "line": u.line, "text": u.text, "generator": u.generator,
                                "replacement": u.replacement()} for u in ungated],
            "site_findings": [f.as_dict() for f in review.site_findings],
            "pages": [p.verdict.as_dict() for p in sorted(review.pages.values(), key=lambda p: p.path)],
            "files": [{"path": f.path, "published": f.published, "code": f.code, "reason": f.reason_en}
                      for f in sorted(review.files.values(), key=lambda f: f.path)],
        }, ensure_ascii=False, indent=2))
    else:
        site_wide = {id(f) for f in review.site_findings}
        for page in sorted(review.pages.values(), key=lambda p: p.path):
            click.echo(f"{page.path}: {report.label(page.verdict.outcome, lang)}")
            for f in page.verdict.findings:
                if id(f) not in site_wide:  # said once, in the summary below
                    click.echo("  " + f.render(lang).replace("\n", "\n  "))
        for f in sorted(review.files.values(), key=lambda f: f.path):
            if lang == "en":
                click.echo(f"{f.path}: {'copied' if f.published else 'not copied'}  [{f.reason_en}]")
            else:
                click.echo(f"{f.path}: {'复制' if f.published else '不复制'}  [{f.reason_zh}]")
        click.echo("\n".join(report.grouped_lines(review, lang, bool(gc.site and gc.site[1].rollout))))
        for u in ungated:
            click.echo(u.render(lang))
    # A build that skips the gate publishes everything: as serious as a withheld page.
    sys.exit(1 if problems or ungated else 0)


def _repository_top(start: Path) -> Path:
    """The git work tree holding ``start`` (where CI files live), else ``start``'s parent."""
    from .desk.init import git_top

    here = start if start.is_dir() else start.parent
    return git_top(here) or here.parent


today_option = click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                            help="Date the deadlines are counted to (default: today), YYYY-MM-DD.")


@main.command()
@click.argument("paths", nargs=-1)
@config_option
@lang_option
@today_option
@click.option("--mine", is_flag=True, help="Only pages whose next step the current git identity may take.")
@click.option("--overdue", is_flag=True, help="Only pages with an overdue deadline.")
@click.option("--base", default=None, metavar="REV",
              help="Only what the current branch changes against its merge base with REV (e.g. "
                   "origin/main): pages, docs files, site inputs, registers and CI files, each with "
                   "its state, who signs next and the exact command (for a pull request).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              help="markdown (with --base): a report a CI job posts on the pull request.")
def status(paths, config_file, fmt, lang, today, mine, overdue, base):
    """The review queue: each page's state, next step, who may take it, deadlines (第十条–第十二条).

    With --base REV: the pages and files the current branch changes (git diff from the
    merge base with REV to HEAD), for its pull request; informational, exit 0.
    """
    if fmt == "markdown" and base is None:
        raise click.UsageError("--format markdown 须与 --base 同用 / --format markdown needs --base")
    gc = load_gate_config(config_file)
    diff = _branch_diff(gc, base, lang) if base is not None else None
    # With --base the whole site is judged, as the build judges it; the rows are then picked.
    review = Gate(gc).review(_rel_paths(gc, paths) if base is None else None)
    rows = desk.queue(review, review.calendar, today.date() if today else _dt.date.today(),
                      gc.docs_dir, gc.adopted)
    if mine:
        person = _current_person(review, gc, lang)
        rows = [r for r in rows if r.may_act(person)]
    if overdue:
        rows = [r for r in rows if r.overdue]
    if diff is not None:
        _branch_status(gc, diff, review, rows, paths, fmt, lang, filtered=mine or overdue)
        return
    if fmt == "json":
        click.echo(json.dumps(desk.queue_json(rows, lang), ensure_ascii=False, indent=2))
        return
    for f in review.site_findings:
        if f.severity is not Severity.NOTICE:  # `check` and `trust` show the notices
            click.echo(f.render(lang))
    click.echo("\n".join(desk.render_queue(rows, lang)))


@main.command()
@config_option
@format_option
@lang_option
@today_option
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="List roster changes from this date (default: one year before --today).")
@click.option("--withheld-days", type=click.IntRange(min=0), default=sweep_mod.DEFAULT_WITHHELD_DAYS,
              show_default=True, help="Report pages withheld longer than this since they entered review "
                   "(their first committed review record, or the `adopted` date).")
def sweep(config_file, fmt, lang, today, since, withheld_days):
    """第十四条 periodic review: classified pages, long-withheld pages, escalations, roster changes.

    Exit 1 when something needs action, so that a scheduled CI job can run it.
    """
    gc = load_gate_config(config_file)
    day = today.date() if today else _dt.date.today()
    review = Gate(gc).review()
    rows = desk.queue(review, review.calendar, day, gc.docs_dir, gc.adopted)
    start = since.date() if since else day - relativedelta(years=1)
    result = sweep_mod.sweep(review, rows, gc.roster, gc.docs_dir, day, start, withheld_days, gc.adopted)
    if fmt == "json":
        click.echo(json.dumps(sweep_mod.sweep_json(result, lang), ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(sweep_mod.render_sweep(result, lang)))
    sys.exit(1 if result.needs_action else 0)


def _branch_diff(gc: GateConfig, base: str, lang: str):
    """What the branch changes against ``base`` (a usage error, exit 2, when git cannot say)."""
    from .desk import branch
    from .history.gitaudit import GitUnavailable, find_root

    try:
        return branch.branch_diff(find_root(gc.docs_dir), base)
    except (branch.BaseError, GitUnavailable) as exc:
        raise click.BadParameter(f"{exc.zh}\n{exc.en}", param_hint="--base") from None


def _branch_status(gc: GateConfig, diff, review: SiteReview, rows, paths, fmt: str, lang: str,
                   filtered: bool) -> None:
    """``status --base``: the changed pages' rows, the site inputs, registers and CI files."""
    from .desk import branch
    from .history.gitaudit import find_root
    from .review import inputs as site_inputs

    root = find_root(gc.docs_dir)
    top = Path(os.path.realpath(root))

    def repo(path) -> str | None:
        try:
            return Path(os.path.realpath(path)).relative_to(top).as_posix()
        except ValueError:
            return None

    cfg, options = gc.site
    site_dir = Path(cfg.config_file_path).parent
    registers = {repo(gc.roster): "roster", repo(gc.inputs_record): "input"}
    for extra in (gc.calendar, gc.lexicon):
        if extra is not None:
            registers[repo(extra)] = "input"
    found = {repo(cfg.config_file_path)}
    try:
        found |= {repo(site_dir / p) for p in site_inputs.collect(cfg, options, site_inputs.page_titles(review))}
    except Exception:  # noqa: BLE001 - inputs that cannot be listed: the review's findings say why
        pass
    registers.pop(None, None)
    found.discard(None)
    chosen = None
    if paths:
        chosen = set(_rel_paths(gc, paths) or [])
    shown = branch.branch_rows(diff, review, rows, root, site_dir, gc.docs_dir, registers, found)
    if chosen is not None or filtered:
        keep = {r.page for r in rows} if chosen is None else chosen & {r.page for r in rows}
        docs = repo(gc.docs_dir) or ""
        prefix = "" if docs in ("", ".") else docs + "/"
        shown = [r for r in shown if r.kind == "page" and r.queue is not None
                 and r.change.path[len(prefix):] in keep]
    if fmt == "json":
        click.echo(json.dumps(branch.rows_json(diff, shown, lang), ensure_ascii=False, indent=2))
    elif fmt == "markdown":
        click.echo("\n".join(branch.render_markdown(diff, shown, review, lang)))
    else:
        click.echo("\n".join(branch.render_text(diff, shown, review, lang)))


def _current_person(review: SiteReview, gc: GateConfig, lang: str):
    """The roster person of the current git author (exit 2 when there is none)."""
    try:
        name, email = git_author(gc.roster.parent)
    except SignError as exc:
        click.echo(exc.en if lang == "en" else exc.zh, err=True)
        sys.exit(2)
    person = review.roster.who_is(email) if review.roster is not None else None
    if person is None:
        click.echo(desk.not_in_roster(name, email, gc.roster).get(lang), err=True)
        sys.exit(2)
    return person


@main.command("diff")
@click.argument("page", type=click.Path(exists=True, dir_okay=False))
@config_option
def diff_cmd(page, config_file):
    """What changed in PAGE since its last valid signature (第十条): the body, the signed
    fields of the record and the attachments, against the version that signature approved.

    The last valid signature is found in git history as the build proves
    signatures: the newest entry committed by its own signer, who held the
    right then, approving the page as that commit left it.  Read it before
    signing a changed page again.  Exit 1 when history cannot say.
    """
    from .desk import pagediff

    gc = load_gate_config(config_file)
    rel = _rel_paths(gc, (page,))[0]
    if not is_page(rel):
        raise click.ClickException(f"{page} 不是 Markdown 页面 / is not a Markdown page")
    review = Gate(gc).review([rel])
    history, chain = review.history, review.trust
    if history is None or chain is None or not chain.usable:
        why = "\n".join(f.render("zh") + "\n" + f.render("en") for f in review.site_findings if f.withholds)
        raise click.ClickException("无法从 git 历史确定有效签署 / git history cannot say which signatures "
                                   f"are valid:\n{why}")
    repo_path = history.repo_path(gc.docs_dir / rel)
    try:
        # Compared with what the person running it last signed: a re-review starts with the
        # drafter signing again, and each later step must see what changed since its own.
        signer = None
        try:
            _, email, _ = git_author_ident(Path(page).resolve().parent)
            person = review.roster.who_is(email) if review.roster is not None else None
            signer = person.name if person is not None else None
        except SignError:
            pass  # no git identity: compared with the last approved version
        approvals = pagediff.valid_approvals(history, chain.at, repo_path) if repo_path else []
        approval, why = pagediff.baseline(approvals, signer)
        current = Path(page).read_bytes()
        try:
            d = pagediff.page_diff(approval, current, rel, page)
        except Exception as exc:  # noqa: BLE001 - a page that does not read has no diff to show
            raise click.ClickException(f"无法读取页面 / cannot read the page: {exc}") from None
    finally:
        history.close()
    click.echo("\n".join(pagediff.render(d, page, why)))


@main.command()
@click.argument("pages", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--step", required=True, type=click.Choice(STEPS))
@click.option("--opinion", required=True, help="主动公开|依申请公开|删减后公开|不予公开 (or English alias)")
@click.option("--comment", default=None)
@click.option("--no-commit", is_flag=True, help="Write the entries but do not commit them.")
@config_option
def sign(pages, step, opinion, comment, no_commit, config_file):
    """Sign the review record of PAGES as the current git author (第十条).

    PAGES are pages or folders (every page MkDocs publishes under a folder).
    Each page gets its own entry with its own digest; all go into one commit.
    All or nothing: if any page cannot be signed by you, none is, and each
    reason is shown.  Among several pages, one you already signed at this
    step, as it is now, is skipped.  Before signing a changed page, `secrecy-gate diff PAGE`
    shows what changed since its last valid signature.
    """
    gc = load_gate_config(config_file)
    targets = _page_targets(gc, pages)
    try:
        # One page named on its own: signing it twice is a mistake to report, not to skip.
        res = do_sign_many(targets, step, opinion, comment, gc, commit=not no_commit,
                           skip_done=len(targets) > 1 or any(Path(p).is_dir() for p in pages))
    except SignError as exc:
        raise click.ClickException(str(exc)) from None
    for p in res.skipped:
        click.echo(f"已签过，跳过 / already signed by you at this step, skipped: {p}")
    for r in res.results:
        if r.dropped:
            click.echo(f"{r.page}: 已移除 {r.dropped} 个失效签署 / removed {r.dropped} void signature(s)")
        e = r.entry
        click.echo(f"已签署 / signed: {r.page} {e['step']} {e['name']} {e['opinion']} {e['date']}")
    n = len(res.results)
    if res.commit:
        click.echo(f"{n} 个页面，一次提交 / {n} page(s) in one commit: {res.commit[:10]}")
    elif n:
        click.echo(f"{n} 个页面已写入，未提交 / {n} page(s) written, not committed")


def _shown(path: Path) -> Path:
    """A path as the user would type it: relative to the current directory when under it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _page_targets(gc: GateConfig, paths: tuple[str, ...]) -> list[Path]:
    """Pages named, and the pages MkDocs publishes under folders named (docs-relative order)."""
    out: list[Path] = []
    for p in paths:
        if Path(p).is_dir():
            found = [_shown(gc.docs_dir / r) for r in (_rel_paths(gc, (p,)) or []) if is_page(r)]
            if not found:
                raise click.ClickException(f"{p} 下没有页面 / no page under {p}")
            out.extend(found)
        else:
            if Path(p).resolve().is_relative_to(gc.docs_dir.resolve()):
                out.append(Path(p))
            else:
                _rel_paths(gc, (p,))  # says it is outside docs_dir
    return out


@main.command()
@click.argument("page", type=click.Path(exists=True, dir_okay=False))
@click.option("--agency", required=True, help="Roster id of the co-agency consenting (第十一条).")
@click.option("--comment", default=None)
@click.option("--no-commit", is_flag=True)
@config_option
def consent(page, agency, comment, no_commit, config_file):
    """Record a co-agency's written consent as the current git author (第十一条)."""
    gc = load_gate_config(config_file)
    try:
        res = do_consent(Path(page), agency, comment, gc, commit=not no_commit)
    except SignError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已同意 / consented: {page} {agency} {res.entry['name']} {res.entry['date']}"
               + (f" (commit {res.commit[:10]})" if res.commit else " (not committed)"))


@main.command("trust")
@config_option
@lang_option
def trust_cmd(config_file, lang):
    """Who may sign and who may change that: the roster's root, versions and approvals, and
    the build inputs' approval (第十条, 第十八条).  Exit 1 when the site cannot be judged."""
    from .review import trust as trust_mod

    gc = load_gate_config(config_file)
    review = Gate(gc).review()
    chain, hist = review.trust, review.history
    zh = lang == "zh"
    out = []
    if chain is not None and chain.genesis:
        root = chain.genesis[0].sha
        how = ("已固定" if zh else "pinned") if chain.pinned else ("按首次使用信任，尚未固定" if zh else
                                                                   "trusted on first use, not pinned")
        out.append(f"{'信任根' if zh else 'trust root'}: {root} ({how})")
        if not chain.pinned:
            out.append(("在 CI 的受保护变量中设置：" if zh else "set as a protected CI variable: ")
                       + f"{trust_mod.TRUST_ROOT_ENV}={root}")
    if review.roster is not None:
        r = review.roster
        out.append(f"{'生效名册' if zh else 'roster in force'}: version {r.version}, "
                   f"{'管理员' if zh else 'administrators'}: {'、'.join(p.name for p in r.admins)} "
                   f"({'须' if zh else 'quorum'} {r.quorum})")
    if chain is not None and chain.pending is not None:
        p = chain.pending
        done = sorted({a.get('name') for a in p.approvals if a.get('digest') == p.digest})
        out.append(f"{'待批准名册' if zh else 'roster awaiting approval'}: version {p.version}, "
                   f"{'已批准' if zh else 'approved by'}: {'、'.join(done) or '—'}")
    if hist is not None and chain is not None and chain.usable:
        state = trust_mod.record_approval(hist, chain, gc.inputs_record)
        if state.recorded is not None:
            out.append(f"{'构建输入记录' if zh else 'build-input record'}: {len(state.recorded)} "
                       f"{'项' if zh else 'inputs'}, {'已批准' if zh else 'approved by'}: "
                       f"{'、'.join(state.approvers) or '—'} ({'须' if zh else 'quorum'} {state.quorum})")
    for f in review.site_findings:
        out.append(f.render(lang))
    click.echo("\n".join(out))
    sys.exit(1 if review.site_problem is not None else 0)


@main.group()
def approve():
    """Administrators approve a change to who may sign (第十条, 第十八条)."""


@approve.command("roster")
@click.option("--no-commit", is_flag=True, help="Write the approval but do not commit it.")
@config_option
def approve_roster_cmd(no_commit, config_file):
    """Approve the committed roster as the next version, as the current git author.

    The author must be an administrator (steps: [admin]) of the version in force;
    the new version takes effect once admin_quorum administrators have approved it.
    """
    from .desk.approve import approve_roster

    gc = load_gate_config(config_file)
    try:
        entry, roster, sha = approve_roster(gc, commit=not no_commit)
    except SignError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已批准 / approved: 名册第 {roster.version} 版 roster version {roster.version} "
               f"{entry['name']} {entry['date']}" + (f" (commit {sha[:10]})" if sha else " (not committed)"))


@approve.command("inputs")
@click.option("--no-commit", is_flag=True, help="Write the approval but do not commit it.")
@config_option
def approve_inputs_cmd(no_commit, config_file):
    """Approve the committed build-input record (reviews/site.yml), as the current git author.

    The author must be an administrator of the roster in force, and the site's
    inputs (mkdocs.yml, theme overrides, hooks, registers, asset files) must be
    exactly what the record lists; admin_quorum approvals make it valid.
    """
    from .desk.approve import approve_inputs

    gc = load_gate_config(config_file)
    try:
        entry, count, sha = approve_inputs(gc, commit=not no_commit)
    except SignError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已批准 / approved: 构建输入 {count} 项 build inputs {entry['name']} {entry['date']}"
               + (f" (commit {sha[:10]})" if sha else " (not committed)"))


def _site_dirs(config_file: str | None) -> tuple[Path, Path]:
    """docs_dir and site_dir of mkdocs.yml: where an internal report must never go."""
    cfg, _ = load_site_config(config_file)
    return Path(cfg.docs_dir), Path(cfg.site_dir)


@main.command()
@click.argument("paths", nargs=-1)
@config_option
@click.option("--format", "fmt", type=click.Choice(auditrender.FORMATS), default=None,
              help="text (default), md (Markdown), json, or csv: one row per review event, "
                   "UTF-8 with BOM so that Excel opens Chinese correctly.")
@click.option("--html", "html_dir", type=click.Path(file_okay=False), default=None,
              help="Also write DIR/index.html: one self-contained file for leadership "
                   "(never inside docs_dir or site_dir).")
@click.option("--since", default=None, metavar="DATE|REV",
              help="List each page's commits from this date (YYYY-MM-DD) or commit on "
                   "(default: from when the page entered review, i.e. its first commit with a "
                   "review record; earlier commits are counted in one line).")
@lang_option
def audit(paths, config_file, fmt, html_dir, since, lang):
    """The audit trail from git history: commits, signatures, roster changes (第四条, 第十八条).

    Internal audit material, not for publication: it names withheld pages.
    Exit 1 when the trail could not be read completely.
    """
    gc = load_gate_config(config_file)
    try:
        trail = auditreport.build_report(gc, _rel_paths(gc, paths), lang, since=since)
    except auditreport.SinceError as exc:
        # A usage error, as click reports one (exit 2).
        raise click.BadParameter(exc.zh if lang == "zh" else exc.en, param_hint="--since") from None
    if html_dir:
        try:
            index = auditrender.write_html(trail, Path(html_dir), _site_dirs(config_file))
        except auditrender.ReportError as exc:
            raise click.ClickException(exc.zh if lang == "zh" else exc.en) from None
        click.echo(f"已写入审计报告 / audit report written: {index}", err=True)
    if fmt == "csv":
        click.echo(auditrender.render_csv(trail).encode("utf-8-sig"), nl=False)  # bytes, as written
    elif fmt or not html_dir:
        click.echo(auditrender.render(trail, fmt or "text"), nl=False)
    sys.exit(0 if trail.complete else 1)


TEMPLATE = """---
title: {yaml_title}
{record}---

# {title}

"""


def new_page_text(title: str, agency: str = "") -> str:
    """A page with an empty review record, as ``secrecy-gate new`` writes it."""
    from .desk.adopt import record_block

    # Quoted: a title such as “通知: 关于…” must not break the YAML.
    return TEMPLATE.format(title=title, yaml_title=json.dumps(title, ensure_ascii=False),
                           record=record_block(agency))


@main.command()
@click.argument("page", type=click.Path(dir_okay=False))
@click.option("--title", default=None)
@click.option("--agency", default="", help="Roster id of the lead agency.")
def new(page, title, agency):
    """Create PAGE with an empty review record to fill in (an existing page: `adopt`)."""
    path = Path(page)
    if path.exists():
        raise click.ClickException(
            f"{page} 已存在：为已有页面加入空白审查记录请用 secrecy-gate adopt {page} / already exists: "
            f"to put a blank review record into an existing page, run `secrecy-gate adopt {page}`")
    if not is_page(path.name):
        raise click.ClickException("页面须为 .md 文件 / the page must be a .md file")
    path.parent.mkdir(parents=True, exist_ok=True)
    title = title or path.stem
    path.write_text(new_page_text(title, agency), encoding="utf-8")
    click.echo(f"已创建 / created {page}: 填写 review 后提交，再按第十条送审 / fill in review, commit, "
               "then have it signed (第十条)")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--agency", default="", help="Roster id of the lead agency, written into each record.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@config_option
def adopt(paths, agency, dry_run, config_file):
    """Put a blank review record into existing pages (第二条 先审核后公开).

    PATHS are pages or folders (every page MkDocs publishes under a folder).
    The record goes in as text before the closing --- of the front matter, so
    the page's own keys, order, comments and layout (Material's title, icon,
    status, tags, comments …) and its body stay byte for byte; a page without
    front matter gets one.  Pages with a review record already are left as
    they are and listed.  Exit 1 when a page could not be adopted.
    """
    from .desk import adopt as adopt_mod

    gc = load_gate_config(config_file)
    pages: list[Path] = []
    for p in paths:
        if Path(p).is_dir():
            pages.extend(_shown(gc.docs_dir / r) for r in (_rel_paths(gc, (p,)) or []) if is_page(r))
        else:
            _rel_paths(gc, (p,))  # refuses a file outside docs_dir
            if not is_page(p):
                raise click.ClickException(f"{p} 不是 Markdown 页面 / is not a Markdown page")
            pages.append(Path(p))
    seen: set = set()
    pages = [p for p in pages if not (p.resolve() in seen or seen.add(p.resolve()))]
    plan = adopt_mod.plan(pages, agency)
    if not dry_run:
        adopt_mod.apply(plan)
    click.echo("\n".join(adopt_mod.render(plan, dry_run, agency)))
    sys.exit(1 if any(a.state == "refused" for a in plan) else 0)


@main.command("attachments")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--write", "do_write", is_flag=True,
              help="Add the unlisted linked files to review.attachments and update changed sha256.")
@click.option("--force", is_flag=True,
              help="With --write: also on pages that have signatures (which it voids).")
@config_option
def attachments_cmd(paths, do_write, force, config_file):
    """The local files each page links to, their sha256, and whether review.attachments
    lists them (第二条, 第十条).

    PATHS are pages or folders.  Links are read as the build reads them
    (Markdown links and images, reference links, HTML src/href).  A file is
    published only if a published page lists it with its sha256, or an
    assets: glob lets it through (theme-like files: logos, stylesheets).
    --write lists them before signing; on a page with signatures it refuses,
    since any change to the record voids them (--force does it anyway: the
    originator then starts over).  All or nothing.  Exit 1 when a page has
    unlisted or changed files (without --write) or was refused.
    """
    from .desk import attachments as att

    gc = load_gate_config(config_file)
    targets = _page_targets(gc, paths)
    for p in targets:
        if not is_page(p.name):
            raise click.ClickException(f"{p} 不是 Markdown 页面 / is not a Markdown page")
    docs = gc.docs_dir.resolve()
    pages = att.survey(gc, [(p, p.resolve().relative_to(docs).as_posix()) for p in targets])
    click.echo("\n".join(att.render(pages)))
    unlisted = sum(1 for pf in pages for f in pf.files if f.state == att.UNLISTED)
    changed = sum(1 for pf in pages for f in pf.files if f.state == att.CHANGED)
    errors = [pf for pf in pages if pf.error]
    if not do_write:
        click.echo(f"attachments: {len(pages)} 个页面，{unlisted} 个链接的文件未列入，{changed} 个已变更"
                   + ("，可用 --write 写入 review.attachments" if unlisted or changed else "")
                   + f" / {len(pages)} page(s), {unlisted} linked file(s) not listed, {changed} changed"
                   + ("; --write lists them in review.attachments" if unlisted or changed else ""))
        sys.exit(1 if unlisted or changed or errors else 0)
    todo = [pf for pf in pages if not pf.error and pf.needs_write]
    signed = [pf for pf in todo if pf.signatures]
    if errors or (signed and not force):
        for pf in signed if not force else []:
            click.echo(f"拒绝写入 / refused: {pf.page}: 本页已有 {pf.signatures} 个签署或同意意见，改动 "
                       "review.attachments 会使其全部失效（第十条），须由起草人重新开始；确认后加 --force / "
                       f"the page has {pf.signatures} signature(s) or consent(s); changing review.attachments "
                       "voids them all (第十条) and the originator starts over; add --force to do it anyway")
        for pf in errors:
            click.echo(f"拒绝写入 / refused: {pf.page}: {pf.error[0]} / {pf.error[1]}")
        click.echo("attachments --write: 未写入任何页面 / nothing written")
        sys.exit(1)
    try:
        for pf in todo:
            att.plan_write(pf)
    except Exception as exc:  # noqa: BLE001 - nothing is written unless every page could be
        raise click.ClickException(f"未写入任何页面 / nothing written: {exc}") from None
    for pf in todo:
        pf.page.write_bytes(pf.text.encode("utf-8"))
    for pf in signed:
        click.echo(f"{pf.page}: 已有的 {pf.signatures} 个签署或同意意见现已失效，须由起草人重新开始（第十条） / "
                   f"its {pf.signatures} signature(s) or consent(s) are now void; the originator starts "
                   "over (第十条)")
    click.echo(f"attachments --write: 已写入 {len(todo)} 个页面的 review.attachments（{unlisted} 个新列入，"
               f"{changed} 个更新 sha256）；请提交，再按第十条签署 / wrote review.attachments of {len(todo)} "
               f"page(s) ({unlisted} added, {changed} sha256 updated); commit, then have them signed")


@main.command()
def schema():
    """Print the JSON Schema of the review record."""
    click.echo(json.dumps(page_schema(), ensure_ascii=False, indent=2))


@main.command("verify-site")
@click.argument("site_dir", type=click.Path(exists=True, file_okay=False))
@config_option
@format_option
def verify_site_cmd(site_dir, config_file, fmt):
    """Scan a built site for withheld text, redacted text, markings and personal data (第二条).

    Works on any output directory, including one built by a generator that
    ignores MkDocs plugins (e.g. Zensical): run it in CI before deploying.  It
    runs nothing from the repository (mkdocs.yml is read safely, no hook or
    plugin is loaded), so an unapproved hook cannot talk it round; a site that
    cannot be judged (build inputs not approved, roster not proven, history
    unreadable) fails it as well.  Exit 1 when anything is found.
    """
    from .build.verify import verify_report
    from .scanners import LeakHit

    gc = load_gate_config(config_file)
    review = Gate(gc).review()
    hits = [LeakHit("(site)", f.code, f.message_en, "", f.article)
            for f in review.site_findings if f.withholds]
    found, summary = verify_report(Path(site_dir), review, gc.docs_dir)
    hits += found
    if fmt == "json":
        click.echo(json.dumps([{"path": h.path, "kind": h.kind, "label": h.label, "matched": h.matched,
                                "article": h.article, "line": h.line, "text": h.text,
                                "position": h.position} for h in hits],
                              ensure_ascii=False, indent=2))
        # What was looked for, on stderr: stdout stays the list of problems.
        click.echo(json.dumps({"checked": summary.as_dict()}, ensure_ascii=False), err=True)
    else:
        for h in hits:
            click.echo(h.render())
        if any(h.kind == "leaked-text" for h in hits):
            click.echo(report.LEAK_FIX_ZH + "\n" + report.LEAK_FIX_EN)
        for label in summary.without_needles:
            click.echo(f"{label}: 未提供可查找的文字（如图片，或文字均已见于公开页面） / "
                       "gave no text to look for (an image, or text published pages hold too)")
        n, points = len(summary.with_needles), summary.secret_points
        click.echo(f"verify-site {site_dir}: {len(hits)} 处问题 / problem(s); "
                   f"已核对 {n} 个未发布页面或文件与 {points} 处第九条密点 / "
                   f"checked against {n} withheld page(s) or file(s) and {points} "
                   f"secret point(s) ({summary.needles} needles, {summary.reversed} reversed, "
                   f"{summary.projected} CJK-projected; not looked for: {summary.common} common, "
                   f"{summary.public} held by public text, {len(summary.packages)} installed "
                   f"package(s) read)")
    sys.exit(1 if hits else 0)


def _verbose(verbose: bool) -> bool:
    import os

    return verbose or os.environ.get("SECRECY_GATE_VERBOSE") == "1"


@main.command("build")
@config_option
@click.option("--generator", metavar="mkdocs|zensical|properdocs", default=None,
              help="mkdocs, zensical or properdocs (default: $SECRECY_GATE_GENERATOR, else "
                   "zensical when zensical.toml exists, else mkdocs).  An unknown one is a usage "
                   "error that, like every failure, leaves site_dir empty.")
@click.option("--strict", is_flag=True, help="Pass --strict to the generator.")
@click.option("-v", "--verbose", is_flag=True, help="The summary page by page.")
def build_cmd(config_file, generator, strict, verbose):
    """Build the site with any generator, publishing only approved content (第二条).

    Review → stage the approved-only tree → run the generator on it (without
    this plugin: Zensical and ProperDocs do not run MkDocs plugins) → scan the
    whole output for withheld text → only then move it into site_dir.  On any
    failure site_dir is left empty.  Exit 1 when the build stopped, 2 on bad
    usage (unknown or missing generator, docs_dir outside the site).
    """
    cfg, options = load_site_config(config_file)
    gc = gate_config_of(cfg, options)
    lang = options.language
    try:
        outcome = pipeline.gated_build(
            cfg, options, gc, generator, strict=strict, out=lambda line: click.echo(line, err=True),
            summary=lambda review: click.echo("\n".join(report.summary_lines(
                review, lang, _verbose(verbose), options.rollout)), err=True))
    except pipeline.BuildError as exc:
        click.echo(exc.render(), err=True)
        sys.exit(exc.exit_code)
    if outcome.hits:
        for hit in outcome.hits[:100]:
            click.echo(hit.render(), err=True)
        click.echo(report.leak_message(outcome.hits, outcome.site_dir, lang), err=True)
        sys.exit(1)
    n = sum(1 for p in outcome.review.pages.values() if p.published)
    click.echo(f"secrecy-gate build：已用 {outcome.generator} 构建到 {outcome.site_dir}，发布 {n} 个页面，"
               f"泄密扫描 0 处 / built with {outcome.generator} into {outcome.site_dir}: {n} page(s) "
               "published, leak scan clean. 部署前请在单独的任务中运行 / before deploying, run in a "
               f"separate job: secrecy-gate verify-site {_shown(outcome.site_dir)}")


@main.command("stage")
@click.argument("out", type=click.Path(file_okay=False))
@config_option
@click.option("-v", "--verbose", is_flag=True, help="The summary page by page.")
def stage_cmd(out, config_file, verbose):
    """Write the approved-only tree into OUT, with a configuration for any generator.

    OUT/docs holds exactly what may be published (第二条): published pages with
    their 第九条 secret points cut and without review records, approved files,
    the disclosure catalogue; OUT/mkdocs.yml is the site's configuration pointed
    at it.  OUT must be new or empty and outside docs_dir and site_dir.  What a
    generator builds from it is not verified: `secrecy-gate build` does that.
    """
    cfg, options = load_site_config(config_file)
    gc = gate_config_of(cfg, options)
    try:
        written = pipeline.stage_to(Path(out), cfg, options, gc)
    except pipeline.BuildError as exc:
        click.echo(exc.render(), err=True)
        sys.exit(exc.exit_code)
    click.echo("\n".join(report.summary_lines(written.review, options.language,
                                              _verbose(verbose), options.rollout)), err=True)
    click.echo(f"secrecy-gate stage：{len(written.stage.pages)} 个页面、{len(written.stage.files)} 个文件已写入 / "
               f"page(s) and file(s) written to {_shown(written.stage.docs_dir)}; "
               f"configuration: {_shown(written.config)}\n"
               f"  zensical build -f {_shown(written.config)}   "
               f"# then: secrecy-gate verify-site {_shown(written.stage.root / 'site')}")


@main.command("inputs")
@config_option
@format_option
@lang_option
@click.option("--record", "do_record", is_flag=True,
              help="Write the current digests into reviews/site.yml (approves nothing).")
def inputs_cmd(config_file, fmt, lang, do_record):
    """The site's build inputs against reviews/site.yml (第二条, 第十八条).

    mkdocs.yml (nav titles, not nav structure), INHERIT'ed files, theme
    overrides, hooks and what they import, the calendar and lexicon, and the
    files assets: globs let through: each ok, changed, added or removed.
    Exit 1 when any differs.  --record writes the current digests (anyone may;
    approval is `secrecy-gate approve inputs` by the administrators).
    """
    from .build.plugin import gate_config
    from .review import inputs as site_inputs

    cfg, options = load_site_config(config_file)
    review = Gate(gate_config(cfg, options)).review()
    result = site_inputs.review_inputs(cfg, options, site_inputs.page_titles(review))
    if result.current is None:
        for f in result.findings:
            click.echo(f.render(lang), err=True)
        sys.exit(1)
    if do_record:
        try:
            written = site_inputs.write_record(result.record_path, result.current, result.kinds)
        except site_inputs.RecordError as exc:
            raise click.ClickException(exc.en if lang == "en" else exc.zh) from None
        if fmt == "json":
            click.echo(json.dumps({"record": str(written.path), "digest": written.digest,
                                   "inputs": len(result.current), "approvals_kept": written.kept,
                                   "approvals_dropped": written.dropped}, ensure_ascii=False, indent=2))
            return
        if lang == "en":
            click.echo(f"recorded {len(result.current)} build inputs in {written.path} ({written.digest}); "
                       f"{written.dropped} approval(s) of other inputs dropped, {written.kept} kept. "
                       "Commit it; then two administrators each run `secrecy-gate approve inputs`.")
        else:
            click.echo(f"已将 {len(result.current)} 项构建输入写入 {written.path}（{written.digest}）；"
                       f"移除 {written.dropped} 条针对其他输入的批准，保留 {written.kept} 条。"
                       "请提交该文件，再由两名管理员分别运行 secrecy-gate approve inputs（第二条、第十八条）")
        return
    states = result.states()
    if fmt == "json":
        recorded = result.recorded or {}
        click.echo(json.dumps({
            "record": str(result.record_path),
            "digest": result.digest,
            "recorded_digest": site_inputs.record_digest(recorded) if result.recorded is not None else None,
            "approvals": len(result.approvals),
            "inputs": [{"path": p, "state": st, "kind": result.kinds.get(p),
                        "digest": result.current.get(p), "recorded": recorded.get(p)}
                       for p, st in states],
            "findings": [f.as_dict() for f in result.findings],
        }, ensure_ascii=False, indent=2))
    else:
        width = max((len(st) for _, st in states), default=2)
        for p, st in states:
            click.echo(f"{st:<{width}}  {p}")
        for f in result.findings:
            click.echo(f.render(lang))
    sys.exit(1 if result.findings else 0)


@main.command("init")
@click.option("--site", "site_dir", default=".", type=click.Path(file_okay=False),
              help="The MkDocs site (the directory of mkdocs.yml); default: here.")
@click.option("--ci", type=click.Choice(["github", "gitlab", "none"]), default="none",
              help="Also write a CI file that builds with the full git history.")
@lang_option
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing.")
def init_cmd(site_dir, ci, lang, dry_run):
    """Add the gate to an existing MkDocs site in a git repository.

    Adds secrecy-gate to mkdocs.yml's plugins (comments and tags kept), writes
    reviews/roster.yml, calendar.yml and lexicon.yml templates where absent, a
    pre-commit hook and, with --ci, a CI file. A second run changes nothing.
    Exit 1 when something must be done by hand.
    """
    from .desk import init as site_init

    try:
        plan = site_init.plan(Path(site_dir), ci, lang)
    except site_init.InitRefused as exc:
        raise click.ClickException(exc.en if lang == "en" else exc.zh) from None
    if not dry_run:
        site_init.apply(plan)
    click.echo("\n".join(site_init.render(plan, lang, dry_run)))
    sys.exit(1 if plan.manual else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
