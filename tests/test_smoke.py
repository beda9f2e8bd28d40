from conftest import page


def test_signed_page_publishes_and_draft_is_absent(site):
    site.write("index.md", page("# 首页\n\n公开的正文内容甲乙丙。\n"))
    site.write("draft.md", "# 草稿\n\n草稿中的秘密内容丁戊己。\n")
    site.sign_all("index.md")
    v = site.verdict("index.md")
    assert v.published, [f.render() for f in v.findings]
    site.build()
    out = site.output_text()
    assert "公开的正文内容甲乙丙" in out
    assert "草稿中的秘密内容丁戊己" not in out
    assert "draft" not in " ".join(site.output_files())
