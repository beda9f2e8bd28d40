"""`mkdocs serve` may show unreviewed pages with a banner; `mkdocs build` never does."""

import pytest
from mkdocs.commands.build import build
from mkdocs.exceptions import Abort
from mkdocs.config import load_config

from conftest import page

BANNER = "预览：未经保密审查，不得公开"


def serve_build(site, dev_addr="127.0.0.1:8000"):
    cfg = load_config(config_file=str(site.root / "mkdocs.yml"), dev_addr=dev_addr)
    cfg.plugins.on_startup(command="serve", dirty=False)
    build(cfg, serve_url=f"http://{dev_addr}/")
    return site.root / "site"


def test_serve_on_loopback_previews_unreviewed_page_with_banner(site):
    site.write("index.md", page("# 首页\n\n已审查的首页。\n"))
    site.sign_all("index.md")
    site.write("draft.md", page("# 草稿\n\n预览中的草稿正文庚辛。\n"))
    out = serve_build(site)
    draft = (out / "draft" / "index.html").read_text(encoding="utf-8")
    assert "预览中的草稿正文庚辛" in draft
    assert BANNER in draft
    home = (out / "index.html").read_text(encoding="utf-8")
    assert BANNER not in home, "a reviewed page carries no preview banner"


def test_serve_on_public_address_shows_nothing_unreviewed(site):
    site.write("index.md", page("# 首页\n\n已审查的首页。\n"))
    site.sign_all("index.md")
    site.write("draft.md", page("# 草稿\n\n不应出现的草稿正文壬癸。\n"))
    serve_build(site, dev_addr="0.0.0.0:8000")
    assert "不应出现的草稿正文壬癸" not in site.output_text()


def test_build_never_shows_the_banner(site):
    site.write("index.md", page("# 首页\n\n已审查的首页。\n"))
    site.sign_all("index.md")
    site.write("draft.md", page("# 草稿\n\n构建中不应出现的草稿子丑。\n"))
    site.build()
    text = site.output_text()
    assert BANNER not in text
    assert "构建中不应出现的草稿子丑" not in text
    assert "已审查的首页" in text


def test_serve_dirty_on_public_address_is_refused(site, caplog):
    site.write("index.md", page("# 首页\n"))
    cfg = load_config(config_file=str(site.root / "mkdocs.yml"), dev_addr="0.0.0.0:8000")
    cfg.plugins.on_startup(command="serve", dirty=True)
    with pytest.raises(Abort):
        build(cfg, serve_url="http://0.0.0.0:8000/", dirty=True)
    assert "refusing a --dirty build" in caplog.text
