"""Fail closed: any error, missing tool or broken input withholds; nothing turns into "publish"."""

import logging

import pytest
from mkdocs.exceptions import Abort, PluginError

import failing_parts
import secrecy_gate.build.plugin as plugin_module
import secrecy_gate.review.rules as rules_module
from conftest import page

BODY = "# 首页\n\n出错时不得发布的正文丙丁戊己。\n"


def signed_site(site):
    site.write("index.md", page(BODY))
    site.sign_all("index.md")
    assert site.verdict("index.md").published
    return site


def test_an_exception_inside_a_rule_withholds_the_page(site, monkeypatch):
    signed_site(site)
    monkeypatch.setattr(rules_module, "RULES", (*rules_module.RULES, failing_parts.broken_rule))
    v = site.verdict("index.md")
    assert not v.published and "internal.error" in {f.code for f in v.findings}
    site.build()
    site.assert_absent("出错时不得发布的正文丙丁戊己")


def test_git_missing_from_path_withholds_everything(site, monkeypatch, tmp_path):
    signed_site(site)
    empty = tmp_path / "no-git"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    v = site.verdict("index.md")
    assert not v.published and "git.unavailable" in {f.code for f in v.findings}
    with pytest.raises((PluginError, Abort)):  # a site that cannot be judged is not built
        site.build()
    site.assert_absent("出错时不得发布的正文丙丁戊己")


@pytest.mark.parametrize("name, text, code", [
    ("reviews/roster.yml", "agencies: [broken\n", "roster.invalid"),
    ("reviews/calendar.yml", "years: {2027: {holidays: [not-a-date]}}\n", "calendar.invalid"),
    ("reviews/lexicon.yml", "economic_data: 5\n", "lexicon.invalid"),
])
def test_a_broken_register_withholds_every_page(site, name, text, code):
    signed_site(site)
    (site.root / name).write_text(text, encoding="utf-8")
    site.commit_all(f"break {name}")
    review = site.review()
    assert code in {f.code for f in review.site_findings}
    assert not review.pages["index.md"].published
    with pytest.raises((PluginError, Abort)):  # a site that cannot be judged is not built
        site.build()
    site.assert_absent("出错时不得发布的正文丙丁戊己")


@pytest.mark.parametrize("scanner, message", [
    (failing_parts.broken_scanner, "scanner exploded"),            # raises in the worker
    (failing_parts.dying_scanner, "the leak scan did not complete"),  # the worker process dies
])
def test_a_failing_leak_scan_fails_the_build(site, monkeypatch, caplog, scanner, message):
    caplog.set_level(logging.INFO, logger="mkdocs")
    signed_site(site)
    monkeypatch.setattr(plugin_module, "BACKGROUND_SCAN_PAGES", 1)
    monkeypatch.setattr(plugin_module, "scanner_from_inputs", scanner)
    with pytest.raises((PluginError, Abort)):
        site.build()
    assert message in caplog.text
    assert not (site.root / "site").exists()


def test_a_dead_scanner_with_a_full_backlog_fails_the_build_without_hanging(site, monkeypatch):
    """The build waits for a slow scanner (bounded backlog) but never for a dead one."""
    import threading

    import secrecy_gate.build.leakwatch as leakwatch_module

    signed_site(site)
    # Pages larger than a pipe's buffer: the writer blocks on the first one, then finds
    # the worker gone, while the build still has pages to hand over.
    for name in ("a.md", "b.md", "c.md"):
        site.write(name, page(f"# {name}\n\n" + "积压测试正文。\n\n" * 8000))
        site.sign_all(name)
    monkeypatch.setattr(plugin_module, "BACKGROUND_SCAN_PAGES", 1)
    monkeypatch.setattr(leakwatch_module, "BACKLOG_PAGES", 1)
    monkeypatch.setattr(plugin_module, "scanner_from_inputs", failing_parts.dying_scanner)
    outcome = []

    def build():
        try:
            site.build()
        except (PluginError, Abort) as exc:
            outcome.append(exc)
    worker = threading.Thread(target=build, daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "the build hung on a dead scanning process"
    assert outcome and not (site.root / "site").exists()
