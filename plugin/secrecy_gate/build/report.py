"""Human-readable output of a site review: build log lines and summaries."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ..core.findings import AWAITING_REVIEW, Finding, Outcome, Severity
from ..review.gate import PageResult, SiteReview, is_page

_LABEL = {
    "zh": {Outcome.PUBLISH: "发布", Outcome.PUBLISH_REDACTED: "删减后发布", Outcome.WITHHOLD: "不发布"},
    "en": {Outcome.PUBLISH: "publish", Outcome.PUBLISH_REDACTED: "publish redacted",
           Outcome.WITHHOLD: "withhold"},
}


def label(outcome: Outcome, lang: str = "zh") -> str:
    return _LABEL[lang][outcome]


def reason(f: Finding | None, lang: str = "zh") -> str:
    """One finding as a short reason: message, article and code."""
    if f is None:
        return ""
    msg = f.message_en if lang == "en" else f.message_zh
    return f"{msg} ({f.article}, {f.code})" if lang == "en" else f"{msg}（{f.article}，{f.code}）"


def first_reason(page: PageResult, lang: str = "zh") -> str:
    return reason(page.verdict.first_reason, lang)


def log_review(review: SiteReview, log: logging.Logger, lang: str = "zh",
               rollout: bool = False) -> None:
    """Every finding of every page (verbose mode): withholding problems and warnings at
    WARNING (so --strict counts them), decisions at INFO — and with ``rollout`` the
    reason of a page that only awaits review, as the summary does — the rest at DEBUG."""
    for f in review.site_findings:
        (log.info if f.severity is Severity.NOTICE else log.warning)(f.render(lang))
    site_wide = {id(f) for f in review.site_findings}
    for page in sorted(review.pages.values(), key=lambda p: p.path):
        for f in page.verdict.findings:
            if id(f) in site_wide:
                continue  # a site-wide finding, logged once above
            if f.severity is Severity.DECISION or (
                    rollout and page.verdict.awaiting_review and f.severity is not Severity.WARNING):
                log.info(f.render(lang))
            elif page.verdict.first_reason is f or f.severity is Severity.WARNING:
                log.warning(f.render(lang))
            else:
                log.debug(f.render(lang))


# -- the summary ---------------------------------------------------------------------
#
# One summary, whatever the size of the site: counts, then one entry per kind of
# finding (rule id) with how many pages or files it concerns, one example and the fix.
# Page by page only in verbose mode (plugin option ``verbose``, ``mkdocs build -v``)
# and in ``secrecy-gate check``.  The build and ``check`` count with the same function.

_FILE_FIX = {
    "file.unlisted": ("使用该文件的页面须在 review.attachments 中列出它（path 与 sha256，签署前加入）；"
                      "logo、样式表等主题类文件可用插件选项 assets: 的 glob 放行（第二条）",
                      "list it in review.attachments (path and sha256, before signing) of the page that "
                      "uses it; theme-like files (logos, stylesheets) pass with an `assets:` glob of the "
                      "plugin (第二条)"),
    "file.unreadable": ("检查文件权限后重新构建", "check the file's permissions and build again"),
    "file.secret-point": ("从文件中删除该第九条密点，或不发布该文件",
                          "remove the 第九条 secret point from the file, or do not publish it"),
    "file.content": ("assets: 放行的文档无审查记录，须不含标志与个人信息且可读取：修改文件，或改为由页面列入 "
                     "review.attachments 经审查后发布（第二条、第六条、第七条）",
                     "a document an assets: glob admits has no review record, so it must hold no marking "
                     "or personal data and be readable: fix the file, or list it in a page's "
                     "review.attachments to have it reviewed (第二条, 第六条, 第七条)"),
}


@dataclass
class Group:
    """One kind of finding (or of withheld file) and what it concerns."""

    code: str
    article: str
    count: int  # pages (each counted once per kind) or files
    example: str  # the first page or file, by path
    message_zh: str
    message_en: str
    fix_zh: str = ""
    fix_en: str = ""
    decision: bool = False  # every finding of this kind is the record's own decision

    def lines(self, lang: str, unit: tuple[str, str]) -> list[str]:
        zh = lang != "en"
        if zh:
            art = f"（{self.article}）" if self.article else ""
            lines = [f"    {self.code}{art}：{self.count} {unit[0]}，如 {self.example}：{self.message_zh}"]
            return lines + ([f"        处理：{self.fix_zh}"] if self.fix_zh else [])
        art = f" ({self.article})" if self.article else ""
        lines = [f"    {self.code}{art}: {self.count} {unit[1]}, e.g. {self.example}: {self.message_en}"]
        return lines + ([f"        fix: {self.fix_en}"] if self.fix_en else [])


@dataclass
class Summary:
    """What the build and ``secrecy-gate check`` say about a whole review, in counts."""

    published: int = 0
    redacted: int = 0
    withheld: int = 0  # every page not published, for whatever reason
    decided: int = 0  # … of which by the record's own decision (不予公开, 依申请公开)
    awaiting: int = 0  # … of which only because the review is not done yet (see rollout)
    files_copied: int = 0
    files_withheld: int = 0
    withholding: list[Group] = field(default_factory=list)  # errors and decisions, by code
    warnings: list[Group] = field(default_factory=list)
    files: list[Group] = field(default_factory=list)  # withheld files, by why

    def counts(self) -> dict:
        return {"published": self.published, "published_redacted": self.redacted,
                "withheld": self.withheld, "withheld_by_decision": self.decided,
                "awaiting_review": self.awaiting, "files_copied": self.files_copied,
                "files_withheld": self.files_withheld}


def _group(findings_by_code: dict[str, list[tuple[str, Finding]]]) -> list[Group]:
    out = []
    for code, items in findings_by_code.items():
        pages = {path for path, _ in items}
        path, f = min(items, key=lambda item: item[0])
        out.append(Group(code, f.article, len(pages), path, f.message_zh, f.message_en,
                         f.fix_zh.split("\n")[0], f.fix_en.split("\n")[0],
                         all(g.severity is Severity.DECISION for _, g in items)))
    return sorted(out, key=lambda g: (-g.count, g.code))


def summarize(review: SiteReview) -> Summary:
    s = Summary()
    site_wide = {id(f) for f in review.site_findings}
    withholding: dict[str, list] = {}
    warnings: dict[str, list] = {}
    for page in review.pages.values():
        v = page.verdict
        outcome = v.outcome
        if outcome is Outcome.PUBLISH:
            s.published += 1
        elif outcome is Outcome.PUBLISH_REDACTED:
            s.redacted += 1
        else:
            s.withheld += 1
            s.decided += v.by_decision_only
            s.awaiting += v.awaiting_review
        for f in v.findings:
            if id(f) in site_wide:
                continue  # said once, in full, with the site's findings
            if f.withholds:
                withholding.setdefault(f.code, []).append((page.path, f))
            elif f.severity is Severity.WARNING:
                warnings.setdefault(f.code, []).append((page.path, f))
    s.withholding, s.warnings = _group(withholding), _group(warnings)
    files: dict[str, list] = {}
    for r in review.files.values():
        if r.published:
            s.files_copied += 1
        else:
            s.files_withheld += 1
            files.setdefault(r.code, []).append(r)
    for code, items in files.items():
        first = min(items, key=lambda r: r.path)
        fix = _FILE_FIX.get(code, ("", ""))
        s.files.append(Group(code, "第二条", len(items), first.path, first.reason_zh, first.reason_en, *fix))
    s.files.sort(key=lambda g: (-g.count, g.code))
    return s


def count_line(s: Summary, lang: str = "zh") -> str:
    """The first line of every summary; ``check`` and the build print the same."""
    if lang == "en":
        return (f"secrecy-gate: {s.published} published, {s.redacted} published redacted, "
                f"{s.withheld} withheld, {s.files_copied} files copied, {s.files_withheld} files withheld")
    return (f"secrecy-gate 保密审查：发布 {s.published} 页，删减后发布 {s.redacted} 页，不发布 {s.withheld} 页；"
            f"复制文件 {s.files_copied} 个，不复制 {s.files_withheld} 个")


DETAILS = ("逐页明细：secrecy-gate check（或在 mkdocs.yml 的 secrecy-gate 下设置 verbose: true，或 mkdocs build -v）",
           "page by page: `secrecy-gate check` (or set `verbose: true` under secrecy-gate in mkdocs.yml, "
           "or `mkdocs build -v`)")


def _grouped(review: SiteReview, lang: str, rollout: bool) -> list[tuple[int, str]]:
    """The summary's lines with their log level.  Each kind that withholds a page for a
    finding, and each kind of warning, is logged at WARNING (so ``--strict`` fails as it
    does when findings are logged one by one); decisions, and with ``rollout`` the pages
    that only await review, at INFO — that is what rollout is for."""
    info, warn = logging.INFO, logging.WARNING
    zh = lang != "en"
    s = summarize(review)
    lines = [(info, count_line(s, lang))]
    for f in review.site_findings:
        level = info if f.severity is Severity.NOTICE else warn
        lines.append((level, "  " + f.render(lang).replace("\n", "\n  ")))
    if s.decided or s.awaiting:
        parts = []
        if s.decided:
            parts.append(f"按审查决定不公开 {s.decided} 页" if zh else f"{s.decided} by their record's decision")
        if s.awaiting:
            parts.append(f"尚待审查 {s.awaiting} 页" if zh else f"{s.awaiting} awaiting review")
        lines.append((info, ("  不发布的页面中：" + "，".join(parts)) if zh else
                      ("  of the withheld pages: " + ", ".join(parts))))
    if rollout:
        lines.append((info, f"  试行接入（rollout: true）：尚待审查的 {s.awaiting} 页不发布，构建继续；"
                            "其他审查问题与泄密扫描仍使构建失败" if zh else
                      f"  rollout: true: the {s.awaiting} page(s) awaiting review are withheld and the "
                      "build goes on; any other finding, and the leak scan, still fail it"))
    if s.withholding:
        lines.append((info, "  不发布的原因（按类别）：" if zh else "  why pages are withheld, by kind:"))
        for g in s.withholding:
            quiet = g.decision or (rollout and g.code in AWAITING_REVIEW)
            lines.extend((info if quiet else warn, line) for line in g.lines(lang, ("页", "page(s)")))
    if s.files:
        lines.append((info, "  不复制的文件（按原因）：" if zh else "  files not copied, by reason:"))
        for g in s.files:
            lines.extend((info, line) for line in g.lines(lang, ("个", "file(s)")))
    if s.warnings:
        lines.append((info, "  警告（按类别，不影响发布）：" if zh else "  warnings, by kind (they do not withhold):"))
        for g in s.warnings:
            lines.extend((warn, line) for line in g.lines(lang, ("页", "page(s)")))
    return lines


def grouped_lines(review: SiteReview, lang: str = "zh", rollout: bool = False) -> list[str]:
    """The summary: counts, site-wide findings, then each kind of finding once."""
    return [line for _, line in _grouped(review, lang, rollout)]


def detail_lines(review: SiteReview, lang: str = "zh") -> list[str]:
    """Every page and every file with its outcome (verbose mode)."""
    pages = sorted(review.pages.values(), key=lambda p: p.path)
    lines = []
    for p in pages:
        if p.published:
            lines.append(f"  + {p.path}  [{label(p.verdict.outcome, lang)}]")
    for p in pages:
        if not p.published:
            lines.append(f"  - {p.path}  [{label(p.verdict.outcome, lang)}] {first_reason(p, lang)}")
    for f in sorted(review.files.values(), key=lambda f: f.path):
        mark = "+" if f.published else "-"
        lines.append(f"  {mark} {f.path}  [{f.reason_en if lang == 'en' else f.reason_zh}]")
    return lines


def summary_lines(review: SiteReview, lang: str = "zh", verbose: bool = False,
                  rollout: bool = False) -> list[str]:
    """The build's summary as text: grouped, and page by page only when ``verbose``."""
    return [line for _, line in _summary(review, lang, verbose, rollout)]


def _summary(review: SiteReview, lang: str, verbose: bool, rollout: bool) -> list[tuple[int, str]]:
    lines = _grouped(review, lang, rollout)
    if verbose:
        lines.append((logging.INFO, "  逐页：" if lang != "en" else "  page by page:"))
        lines.extend((logging.INFO, line) for line in detail_lines(review, lang))
    else:
        lines.append((logging.INFO, "  " + DETAILS[0 if lang != "en" else 1]))
    return lines


def log_summary(review: SiteReview, log: logging.Logger, lang: str = "zh", verbose: bool = False,
                rollout: bool = False) -> None:
    """The one summary of a build; with ``verbose`` every finding first, at its own level."""
    if verbose:
        log_review(review, log, lang, rollout)
    for level, line in _summary(review, lang, verbose, rollout):
        log.log(level, line)


def generated_lines(published: dict[str, list[str]], refused: list, lang: str = "zh",
                    verbose: bool = False) -> list[str]:
    """What other plugins generated: how many pages (and files) each published, how many were
    refused (each refusal is also a warning of its own).  Nothing when no plugin generated any.

    ``published``: plugin name -> the docs-relative paths it generated and the gate
    publishes; ``refused``: ``generated.Refusal`` items."""
    if not published and not refused:
        return []
    zh = lang != "en"
    unnamed = "未具名插件" if zh else "unnamed plugin"
    parts, total_pages, total_files = [], 0, 0
    for plugin in sorted(published):
        uris = published[plugin]
        pages = sum(1 for u in uris if is_page(u))
        total_pages += pages
        total_files += len(uris) - pages
        name = unnamed if plugin == "?" else plugin
        files = len(uris) - pages
        if zh:
            parts.append(f"{name} {pages} 页" + (f"、文件 {files} 个" if files else ""))
        else:
            parts.append(f"{name}: {pages} page(s)" + (f", {files} file(s)" if files else ""))
    if zh:
        line = (f"  其他插件生成的内容：发布 {total_pages} 页" + (f"、文件 {total_files} 个" if total_files else "")
                + (f"（{'，'.join(parts)}）" if parts else "")
                + (f"；拒绝 {len(refused)} 个（第二条，原因见上方警告）" if refused else ""))
    else:
        line = (f"  generated by other plugins: {total_pages} page(s) published"
                + (f", {total_files} file(s)" if total_files else "") + (f" ({'; '.join(parts)})" if parts else "")
                + (f"; {len(refused)} refused (第二条, see the warnings above)" if refused else ""))
    lines = [line]
    if verbose:
        for plugin in sorted(published):
            lines.extend(f"  + {u}  [{unnamed if plugin == '?' else plugin}]" for u in sorted(published[plugin]))
        lines.extend(f"  - {r.uri}  [{r.code}]" for r in refused)
    return lines


def failing(review: SiteReview, rollout: bool = False) -> list[PageResult]:
    """The pages ``fail_on_withheld`` stops the build for: withheld because of a finding, not
    by their record's decision — nor, with ``rollout``, only because their review is not done."""
    return [p for p in review.withheld() if not p.verdict.by_decision_only
            and not (rollout and p.verdict.awaiting_review)]


def fail_message(problems: list[PageResult], lang: str = "zh", rollout: bool = False) -> str:
    """Why the build stops (fail_on_withheld): how many, a few examples, what to do."""
    shown = sorted(problems, key=lambda p: p.path)[:5]
    names = "\n".join(f"  - {p.path}: {first_reason(p, lang)}" for p in shown)
    more = f"\n  … (+{len(problems) - len(shown)})" if len(problems) > len(shown) else ""
    if lang == "en":
        hint = ("" if rollout else " While adopting the gate, `rollout: true` lets pages that only await "
                "review be withheld without failing the build.")
        return (f"secrecy-gate: {len(problems)} page(s) withheld because of findings "
                f"(fail_on_withheld is true); build aborted, nothing published:\n{names}{more}\n"
                f"The summary above groups the reasons; `secrecy-gate check` lists every page. "
                f"Fix them or set fail_on_withheld: false.{hint}")
    hint = "" if rollout else "接入期间可设置 rollout: true：仅因尚未审查完而不发布的页面不再使构建失败（仍不发布）。"
    return (f"secrecy-gate：{len(problems)} 个页面因审查问题不予发布（fail_on_withheld 为 true），构建中止，未发布任何内容：\n"
            f"{names}{more}\n原因汇总见上方；逐页明细：secrecy-gate check。请处理上述问题，或设置 fail_on_withheld: false。"
            f"{hint}")


def site_message(findings: list[Finding], lang: str = "zh") -> str:
    lines = "\n".join("  - " + f.render(lang).replace("\n", "\n    ") for f in findings)
    if lang == "en":
        return f"secrecy-gate: the site cannot be judged, so nothing is built:\n{lines}"
    return f"secrecy-gate：站点无法审查，不予构建：\n{lines}"


LEAK_FIX_ZH = ("每处给出文件:行:列、命中的文字和它出自哪个未发布页面。请查明是哪个插件、钩子、主题覆盖、"
               "引入文件或旧文件把它带入了输出，去除后重新构建；若该页面本应公开，请先完成其保密审查"
               "（第十条）。只有已发布页面、已安装的主题与插件自带的文件，以及（代码片段）经批准的构建输入"
               "中也有的文字才不算泄密（见 docs/build.md 的“What counts as evidence of a leak”一节）。")
LEAK_FIX_EN = ("Each hit gives file:line:column, the text matched and the withheld page it comes "
               "from. Find which plugin, hook, theme override, include or stale file put it into the "
               "output, remove it and build again; if the page should be public, complete its "
               "review first (第十条). Only text that a published page, the installed theme's and "
               "plugins' own files or (for code fragments) an approved build input also hold is "
               "not taken for a leak (see docs/build.md, section “What counts as evidence of a "
               "leak”).")


def leak_message(hits, site_dir, lang: str = "zh") -> str:
    first = "\n".join(f"  - {h.render()}" for h in hits[:10])
    more = f"\n  … (+{len(hits) - 10})" if len(hits) > 10 else ""
    if lang == "en":
        return (f"secrecy-gate: the leak scan found {len(hits)} problem(s) in the output; "
                f"{site_dir} was removed (第二条):\n{first}{more}\n{LEAK_FIX_EN}")
    return (f"secrecy-gate：构建后泄密扫描在输出中发现 {len(hits)} 处问题（第二条），已删除输出目录 {site_dir}：\n"
            f"{first}{more}\n{LEAK_FIX_ZH}")
