"""Personal information where it really hides (第六条（二）、第七条; issue 11).

公示 tables with the account in a column, grouped digits, form labels spaced out
to align a form, markup between the digits: ``check`` (and so the pre-commit
hook) and the build judge a page's text the same way, and the build publishes
none of it.  Amounts and a list of the secrecy levels are not findings anywhere.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import page

from secrecy_gate.cli import main

TAIL = "，核对人员子丑寅卯辰巳。\n"

LAYOUTS = [
    ("card under a Markdown column header",
     "| 序号 | 姓名 | 补贴金额（元） | 一卡通卡号 |\n| --- | --- | --- | --- |\n"
     "| 1 | 张某某 | 1200 | 6230520012345678901 |\n| 2 | 李某某 | 800 | 6228480012345678911 |\n",
     "content.bank-card", ["6230520012345678901", "6228480012345678911"]),
    ("card under an HTML column header",
     "<table>\n<tr><th>姓名</th><th>补贴金额（元）</th><th>银行账号</th></tr>\n"
     "<tr><td>张某某</td><td>1200</td><td>6228480012345678911</td></tr>\n</table>\n",
     "content.bank-card", ["6228480012345678911"]),
    ("card after a spaced form label",
     "户　名：王某某\n\n账　号：6228 4800 1234 5678 911\n", "content.bank-card", ["5678 911"]),
    ("card with its label after it", "6228480012345678911（卡号）\n", "content.bank-card",
     ["6228480012345678911"]),
    ("ID in hyphenated groups", "申请人 620602-19850315-1239\n", "content.resident-id",
     ["19850315"]),
    ("ID in four groups", "申请人 6206 0219 8503 1512 39\n", "content.resident-id", ["8503 1512"]),
    ("ID broken by a hard line break", "申请人身份证号 620602198503\n151239\n", "content.resident-id",
     ["620602198503"]),
    ("ID in spans", "<span>620602</span><span>197608081113</span>\n", "content.resident-id",
     ["197608081113"]),
    ("ID with &nbsp;", "620602&nbsp;19850315&nbsp;1239\n", "content.resident-id", ["19850315"]),
    ("mobile in spans", "联系人 <span>138</span><span>0935</span><span>1234</span>\n", "content.mobile",
     []),
    # Red team, fourth round: what Word's autoformat and clerks type.
    ("ID with en dashes", "张三 身份证号码 620602–19850315–1239\n", "content.resident-id", ["19850315"]),
    ("ID with slashes", "张三 620602/19850315/1239\n", "content.resident-id", ["19850315"]),
    ("card with an em dash", "张三 一卡通账号 622848—0402564890018\n", "content.bank-card",
     ["0402564890018"]),
    ("card after a label with a note",
     "账号（开户银行为中国农业银行股份有限公司武威凉州支行营业部）：6228480402564890018\n",
     "content.bank-card", ["6228480402564890018"]),
    ("account under a 社保卡 header", "| 姓名 | 社保卡 |\n| --- | --- |\n| 张三 | 6228480402564890018 |\n",
     "content.bank-card", ["6228480402564890018"]),
    ("Bank of China account under 账号", "| 姓名 | 账号 |\n| --- | --- |\n| 张三 | 6013826000012345678 |\n",
     "content.bank-card", ["6013826000012345678"]),
]


def _check(site, rel: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", "-f", str(site.root / "mkdocs.yml"), rel])
    return result.exit_code, result.output


@pytest.mark.parametrize("name, body, code, absent", LAYOUTS, ids=[c[0] for c in LAYOUTS])
def test_layout_is_caught_by_check_the_hook_and_the_build(site, name, body, code, absent):
    # The pre-commit hook: the file staged, never committed.
    path = site.write("new.md", page("# 公示\n\n" + body + TAIL), commit=False)
    site.git("add", "content/new.md")
    hook = CliRunner().invoke(main, ["check", "--pre-commit", "-f", str(site.root / "mkdocs.yml"), str(path)])
    assert hook.exit_code == 1 and code in hook.output, hook.output
    # The build, from a signed page.
    site.write("new.md", page("# 公示\n\n" + body + TAIL))
    site.sign_all("new.md")
    v = site.verdict("new.md")
    assert code in {f.code for f in v.findings} and not v.published
    site.build()
    site.assert_absent("核对人员子丑寅卯辰巳", *absent)


AMOUNTS = "| 项目 | 金额（元） |\n|---|---|\n| 合计 | 13812345678.56 |\n\n总额 13812345678元，折合 ¥13812345678。\n"
LEVELS = "国家秘密的密级分为：\n\n- 绝密\n- 机密\n- 秘密\n\n| 密级 | 最长期限 |\n|---|---|\n| 绝密 | 30年 |\n| 机密 | 20年 |\n"


@pytest.mark.parametrize("body", [AMOUNTS, LEVELS], ids=["amounts", "list of levels"])
def test_amounts_and_a_list_of_levels_publish(site, body):
    path = site.write("p.md", page("# 说明\n\n" + body + "公开正文甲乙丙丁。\n"), commit=False)
    site.git("add", "content/p.md")
    hook = CliRunner().invoke(main, ["check", "--pre-commit", "-f", str(site.root / "mkdocs.yml"), str(path)])
    assert hook.exit_code == 0, hook.output
    site.write("p.md", page("# 说明\n\n" + body + "公开正文甲乙丙丁。\n"))
    site.sign_all("p.md")
    assert site.verdict("p.md").published, [f.render() for f in site.verdict("p.md").findings]
    site.build()  # the leak scan judges the rendered page as check did: no abort
    assert "公开正文甲乙丙丁" in site.output_text()


@pytest.mark.parametrize("comment, kind", [
    ("<!-- 申请人 620602-19850315-1239 -->", "resident-id"),
    ("<!--\n秘密★1年\n-->", "secrecy-marking"),
])
def test_verify_site_looks_inside_html_comments(site, comment, kind):
    """A comment is not shown, but it is published in the page's source."""
    page_ = site.write("index.md", page("# 首页\n\n公开首页。\n"))
    site.sign_all("index.md")
    out = site.build()
    html = out / "index.html"
    html.write_text(html.read_text(encoding="utf-8").replace("</body>", comment + "</body>"), encoding="utf-8")
    import json
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "secrecy_gate.cli", "verify-site", "site", "--format", "json"],
                          cwd=site.root, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert kind in proc.stdout and "index.html" in proc.stdout
    assert page_.exists()


def test_an_id_in_the_description_a_theme_prints_is_caught_by_check_as_by_the_build(site):
    """Material prints ``description`` in ``<meta>``: check reads every front-matter string
    (the review record apart), as the build's leak scan reads the output (red team, round 4)."""
    text = page("# 通知\n\n正文。\n").replace("---\n", "---\ndescription: 张三 620602198503151239\n", 1)
    path = site.write("index.md", text)
    code, out = _check(site, str(path))
    assert code != 0 and "content.resident-id" in out and "description" in out, out
