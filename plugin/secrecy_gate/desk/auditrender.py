"""The audit report (``auditreport.AuditReport``) as text, Markdown, JSON, CSV and HTML.

Every format carries the same facts; page titles, names, comments and commit
subjects are untrusted input, so each renderer neutralises what its reader
would execute: terminal control characters (text), table syntax and HTML
(Markdown), formulas (CSV, for Excel), and markup (HTML, autoescaped Jinja2).
The HTML report is one self-contained file: inline CSS, no script, no network
(its Content-Security-Policy forbids any fetch).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import jinja2

from .auditreport import NOTICE, AuditReport, PageAudit, TimelineStep, TrailEvent
from ..core.schema import STEP_NAMES_ZH, STEPS

FORMATS = ("text", "md", "json", "csv")

LABELS = {
    "zh": {
        "title": "保密审查审计报告（武政办发〔2020〕75号 第四条、第十八条）",
        "generated": "生成时间", "head": "仓库 HEAD", "repository": "仓库", "none": "无",
        "summary": "汇总", "page": "页面", "page_title": "标题", "verdict": "结论",
        "valid": "有效签署", "last_signed": "最近签署", "reason": "首要原因",
        "timeline": "提交与审查记录（按历史顺序）", "commit": "提交", "time": "时间", "author": "作者",
        "subject": "提交说明", "events": "审查事件", "roster": "名册变更", "site": "全站问题",
        "no_commits": "该页面没有任何提交记录（未纳入 git）", "no_roster": "名册没有提交记录",
        "signature": "签署", "consent": "协办机关同意", "opinion": "意见", "date": "日期",
        "comment": "备注", "added": "写入", "voided": "作废", "removed": "移除",
        "deleted": "页面在此提交中被删除", "unparsed": "该版本无法解析",
        "merged": "合并提交从另一父提交带入了该页面的版本（与第一父提交不同）",
        "ok": "有效", "invalid": "无效（与页面现状不符）",
        "forged": "写入者不是签署人本人（第十条、第十八条）",
        "unknown_signer": "无法核对签署人（名册无效）",
        "void_when_added": "摘要与写入时的页面内容不符",
        "voided_by": "已作废：提交 {sha} 修改了所签内容", "removed_by": "已移除：提交 {sha}",
        "error": "错误", "incomplete": "审计报告不完整", "status": "状态", "kind": "类别",
        "what": "步骤/机关", "none_events": "无审查记录",
        "csv_cols": ("页面", "标题", "结论", "类别", "步骤/机关", "姓名", "日期", "意见", "备注",
                     "写入提交", "写入时间", "写入者", "写入者邮箱", "写入者为签署人本人",
                     "作废提交", "作废时间", "移除提交", "移除时间", "现存", "有效", "状态"),
        "yes": "是", "no": "否",
        "earlier": "…… 此前 {n} 个提交（页面纳入保密审查之前）未逐一列出；可用 --since 日期或提交 选择起点",
        "earlier_since": "…… {since} 之前的 {n} 个提交未逐一列出",
        "not_entered": "共 {n} 个提交，没有任何版本含审查记录（页面尚未纳入保密审查），未逐一列出",
        "since": "列出范围",
        "since_default": "各页面自纳入审查（首次含审查记录的提交）起",
    },
    "en": {
        "title": "Confidentiality review audit report (武政办发〔2020〕75号 第四条, 第十八条)",
        "generated": "Generated", "head": "Repository HEAD", "repository": "Repository",
        "none": "none", "summary": "Summary", "page": "Page", "page_title": "Title",
        "verdict": "Verdict", "valid": "Valid signatures", "last_signed": "Last signed",
        "reason": "First reason", "timeline": "Commits and review events (in history order)",
        "commit": "Commit", "time": "Time", "author": "Author", "subject": "Subject",
        "events": "Review events", "roster": "Roster changes", "site": "Site-wide problems",
        "no_commits": "no commit touched this page (not in git)",
        "no_roster": "the roster has no commits", "signature": "signature",
        "consent": "co-agency consent", "opinion": "opinion", "date": "date", "comment": "comment",
        "added": "added", "voided": "voided", "removed": "removed",
        "deleted": "the page was deleted in this commit", "unparsed": "this version does not parse",
        "merged": "a merge took this page's version from another parent (not its first parent's)",
        "ok": "valid", "invalid": "not valid (does not match the page now)",
        "forged": "written by someone other than the signer (第十条, 第十八条)",
        "unknown_signer": "signer cannot be checked (roster invalid)",
        "void_when_added": "digest did not match the page when added",
        "voided_by": "void: commit {sha} changed what was signed", "removed_by": "removed: commit {sha}",
        "error": "error", "incomplete": "the audit report is incomplete", "status": "status",
        "kind": "kind", "what": "step/agency", "none_events": "no review entries",
        "csv_cols": ("page", "title", "verdict", "kind", "step/agency", "name", "date", "opinion",
                     "comment", "added in", "added at", "added by", "added by e-mail",
                     "author is the signer", "voided in", "voided at", "removed in", "removed at",
                     "current", "valid", "status"),
        "yes": "yes", "no": "no",
        "earlier": "… {n} earlier commit(s) before the page entered review (not listed; choose "
                   "another start with --since DATE|COMMIT)",
        "earlier_since": "… {n} earlier commit(s) before {since} (not listed)",
        "not_entered": "{n} commit(s), none with a review record: the page has not entered review "
                       "(not listed one by one)",
        "since": "Listed",
        "since_default": "each page from when it entered review (its first commit with a review record)",
    },
}


def earlier_text(r: AuditReport, p: PageAudit) -> str | None:
    """One line for the commits before the listing starts (None: every commit is listed)."""
    L = LABELS[r.lang]
    if not p.earlier:
        return None
    if r.since is not None:
        return L["earlier_since"].format(n=p.earlier, since=r.since)
    return L["earlier" if p.timeline else "not_entered"].format(n=p.earlier)


def since_text(r: AuditReport) -> str:
    return f"--since {r.since}" if r.since is not None else LABELS[r.lang]["since_default"]


def short(sha: str | None) -> str:
    return sha[:10] if sha else ""


def when(iso: str) -> str:
    """``2026-05-01T10:22:03+08:00`` → ``2026-05-01 10:22``."""
    return iso[:16].replace("T", " ")


def event_label(event: TrailEvent, lang: str) -> str:
    """What the entry says: step (or agency), name, opinion, date, comment."""
    L = LABELS[lang]
    colon, comma = ("：", "，") if lang == "zh" else (": ", ", ")
    f = event.fields
    if event.kind == "signature":
        step = f.get("step", "?")
        what = f"{step}（{STEP_NAMES_ZH[step]}）" if lang == "zh" and step in STEP_NAMES_ZH else step
        parts = [f"{L['signature']} {what}{colon}{f.get('name', '?')}",
                 f"{L['opinion']} {f.get('opinion', '?')}"]
    else:
        parts = [f"{L['consent']} {f.get('agency', '?')}{colon}{f.get('name', '?')}"]
    parts.append(f"{L['date']} {f.get('date', '?')}")
    if f.get("comment"):
        parts.append(f"{L['comment']} {f['comment']}")
    return comma.join(parts)


def states_text(event: TrailEvent, lang: str) -> str:
    return ("；" if lang == "zh" else "; ").join(event_states(event, lang))


def event_states(event: TrailEvent, lang: str) -> list[str]:
    """Everything wrong with the entry, or that it is valid (第十条, 第十一条, 第十八条)."""
    L = LABELS[lang]
    out = []
    if event.proof.startswith("ssh "):
        out.append(f"凭 SSH 签名证明（密钥 {event.proof[4:]}）" if lang == "zh"
                   else f"proven by its SSH signature (key {event.proof[4:]})")
    elif event.proof == "ssh":
        out.append("须凭 SSH 签名证明：签名缺失或无效" if lang == "zh"
                   else "needs an SSH signature: missing or invalid")
    else:
        out.append("凭 git 作者证明" if lang == "zh" else "proven by the git author")
    if event.signer_ok is False:
        out.append(L["forged"])
    elif event.signer_ok is None:
        out.append(L["unknown_signer"])
    if event.void_when_added:
        out.append(L["void_when_added"])
    elif event.voided_by:
        out.append(L["voided_by"].format(sha=short(event.voided_by.sha)))
    if event.removed_by:
        out.append(L["removed_by"].format(sha=short(event.removed_by.sha)))
    if event.valid:
        out.append(L["ok"])
    elif not out:
        out.append(L["invalid"])
    return out


class EventLine(NamedTuple):
    kind: str  # "added" | "voided" | "removed" | "problem"
    text: str
    event: TrailEvent | None

    @property
    def shown_struck(self) -> bool:
        """An added entry that no longer approves anything is shown struck through."""
        e = self.event
        return self.kind == "added" and e is not None and (e.voided_by or e.removed_by) is not None


_MARK = {"added": "+", "voided": "×", "removed": "-", "problem": "!"}


def step_lines(page: PageAudit, step: TimelineStep, lang: str) -> list[EventLine]:
    """The review events of one commit, in a fixed order: problems, added, voided, removed."""
    L = LABELS[lang]
    colon = "：" if lang == "zh" else ": "
    out: list[EventLine] = []
    if step.merged_from_other_parent:
        out.append(EventLine("problem", f"! {L['merged']}", None))
    if step.deleted:
        out.append(EventLine("problem", f"! {L['deleted']}", None))
    if step.parse_error:
        out.append(EventLine("problem", f"! {L['unparsed']}{colon}{step.parse_error}", None))
    for kind, ids in (("added", step.added), ("voided", step.voided), ("removed", step.removed)):
        for i in ids:
            e = page.event(i)
            head = "" if kind == "added" else L[kind] + colon
            out.append(EventLine(kind, f"{_MARK[kind]} {head}{event_label(e, lang)}", e))
    return out


# -- text ----------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def plain(value) -> str:
    """Terminal-safe: no escape sequences or bidi overrides from untrusted text."""
    return _CONTROL.sub("?", str(value))


def render_text(r: AuditReport) -> str:
    L = LABELS[r.lang]
    lines = [NOTICE, f"{L['title']}",
             f"{L['repository']}: {plain(r.repository)}  {L['head']}: {r.head or L['none']}  "
             f"{L['generated']}: {r.generated}", f"{L['since']}: {plain(since_text(r))}"]
    if r.error:
        lines.append(f"!! {L['error']}: {plain(r.error)}")
    for f in r.site_findings:
        lines.append("! " + plain(f.render(r.lang)))
    for p in r.pages:
        title = f" 《{plain(p.title)}》" if p.title else ""
        lines += ["", f"{plain(p.path)}{title}  [{p.verdict}] {L['valid']} {p.valid_signatures}/{len(STEPS)}"
                  + (f"  {L['last_signed']} {p.last_signed}" if p.last_signed else "")]
        if p.first_reason:
            lines.append(f"  {plain(p.first_reason)}")
        if p.error:
            lines.append(f"  !! {L['error']}: {plain(p.error)}")
        if (earlier := earlier_text(r, p)) is not None:
            lines.append(f"  {plain(earlier)}")
        elif not p.timeline:
            lines.append(f"  ({L['no_commits']})")
        for step in p.timeline:
            c = step.commit
            lines.append(f"  {short(c.sha)} {when(c.time)} {plain(c.author)} <{plain(c.email)}> "
                         f"{plain(c.subject)}")
            for line in step_lines(p, step, r.lang):
                tail = f"  [{states_text(line.event, r.lang)}]" if line.kind == "added" else ""
                lines.append(f"      {plain(line.text)}{tail}")
    lines += ["", f"{L['roster']} ({r.roster_path}):"]
    for c in r.roster_changes:
        lines.append(f"  {short(c.sha)} {when(c.time)} {plain(c.author)} <{plain(c.email)}> {plain(c.subject)}")
    if not r.roster_changes:
        lines.append(f"  ({L['no_roster']})")
    return "\n".join(lines) + "\n"


# -- Markdown -------------------------------------------------------------------------------

def md_cell(value) -> str:
    """One table cell: no row breaks, no column breaks, no raw HTML."""
    text = plain(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_md(r: AuditReport) -> str:
    L = LABELS[r.lang]
    out = [f"> **{NOTICE}**", "", f"# {L['title']}", "",
           f"- {L['generated']}: {r.generated}", f"- {L['head']}: `{r.head or L['none']}`",
           f"- {L['repository']}: `{md_cell(r.repository)}`", f"- {L['since']}: {md_cell(since_text(r))}", ""]
    if r.error:
        out += [f"**{L['error']}:** {md_cell(r.error)}", ""]
    if r.site_findings:
        out += [f"## {L['site']}", ""] + [f"- {md_cell(f.render(r.lang))}" for f in r.site_findings] + [""]
    out += [f"## {L['summary']}", "",
            f"| {L['page']} | {L['page_title']} | {L['verdict']} | {L['valid']} | {L['last_signed']} | {L['reason']} |",
            "| --- | --- | --- | --- | --- | --- |"]
    for p in r.pages:
        out.append(f"| {md_cell(p.path)} | {md_cell(p.title)} | {p.verdict} | "
                   f"{p.valid_signatures}/{len(STEPS)} | {p.last_signed} | "
                   f"{md_cell(p.error or p.first_reason)} |")
    for p in r.pages:
        out += ["", f"## {md_cell(p.path)}", ""]
        if p.error:
            out += [f"**{L['error']}:** {md_cell(p.error)}", ""]
        if (earlier := earlier_text(r, p)) is not None:
            out += [f"*{md_cell(earlier)}*", ""]
        if not p.timeline:
            if earlier is None:
                out.append(f"*{L['no_commits']}*")
            continue
        out += [f"| {L['commit']} | {L['time']} | {L['author']} | {L['subject']} | {L['events']} |",
                "| --- | --- | --- | --- | --- |"]
        for step in p.timeline:
            c = step.commit
            events = []
            for line in step_lines(p, step, r.lang):
                cell = f"~~{md_cell(line.text)}~~" if line.shown_struck else md_cell(line.text)
                if line.kind == "added":
                    cell += f" ({md_cell(states_text(line.event, r.lang))})"
                events.append(cell)
            out.append(f"| `{short(c.sha)}` | {when(c.time)} | {md_cell(c.author)} "
                       f"&lt;{md_cell(c.email)}&gt; | {md_cell(c.subject)} | {'<br>'.join(events)} |")
    out += ["", f"## {L['roster']} ({md_cell(r.roster_path)})", ""]
    if r.roster_changes:
        out += [f"| {L['commit']} | {L['time']} | {L['author']} | {L['subject']} |", "| --- | --- | --- | --- |"]
        out += [f"| `{short(c.sha)}` | {when(c.time)} | {md_cell(c.author)} &lt;{md_cell(c.email)}&gt; | "
                f"{md_cell(c.subject)} |" for c in r.roster_changes]
    else:
        out.append(f"*{L['no_roster']}*")
    return "\n".join(out) + "\n"


# -- JSON and CSV ---------------------------------------------------------------------------

def render_json(r: AuditReport) -> str:
    return json.dumps(r.as_dict(), ensure_ascii=False, indent=2) + "\n"


def csv_cell(value) -> str:
    """Excel runs a cell starting with = + - @ (or tab/CR) as a formula: quote it as text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_rows(r: AuditReport) -> list[list[str]]:
    """One row per trail event; a page without any, or with an error, still gets a row."""
    L = LABELS[r.lang]
    yes_no = {True: L["yes"], False: L["no"], None: "?"}
    rows = [list(L["csv_cols"])]
    blank = [""] * (len(L["csv_cols"]) - 4)
    if r.error:
        rows.append(["(site)", "", "", L["error"], *blank[:-1], r.error])
    for p in r.pages:
        base = [p.path, p.title, p.verdict]
        if p.error:
            rows.append([*base, L["error"], *blank, p.error])
        if not p.trail and not p.error:
            rows.append([*base, "", *blank, L["none_events"]])
        for e in p.trail:
            f, c = e.fields, e.commit
            rows.append([*base, L[e.kind], e.what, f.get("name", ""), f.get("date", ""),
                         f.get("opinion", ""), f.get("comment", ""),
                         " ".join(x.sha for x in e.commits), c.time, c.author, c.email,
                         yes_no[e.signer_ok],
                         e.voided_by.sha if e.voided_by else "", e.voided_by.time if e.voided_by else "",
                         e.removed_by.sha if e.removed_by else "", e.removed_by.time if e.removed_by else "",
                         yes_no[e.current], yes_no[e.valid], states_text(e, r.lang)])
    return rows


def render_csv(r: AuditReport) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in csv_rows(r):
        writer.writerow([csv_cell(v) for v in row])
    return buf.getvalue()


def render(r: AuditReport, fmt: str) -> str:
    return {"text": render_text, "md": render_md, "json": render_json, "csv": render_csv}[fmt](r)


# -- HTML -----------------------------------------------------------------------------------

class ReportError(ValueError):
    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en


def _environment() -> jinja2.Environment:
    # Autoescape everything: titles, names, comments and subjects come from pages and commits.
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.globals.update(short=short, when=when, event_label=event_label, event_states=event_states,
                       step_lines=step_lines, STEPS=STEPS, earlier_text=earlier_text,
                       since_text=since_text)
    return env


def render_html(r: AuditReport) -> str:
    source = resources.files("secrecy_gate").joinpath("templates/audit.html").read_text("utf-8")
    return _environment().from_string(source).render(r=r, L=LABELS[r.lang], notice=NOTICE)


def _inside(path: Path, parent: Path) -> bool:
    try:
        path.relative_to(parent)
        return True
    except ValueError:
        return False


def write_html(r: AuditReport, out_dir: Path, forbidden: tuple[Path, ...]) -> Path:
    """Write ``out_dir/index.html``; never inside the site's docs_dir or site_dir.

    The report names withheld pages: inside docs_dir MkDocs would publish it,
    inside site_dir it would be deployed with the site.
    """
    target = Path(os.path.realpath(out_dir))
    for place in forbidden:
        place = Path(os.path.realpath(place))
        if _inside(target, place):
            raise ReportError(
                f"审计报告不得写入网站目录 {place}：报告是内部材料，会随网站发布",
                f"the audit report must not be written inside {place}: it is internal material "
                "and would be published with the site")
    target.mkdir(parents=True, exist_ok=True)
    index = target / "index.html"
    index.write_text(render_html(r), encoding="utf-8")
    return index
