"""The ``secrecy-gate`` command: the same rules as the plugin, from a terminal.

Every command reads the gate's options from ``mkdocs.yml`` (found in the
current directory or above, or given with ``-f``), so the command line and
the build always judge alike.
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
from pathlib import Path

import click

from . import gitaudit, report
from .findings import Outcome, Severity
from .gate import Gate, GateConfig, SiteReview, is_page
from .schema import STEP_NAMES_ZH, STEPS, page_schema
from .signing import SignError, consent as do_consent, sign as do_sign


def _find_config(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit).resolve()
    here = Path.cwd().resolve()
    for d in (here, *here.parents):
        for name in ("mkdocs.yml", "mkdocs.yaml"):
            if (d / name).is_file():
                return d / name
    raise click.ClickException("找不到 mkdocs.yml（可用 -f 指定）/ no mkdocs.yml found (use -f)")


def load_gate_config(config_file: str | None) -> GateConfig:
    from mkdocs.config import load_config

    from .plugin import SecrecyGatePlugin, gate_config

    path = _find_config(config_file)
    try:
        cfg = load_config(config_file=str(path))
    except Exception as exc:  # noqa: BLE001 - report any config problem plainly
        raise click.ClickException(f"mkdocs.yml 无法加载 / cannot load {path}: {exc}") from None
    plugin = cfg.plugins.get("secrecy-gate")
    if not isinstance(plugin, SecrecyGatePlugin):
        plugin = SecrecyGatePlugin()
        plugin.load_config({})
    return gate_config(cfg, plugin.config)


def _rel_paths(gc: GateConfig, paths: tuple[str, ...]) -> list[str] | None:
    if not paths:
        return None
    out = []
    docs = gc.docs_dir.resolve()
    for p in paths:
        ap = Path(p).resolve()
        try:
            rel = ap.relative_to(docs)
        except ValueError:
            raise click.ClickException(f"{p} 不在文档目录 {docs} 中 / is not under docs_dir {docs}") from None
        if ap.is_dir():
            out.extend((rel / q.relative_to(ap)).as_posix() for q in sorted(ap.rglob("*")) if q.is_file())
        else:
            out.append(rel.as_posix())
    return out


config_option = click.option("-f", "--config-file", default=None, help="mkdocs.yml to read options from.")
format_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
lang_option = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh",
                           help="Language of messages (default Chinese).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mkdocs-secrecy-gate")
def main():
    """secrecy-gate：政府信息公开保密审查（武政办发〔2020〕75号）的发布闸门。

    Nothing is published before its confidentiality review is complete and
    proven by git history.
    """


@main.command()
@click.argument("paths", nargs=-1)
@config_option
@format_option
@lang_option
@click.option("--include-on-request", is_flag=True, help="Treat 依申请公开 pages as publishable.")
def check(paths, config_file, fmt, lang, include_on_request):
    """Judge pages as the build would; exit 1 if any is withheld by a finding."""
    gc = load_gate_config(config_file)
    gc.include_on_request = gc.include_on_request or include_on_request
    review = Gate(gc).review(_rel_paths(gc, paths))
    problems = [p for p in review.withheld() if not p.verdict.by_decision_only]
    if fmt == "json":
        click.echo(json.dumps({
            "site_findings": [f.as_dict() for f in review.site_findings],
            "pages": [p.verdict.as_dict() for p in sorted(review.pages.values(), key=lambda p: p.path)],
            "files": [{"path": f.path, "published": f.published, "reason": f.reason_en}
                      for f in review.files.values()],
        }, ensure_ascii=False, indent=2))
    else:
        for f in review.site_findings:
            click.echo(f.render(lang))
        for page in sorted(review.pages.values(), key=lambda p: p.path):
            click.echo(f"{page.path}: {report.label(page.verdict.outcome, lang)}")
            for f in page.verdict.findings:
                click.echo("  " + f.render(lang).replace("\n", "\n  "))
        click.echo(report.summary_lines(review, lang)[0])
    sys.exit(1 if problems else 0)


def _state(page, review: SiteReview, lang: str) -> tuple[str, str, list[str]]:
    """(state, next step, who may act) of one page."""
    rec = page.record
    codes = {f.code for f in page.verdict.findings}
    if rec is None:
        return ("草稿（审查记录不完整）" if lang == "zh" else "draft (record incomplete)",
                "编辑补全审查记录" if lang == "zh" else "editor completes the record", [])
    valid = [s for s in rec.signatures if s.digest == page.digest]
    roster = review.roster
    if len(valid) < len(STEPS):
        step = STEPS[len(valid)]
        agency = rec.get("lead_agency") if step in ("originator", "originator_head") else None
        who = [p.name for p in roster.eligible(step, agency)] if roster else []
        if lang == "zh":
            return (f"审查中：第{len(valid) + 1}/4步", f"{step}（{STEP_NAMES_ZH[step]}）", who)
        return f"in review: step {len(valid) + 1} of 4", step, who
    missing = [a for a in rec.get("co_agencies") or []
               if not any(c.agency == a and c.digest == page.digest for c in rec.consents)]
    if missing:
        who = [p.name for a in missing for p in (roster.eligible("consent", a) if roster else [])]
        return ("等待协办机关同意" if lang == "zh" else "awaiting consent",
                "consent " + ", ".join(missing), who)
    if "escalation.unanswered" in codes:
        return ("等待上级答复" if lang == "zh" else "awaiting escalation answer", "answer", [])
    if page.published:
        return (report.label(page.verdict.outcome, lang), "", [])
    return (("不发布：" if lang == "zh" else "withheld: ") + report.first_reason(page, lang), "", [])


@main.command()
@click.argument("paths", nargs=-1)
@config_option
@format_option
@lang_option
def status(paths, config_file, fmt, lang):
    """Each page's state, its next review step and who may take it."""
    gc = load_gate_config(config_file)
    review = Gate(gc).review(_rel_paths(gc, paths))
    rows = []
    for page in sorted(review.pages.values(), key=lambda p: p.path):
        state, nxt, who = _state(page, review, lang)
        rows.append({"page": page.path, "outcome": page.verdict.outcome.value, "state": state,
                     "next": nxt, "who": who})
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for f in review.site_findings:
        click.echo(f.render(lang))
    for r in rows:
        tail = f" → {r['next']}" + (f" ({', '.join(r['who'])})" if r["who"] else "") if r["next"] else ""
        click.echo(f"{r['page']}: {r['state']}{tail}")


@main.command()
@click.argument("page", type=click.Path(exists=True, dir_okay=False))
@click.option("--step", required=True, type=click.Choice(STEPS))
@click.option("--opinion", required=True, help="主动公开|依申请公开|删减后公开|不予公开 (or English alias)")
@click.option("--comment", default=None)
@click.option("--no-commit", is_flag=True, help="Write the entry but do not commit it.")
@config_option
def sign(page, step, opinion, comment, no_commit, config_file):
    """Sign PAGE's review record as the current git author (第十条)."""
    gc = load_gate_config(config_file)
    try:
        res = do_sign(Path(page), step, opinion, comment, gc, commit=not no_commit)
    except SignError as exc:
        raise click.ClickException(str(exc)) from None
    if res.dropped:
        click.echo(f"已移除 {res.dropped} 个失效签署 / removed {res.dropped} void signature(s)")
    e = res.entry
    click.echo(f"已签署 / signed: {page} {e['step']} {e['name']} {e['opinion']} {e['date']}"
               + (f" (commit {res.commit[:10]})" if res.commit else " (not committed)"))


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


def _audit_data(gc: GateConfig, paths) -> dict:
    review = Gate(gc).review(_rel_paths(gc, paths))
    hist = review.history
    out = {"site_findings": [f.as_dict() for f in review.site_findings], "pages": [],
           "roster_changes": []}
    if hist is None:
        return out
    try:
        for page in sorted(review.pages.values(), key=lambda p: p.path):
            rp = page.repo_path or hist.repo_path(gc.docs_dir / page.path)
            commits = hist.touching(rp) if rp else []
            intro = hist.introductions(rp) if rp and commits else {}
            entries = []
            rec = page.record
            for kind, items in (("signature", rec.signatures if rec else []),
                                ("consent", rec.consents if rec else [])):
                for e in items:
                    cs = intro.get(e.raw, [])
                    entries.append({
                        "kind": kind, "step": getattr(e, "step", None), "agency": getattr(e, "agency", None),
                        "name": e.name, "date": e.date.isoformat(),
                        "opinion": getattr(e, "opinion", None),
                        "commits": [{"sha": c.sha, "author": c.name, "email": c.email,
                                     "time": _dt.datetime.fromtimestamp(c.time).isoformat()} for c in cs],
                        "digest_valid": e.digest == page.digest,
                        # Later commits that only add signatures change nothing that was signed.
                        "changed_after_signing": e.digest != page.digest,
                    })
            out["pages"].append({
                "page": page.path, "outcome": page.verdict.outcome.value,
                "first_reason": report.first_reason(page),
                "commits": [{"sha": c.sha, "author": c.name, "email": c.email,
                             "time": _dt.datetime.fromtimestamp(c.time).isoformat()} for c in commits],
                "entries": entries,
            })
        rrp = hist.repo_path(gc.roster)
        for c in hist.touching(rrp) if rrp else []:
            out["roster_changes"].append({"sha": c.sha, "author": c.name, "email": c.email,
                                          "time": _dt.datetime.fromtimestamp(c.time).isoformat()})
    finally:
        hist.close()
    return out


@main.command()
@click.argument("paths", nargs=-1)
@config_option
@format_option
def audit(paths, config_file, fmt):
    """The audit trail from git history: commits, signatures, roster changes (第十八条)."""
    gc = load_gate_config(config_file)
    data = _audit_data(gc, paths)
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for f in data["site_findings"]:
        click.echo(f"! {f['message_zh']} / {f['message_en']}")
    for p in data["pages"]:
        click.echo(f"{p['page']}  [{p['outcome']}] {p['first_reason']}")
        for c in p["commits"]:
            click.echo(f"    {c['sha'][:10]} {c['time']} {c['author']} <{c['email']}>")
        for e in p["entries"]:
            what = e["step"] or f"consent {e['agency']}"
            by = ", ".join(f"{c['sha'][:10]} {c['author']} <{c['email']}>" for c in e["commits"]) or "（无提交 / no commit）"
            flag = "有效 valid" if e["digest_valid"] else "签署后内容已变更 content changed after signing"
            click.echo(f"    ✔ {what}: {e['name']} {e['date']} {e['opinion'] or ''} ← {by} [{flag}]")
    click.echo("名册变更 / roster changes:")
    for c in data["roster_changes"]:
        click.echo(f"    {c['sha'][:10]} {c['time']} {c['author']} <{c['email']}>")


TEMPLATE = """---
title: {yaml_title}
# document:                       # 政府信息公开目录 (optional)
#   index_no:                     # 索引号
#   issuer:                       # 发布机构
#   doc_no:                       # 文号
#   written:                      # 成文日期 YYYY-MM-DD
#   published:                    # 发布日期 YYYY-MM-DD (absent: the leader's approval date)
review:
  classification:                 # 第五、六条: 非密|工作秘密|秘密|机密|绝密
  disclosure:                     # 第五条: 主动公开|依申请公开|删减后公开|不予公开
  basis:                          # 第五条 依据
  reason:                         # 第五条 理由
  sensitive:                      # 第八条 (一)-(五): answer every item true/false
    economic_data:                # (一) 未发布的经济数据
    historical_events:            # (二) 重大历史事件和政治运动的表述
    pending_cases:                # (三) 尚未处理完结的案件
    cautious_matters:             # (四) 文件规定应慎重处理的信息
    other_risks:                  # (五) 可能违反保密规定的其他情形
  third_party: {{involved: false}}  # 第七条
  lead_agency: {agency}           # 第十一条 主办机关 (roster id)
  co_agencies: []                 # 第十一条 协办机关 (roster ids)
  consents: []                    # written by `secrecy-gate consent`
  signatures: []                  # written by `secrecy-gate sign` (第十条)
---

# {title}

"""


@main.command()
@click.argument("page", type=click.Path(dir_okay=False))
@click.option("--title", default=None)
@click.option("--agency", default="", help="Roster id of the lead agency.")
def new(page, title, agency):
    """Create PAGE with an empty review record to fill in."""
    path = Path(page)
    if path.exists():
        raise click.ClickException(f"{page} 已存在 / already exists")
    if not is_page(path.name):
        raise click.ClickException("页面须为 .md 文件 / the page must be a .md file")
    path.parent.mkdir(parents=True, exist_ok=True)
    title = title or path.stem
    # Quoted: a title such as “通知: 关于…” must not break the YAML.
    path.write_text(TEMPLATE.format(title=title, yaml_title=json.dumps(title, ensure_ascii=False),
                                    agency=agency), encoding="utf-8")
    click.echo(f"已创建 / created {page}: 填写 review 后提交，再按第十条送审 / fill in review, commit, "
               "then have it signed (第十条)")


@main.command()
def schema():
    """Print the JSON Schema of the review record."""
    click.echo(json.dumps(page_schema(), ensure_ascii=False, indent=2))


@main.command("verify-site")
@click.argument("site_dir", type=click.Path(exists=True, file_okay=False))
@config_option
@format_option
def verify_site_cmd(site_dir, config_file, fmt):
    """Scan a built site for withheld text, redacted text, markings and personal data (SPEC §5).

    Works on any output directory, including one built by a generator that
    ignores MkDocs plugins (e.g. Zensical): run it in CI before deploying.
    Exit 1 when anything is found.
    """
    from .verify import verify_site

    gc = load_gate_config(config_file)
    review = Gate(gc).review()
    hits = verify_site(Path(site_dir), review, gc.docs_dir)
    if fmt == "json":
        click.echo(json.dumps([{"path": h.path, "kind": h.kind, "label": h.label, "matched": h.matched,
                                "article": h.article, "line": h.line} for h in hits],
                              ensure_ascii=False, indent=2))
    else:
        for h in hits:
            click.echo(h.render())
        published = len(review.published())
        click.echo(f"verify-site {site_dir}: {len(hits)} 处问题 / problem(s); "
                   f"已核对 {len(review.withheld())} 个未发布页面与 {published} 个已发布页面的密点 / "
                   f"checked against {len(review.withheld())} withheld page(s) and the secret points "
                   f"of {published} published page(s)")
    sys.exit(1 if hits else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
