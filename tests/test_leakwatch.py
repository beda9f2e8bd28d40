"""The background leak scan finds the same leaks as the scan after the build (第二条)."""

import logging

import pytest
from mkdocs.exceptions import Abort, PluginError

import secrecy_gate.build.plugin as plugin_module
from conftest import page


@pytest.fixture
def background(monkeypatch, caplog):
    """Every build scans in the background; yields the pages handed to the scanning process."""
    caplog.set_level(logging.INFO, logger="mkdocs")
    monkeypatch.setattr(plugin_module, "BACKGROUND_SCAN_PAGES", 1)
    handed = []
    original = plugin_module.LeakWatch.page

    def page(self, rel, html):
        handed.append(rel)
        return original(self, rel, html)
    monkeypatch.setattr(plugin_module.LeakWatch, "page", page)
    return handed


def test_clean_site_passes_with_the_background_scan(site, background, caplog):
    site.write("index.md", page("# 首页\n\n公开首页。\n"))
    site.sign_all("index.md")
    site.build()
    assert "leak scan: 0" in caplog.text
    assert background == ["index.html"]


def test_marking_in_page_html_is_caught_by_the_background_scan(site, background, caplog):
    site.write("index.md", page("# 首页\n\n公开首页。\n"))
    site.sign_all("index.md")
    site.add_hook("def on_page_content(html, page, config, files):\n    return '<p>绝密★长期</p>' + html\n")
    with pytest.raises((PluginError, Abort)):
        site.build()
    assert "index.html: secrecy-marking" in caplog.text
    assert background == ["index.html"]
    assert not (site.root / "site").exists()


def test_page_file_rewritten_after_it_was_scanned_is_scanned_again(site, background, caplog):
    site.write("index.md", page("# 首页\n\n公开首页。\n"))
    site.sign_all("index.md")
    site.write("secret.md", page("# 内部\n\n后来被写进首页的内部文字戌亥子丑。\n", disclosure="不予公开"))
    site.sign_all("secret.md")
    site.add_hook("from pathlib import Path\n"
                "def on_post_build(config):\n"
                "    p = Path(config.site_dir, 'index.html')\n"
                "    p.write_text(p.read_text(encoding='utf-8') + '<p>后来被写进首页的内部文字戌亥子丑。</p>',"
                " encoding='utf-8')\n")
    with pytest.raises((PluginError, Abort)):
        site.build()
    assert "index.html: leaked-text" in caplog.text
