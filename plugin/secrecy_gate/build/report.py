"""Human-readable output of a site review: build log lines and summaries."""

from __future__ import annotations

import logging

from ..core.findings import Finding, Outcome, Severity
from ..review.gate import PageResult, SiteReview

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


def log_review(review: SiteReview, log: logging.Logger, lang: str = "zh") -> None:
    """Log findings: withholding problems and warnings at WARNING (so --strict counts them)."""
    for f in review.site_findings:
        (log.info if f.severity is Severity.NOTICE else log.warning)(f.render(lang))
    site_wide = {id(f) for f in review.site_findings}
    for page in sorted(review.pages.values(), key=lambda p: p.path):
        for f in page.verdict.findings:
            if id(f) in site_wide:
                continue  # a site-wide finding, logged once above
            if f.severity is Severity.DECISION:
                log.info(f.render(lang))
            elif page.verdict.first_reason is f or f.severity is Severity.WARNING:
                log.warning(f.render(lang))
            else:
                log.debug(f.render(lang))


def summary_lines(review: SiteReview, lang: str = "zh") -> list[str]:
    pages = sorted(review.pages.values(), key=lambda p: p.path)
    pub = [p for p in pages if p.verdict.outcome is Outcome.PUBLISH]
    red = [p for p in pages if p.verdict.outcome is Outcome.PUBLISH_REDACTED]
    wh = [p for p in pages if p.verdict.outcome is Outcome.WITHHOLD]
    files = sorted(review.files.values(), key=lambda f: f.path)
    if lang == "en":
        lines = [f"secrecy-gate: {len(pub)} published, {len(red)} published redacted, "
                 f"{len(wh)} withheld, {sum(f.published for f in files)} files copied, "
                 f"{sum(not f.published for f in files)} files withheld"]
    else:
        lines = [f"secrecy-gate 保密审查：发布 {len(pub)} 页，删减后发布 {len(red)} 页，不发布 {len(wh)} 页；"
                 f"复制文件 {sum(f.published for f in files)} 个，不复制 {sum(not f.published for f in files)} 个"]
    for p in pub + red:
        lines.append(f"  + {p.path}  [{label(p.verdict.outcome, lang)}]")
    for p in wh:
        lines.append(f"  - {p.path}  [{label(p.verdict.outcome, lang)}] {first_reason(p, lang)}")
    for f in files:
        mark = "+" if f.published else "-"
        lines.append(f"  {mark} {f.path}  [{f.reason_en if lang == 'en' else f.reason_zh}]")
    return lines


def log_summary(review: SiteReview, log: logging.Logger, lang: str = "zh") -> None:
    for line in summary_lines(review, lang):
        log.info(line)


def fail_message(problems: list[PageResult], lang: str = "zh") -> str:
    names = "\n".join(f"  - {p.path}: {first_reason(p, lang)}" for p in problems)
    if lang == "en":
        return (f"secrecy-gate: {len(problems)} page(s) withheld because of findings "
                f"(fail_on_withheld is true):\n{names}\nFix them or set fail_on_withheld: false.")
    return (f"secrecy-gate：{len(problems)} 个页面因审查问题不予发布（fail_on_withheld 为 true），构建中止：\n"
            f"{names}\n请处理上述问题，或设置 fail_on_withheld: false。")


def site_message(findings: list[Finding], lang: str = "zh") -> str:
    lines = "\n".join("  - " + f.render(lang).replace("\n", "\n    ") for f in findings)
    if lang == "en":
        return f"secrecy-gate: the site cannot be judged, so nothing is built:\n{lines}"
    return f"secrecy-gate：站点无法审查，不予构建：\n{lines}"


LEAK_FIX_ZH = ("每处给出文件:行:列、命中的文字和它出自哪个未发布页面。请查明是哪个插件、钩子、主题覆盖、"
               "引入文件或旧文件把它带入了输出，去除后重新构建；若该页面本应公开，请先完成其保密审查"
               "（第十条）。只有已发布页面、已安装的主题与插件自带的文件，以及（代码片段）经批准的构建输入"
               "中也有的文字才不算泄密（见文档“泄密扫描”一节）。")
LEAK_FIX_EN = ("Each hit gives file:line:column, the text matched and the withheld page it comes "
               "from. Find which plugin, hook, theme override, include or stale file put it into the "
               "output, remove it and build again; if the page should be public, complete its "
               "review first (第十条). Only text that a published page, the installed theme's and "
               "plugins' own files or (for code fragments) an approved build input also hold is "
               "not taken for a leak (see the documentation's leak-scan section).")


def leak_message(hits, site_dir, lang: str = "zh") -> str:
    first = "\n".join(f"  - {h.render()}" for h in hits[:10])
    more = f"\n  … (+{len(hits) - 10})" if len(hits) > 10 else ""
    if lang == "en":
        return (f"secrecy-gate: the leak scan found {len(hits)} problem(s) in the output; "
                f"{site_dir} was removed (第二条):\n{first}{more}\n{LEAK_FIX_EN}")
    return (f"secrecy-gate：构建后泄密扫描在输出中发现 {len(hits)} 处问题（第二条），已删除输出目录 {site_dir}：\n"
            f"{first}{more}\n{LEAK_FIX_ZH}")
