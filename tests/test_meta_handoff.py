"""The gate parses front matter once; MkDocs and other plugins still see page.meta."""

from conftest import page


def test_other_plugins_and_templates_see_the_front_matter(site):
    site.add_hook(
        "def on_page_markdown(markdown, page, config, files):\n"
        "    return markdown + '\\n\\n钩子看到的公开属性：' + page.meta['review']['disclosure'] + '\\n'\n")
    site.write("notice.md", page("# 正文里的标题\n\n正文。\n", title="前置信息里的标题"))
    site.sign_all("notice.md")
    site.build()
    html = (site.root / "site" / "notice" / "index.html").read_text(encoding="utf-8")
    assert "钩子看到的公开属性：主动公开" in html
    assert "<title>前置信息里的标题" in html
    assert "signatures" not in html and "sha256:" not in html
