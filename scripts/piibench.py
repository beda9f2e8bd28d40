"""Throughput of the content scanners, and the time for a page full of findings (issue 11).

    .venv/bin/python scripts/piibench.py [--mb 5] [--findings 100000]

* a mixed page of ``--mb`` MB (a 公示 notice, budget tables with amounts in 元 such as
  ``13812345678.56``, landlines, index numbers, English and code) through the scanners
  ``check`` runs (``find_pii`` and ``find_markings`` on one ``NormalisedText``), and the
  same page as HTML through the leak scan's content scanners; it has no finding;
* ``--findings`` unmasked ID numbers, one per table row, and the same on one line;
* ``--findings // 3`` marking lines.

Findings are collected in linear time: ten times the findings, ten times the time.
"""

from __future__ import annotations

import argparse
import html
import random
import time

from secrecy_gate.scanners import LeakScanner, find_markings, find_pii
from secrecy_gate.scanners.pii import ID_CHECK, ID_WEIGHTS
from secrecy_gate.scanners.text import NormalisedText

PARTS = (
    "## 关于下达2026年惠农补贴资金的通知\n\n各乡镇人民政府：根据《甘肃省财政厅关于下达资金的通知》"
    "（甘财农〔2026〕12号）精神，现将有关事项通知如下。\n\n",
    "| 序号 | 项目 | 金额（元） |\n|---|---|---|\n| 1 | 农机购置补贴 | 13812345678.56 |\n"
    "| 2 | 耕地地力保护补贴 | 2,345,678.00 |\n| 3 | 合计 | 13912345678元 |\n",
    "联系电话：0935-2212345，传真：0935-2212346。索引号：620600-2020-00075。\n",
    "Some English text with code `x = 1234567` and a date 2026-11-30.\n",
    "国家秘密的密级分为：\n\n- 绝密\n- 机密\n- 秘密\n\n",
    "本条例自2020年11月9日起施行，武政办发〔2020〕75号。\n\n",
)


def id_number(rng: random.Random) -> str:
    v = "620602%04d%02d%02d%03d" % (rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28),
                                    rng.randint(0, 999))
    return v + ID_CHECK[sum(int(d) * w for d, w in zip(v, ID_WEIGHTS)) % 11]


def mixed(size: int, rng: random.Random) -> str:
    out, n = [], 0
    while n < size:
        p = rng.choice(PARTS)
        out.append(p)
        n += len(p.encode())
    return "".join(out)


def timed(fn):
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def check_scan(text: str) -> int:
    nt = NormalisedText(text)
    return len(find_pii(nt)) + len(find_markings(nt))


def attachment_corpus() -> None:
    """tests/corpus/attachments.yml written into XLSX, DOCX, PDF and CSV, read back and scanned."""
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root / "tests"))
    import docfiles
    for fmt, (tp, fn, fp, misses, alarms) in docfiles.corpus_scores(
            root / "tests" / "corpus" / "attachments.yml").items():
        recall = tp / (tp + fn) if tp + fn else 1.0
        precision = tp / (tp + fp) if tp + fp else 1.0
        print(f"attachments {fmt:5} recall {recall:.3f} precision {precision:.3f} "
              f"(tp={tp} fn={fn} fp={fp}){' misses ' + str(misses) if misses else ''}"
              f"{' false alarms ' + str(alarms) if alarms else ''}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=5)
    ap.add_argument("--findings", type=int, default=100_000)
    ap.add_argument("--attachments", action="store_true",
                    help="only the labelled attachment corpus: recall and precision per format")
    args = ap.parse_args()
    if args.attachments:
        attachment_corpus()
        return
    rng = random.Random(1)
    page = mixed(int(args.mb * 1024 * 1024), rng)
    mb = len(page.encode()) / 1e6
    dt, n = timed(lambda: check_scan(page))
    print(f"check scanners, mixed page {mb:.1f} MB: {dt:.2f} s ({mb / dt:.1f} MB/s), {n} findings")
    body = "".join(f"<p>{html.escape(line)}</p>\n" for line in page.split("\n"))
    doc = f"<!doctype html><html><body>{body}</body></html>"
    scanner = LeakScanner({})
    dt, hits = timed(lambda: scanner.scan_text("page/index.html", doc))
    hmb = len(doc.encode()) / 1e6
    print(f"leak scan content, same page as HTML {hmb:.1f} MB: {dt:.2f} s ({hmb / dt:.1f} MB/s), "
          f"{len(hits)} findings")
    for n in (args.findings // 10, args.findings):
        ids = [id_number(rng) for _ in range(n)]
        rows = "\n".join(f"| {i} | 张某 | {v} |" for i, v in enumerate(ids))
        dt, k = timed(lambda: check_scan(rows))
        print(f"{n} IDs, one per table row: {dt:.2f} s, {k} findings")
        line = " ".join(ids)
        dt, k = timed(lambda: check_scan(line))
        print(f"{n} IDs on one line: {dt:.2f} s, {k} findings")
    n = args.findings // 3
    marks = "\n".join(f"秘密★{i % 9 + 1}年" for i in range(n))
    dt, k = timed(lambda: check_scan(marks))
    print(f"{n} marking lines: {dt:.2f} s, {k} findings")


if __name__ == "__main__":
    main()
