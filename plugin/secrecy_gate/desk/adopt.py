"""Putting a blank review record into pages that already exist (第二条 先审核后公开).

A site adopting the gate has pages with years of history and front matter of
its own (Material's ``title``, ``icon``, ``status``, ``tags``, ``comments`` …,
with comments and flow style).  ``secrecy-gate adopt`` adds the same blank
record ``secrecy-gate new`` writes, as text: the record's lines go in just
before the closing ``---`` of the front matter (or a new front matter is put
in front of a page without one), so that every other byte of the page —
keys, order, comments, layout, line endings, the body — stays as it was.
The result is read back with the strict reader and must hold exactly the old
front matter plus the blank record, and the same body; otherwise the page is
left alone and the reason given.  A page that has a ``review`` key already is
never touched: its record belongs to its review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..core import frontmatter

# The lines of `secrecy-gate new`'s template that are the record (and the commented
# 政府信息公开目录 fields beside it): one text, so that both commands write the same.
DOCUMENT_COMMENT = """\
# document:                       # 政府信息公开目录 (optional)
#   index_no:                     # 索引号
#   issuer:                       # 发布机构
#   doc_no:                       # 文号
#   written:                      # 成文日期 YYYY-MM-DD
#   published:                    # 发布日期 YYYY-MM-DD (absent: the leader's approval date)
"""

REVIEW_BLOCK = """\
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
  {lead_agency:<32}# 第十一条 主办机关 (roster id)
  co_agencies: []                 # 第十一条 协办机关 (roster ids)
  consents: []                    # written by `secrecy-gate consent`
  signatures: []                  # written by `secrecy-gate sign` (第十条)
"""

BOM = b"\xef\xbb\xbf"


def record_block(agency: str = "") -> str:
    """The blank record (with the commented 目录 fields), as `secrecy-gate new` writes it."""
    return DOCUMENT_COMMENT + REVIEW_BLOCK.format(lead_agency=f"lead_agency: {agency}")


class AdoptRefused(ValueError):
    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh = zh
        self.en = en


@dataclass
class Adoption:
    path: Path
    state: str  # "adopt": gets a record; "has-record": left alone; "refused": left alone, see why
    new: bytes | None = None
    line: int = 0  # line of the file where the record goes in (1-based)
    zh: str = ""
    en: str = ""


def _newline(text: str) -> str:
    """The page's own line ending (of its first line; LF for a one-line page)."""
    m = re.search(r"\r?\n", text)
    return m.group(0) if m else "\n"


def adopt_text(raw: bytes, agency: str = "") -> tuple[bytes, int] | None:
    """The page with a blank record added and the line it goes in at; None when the
    page has a ``review`` key already.  Raises AdoptRefused when it cannot be done
    without changing anything else."""
    try:
        text = frontmatter.decode(raw)
    except frontmatter.FrontMatterError as exc:
        raise AdoptRefused(f"{exc.zh}：请先转换为 UTF-8", f"{exc.en}: convert it to UTF-8 first") from None
    bom = BOM if raw.startswith(BOM) else b""
    nl = _newline(text)
    block = record_block(agency).replace("\n", nl)
    if frontmatter._FENCE_OPEN.match(text):
        try:
            fm, body, _ = frontmatter.split(text)
            meta = frontmatter.load_yaml(fm, "前置信息", "the front matter")
        except frontmatter.FrontMatterError as exc:
            raise AdoptRefused(f"{exc.zh}：请先改正前置信息", f"{exc.en}: correct the front matter first") from None
        if meta is None:
            meta = {}
        if not isinstance(meta, dict):
            raise AdoptRefused("前置信息不是键值映射，无法加入 review", "the front matter is not a mapping")
        if "review" in meta:
            return None
        at = text.index("\n") + 1 + len(fm)  # just before the closing fence
        new_text = text[:at] + block + text[at:]
    else:
        from mkdocs.utils.meta import get_data

        if get_data(text)[1]:
            # MkDocs reads a MultiMarkdown header there: behind a YAML front matter it would
            # become text of the page.
            raise AdoptRefused("页面以 MultiMarkdown 式页头（键: 值）开头：请先把它改写为 --- 包围的 YAML 前置信息",
                               "the page starts with a MultiMarkdown header (key: value lines): turn it "
                               "into YAML front matter between --- lines first")
        meta, body, at = {}, text, 0
        new_text = "---" + nl + block + "---" + nl + text
    blank = frontmatter.load_yaml(REVIEW_BLOCK.format(lead_agency=f"lead_agency: {agency}"))
    try:
        doc = frontmatter.parse(new_text)
        same = doc.meta == {**meta, **blank} and doc.body == body
    except frontmatter.FrontMatterError:
        same = False
    if not same:
        raise AdoptRefused("前置信息的写法（如整体为流式映射或有缩进）使记录无法原样加入：请手工加入 review（可参照 secrecy-gate new 的模板）",
                           "the front matter is written so (a flow mapping, or indented) that the record "
                           "cannot be added as text: add review by hand (see the template of "
                           "`secrecy-gate new`)")
    line = text.count("\n", 0, at) + 1
    return bom + new_text.encode("utf-8"), line


def plan(pages: list[Path], agency: str = "") -> list[Adoption]:
    out = []
    for page in pages:
        try:
            result = adopt_text(page.read_bytes(), agency)
        except AdoptRefused as exc:
            out.append(Adoption(page, "refused", zh=exc.zh, en=exc.en))
            continue
        except OSError as exc:
            out.append(Adoption(page, "refused", zh=f"无法读取：{exc.strerror}", en=f"cannot read: {exc.strerror}"))
            continue
        if result is None:
            out.append(Adoption(page, "has-record"))
        else:
            out.append(Adoption(page, "adopt", result[0], result[1]))
    return out


def apply(adoptions: list[Adoption]) -> None:
    for a in adoptions:
        if a.state == "adopt":
            a.path.write_bytes(a.new)


def render(adoptions: list[Adoption], dry_run: bool, agency: str = "") -> list[str]:
    out = []
    adopted = [a for a in adoptions if a.state == "adopt"]
    has = [a for a in adoptions if a.state == "has-record"]
    refused = [a for a in adoptions if a.state == "refused"]
    verb_zh, verb_en = ("将加入", "would add a blank review record") if dry_run else ("已加入", "added a blank review record")
    for a in adopted:
        out.append(f"{verb_zh} / {verb_en}: {a.path} (第 {a.line} 行 / at line {a.line})")
    for a in has:
        out.append(f"已有审查记录，未改动 / has a review record already, left as it is: {a.path}")
    for a in refused:
        out.append(f"无法加入 / refused: {a.path}：{a.zh} / {a.en}")
    if dry_run and adopted:
        out.append("加入的内容 / the lines added:")
        out.extend("    " + line for line in record_block(agency).splitlines())
    out.append(f"adopt: {'将' if dry_run else '已'}为 {len(adopted)} 个页面加入空白审查记录，{len(has)} 个已有记录未改动，"
               f"{len(refused)} 个无法加入 / {len(adopted)} page(s) {'would get' if dry_run else 'got'} a blank "
               f"review record, {len(has)} had one already (unchanged), {len(refused)} refused"
               + ("" if dry_run or not adopted else
                  "。下一步：填写 review，提交，再按第十条依次 secrecy-gate sign / next: fill in review, "
                  "commit, then have it signed in 第十条 order with `secrecy-gate sign`"))
    return out
