"""What reading attachments costs (issue 14): extraction throughput per format, and the cache.

    .venv/bin/python scripts/attachbench.py [--pdfs 200] [--xlsx 100] [--docx 50] [--build-s S]

Writes a set of portal attachments with the formats' own libraries (reportlab
PDFs of several pages of CJK text with a table, openpyxl subsidy lists of
1,000–5,000 rows with masked IDs, python-docx notices), then reads each one
cold (``scanners.documents``) and scans it as the gate does (markings and
personal information), per format: files, MB, pages/rows, seconds, MB/s.
A second pass over the same bytes shows the in-memory cache (what a
``mkdocs serve`` rebuild pays).  ``--build-s``: the time of the gated portal
build to compare with (``scripts/bench.py --attachments`` passes it), for the
share of the build that reading attachments takes.
The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import docfiles as D  # noqa: E402

from secrecy_gate.scanners.documents import DocumentCache  # noqa: E402
from secrecy_gate.scanners.documents.scan import scan  # noqa: E402

LINES = ("关于下达2026年惠农补贴资金的通知", "各乡镇人民政府：根据有关文件精神，现将有关事项通知如下。",
         "一、补贴对象为本县范围内从事农业生产的农户和农民合作社。", "联系电话：0935-2212345",
         "二、补贴标准按照每亩 95.5 元执行，资金通过一卡通发放。", "索引号：620600-2020-00075")


def masked_id(rng: random.Random) -> str:
    return f"620602********{rng.randint(0, 9999):04d}"


def make_files(n_pdf: int, n_xlsx: int, n_docx: int, seed: int = 7) -> list[tuple[str, bytes, int]]:
    """(name, bytes, pages or rows) of realistic attachments."""
    rng = random.Random(seed)
    out = []
    for i in range(n_pdf):
        pages = rng.randint(2, 12)
        lines = [rng.choice(LINES) for _ in range(36 * pages)]
        data = _pdf_pages(lines, pages)
        out.append((f"notice-{i}.pdf", data, pages))
    for i in range(n_xlsx):
        rows = rng.randint(1000, 5000)
        table = [["序号", "姓名", "身份证号", "银行卡号", "补贴金额（元）"]]
        table += [[r, "张*", masked_id(rng), f"6228********{rng.randint(0, 9999):04d}",
                   round(rng.uniform(100, 5000), 2)] for r in range(rows)]
        out.append((f"subsidy-{i}.xlsx", D.xlsx(table), rows))
    for i in range(n_docx):
        paras = [rng.choice(LINES) for _ in range(rng.randint(50, 400))]
        out.append((f"notice-{i}.docx", D.docx(paras), len(paras)))
    return out


def _pdf_pages(lines: list[str], pages: int) -> bytes:
    import io

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    per = max(1, len(lines) // pages)
    for p in range(pages):
        y = 800
        c.setFont("STSong-Light", 10)
        for line in lines[p * per:(p + 1) * per]:
            c.drawString(40, y, line)
            y -= 20
        c.showPage()
    c.save()
    return buf.getvalue()


def measure(files, cache: DocumentCache) -> dict[str, list[float]]:
    """format -> [files, bytes, units, seconds, findings]."""
    stats: dict[str, list[float]] = {}
    for name, data, units in files:
        fmt = name.rsplit(".", 1)[1]
        t0 = time.perf_counter()
        e = cache.get(name, data)
        hits = scan(e)
        dt = time.perf_counter() - t0
        s = stats.setdefault(fmt, [0, 0, 0, 0.0, 0])
        s[0] += 1
        s[1] += len(data)
        s[2] += units
        s[3] += dt
        s[4] += len(hits) + len(e.unreadable) + len(e.lossy)
    return stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pdfs", type=int, default=200)
    ap.add_argument("--xlsx", type=int, default=100)
    ap.add_argument("--docx", type=int, default=50)
    ap.add_argument("--build-s", type=float, default=None,
                    help="seconds of the gated portal build, for the share of the build")
    args = ap.parse_args()
    t0 = time.perf_counter()
    files = make_files(args.pdfs, args.xlsx, args.docx)
    print(f"generated {len(files)} attachments, {sum(len(d) for _, d, _ in files) / 1e6:.1f} MB "
          f"in {time.perf_counter() - t0:.1f} s")
    cache = DocumentCache()
    cold = measure(files, cache)
    total_s = sum(s[3] for s in cold.values())
    total_mb = sum(s[1] for s in cold.values()) / 1e6
    units = {"pdf": "pages", "xlsx": "rows", "docx": "paragraphs"}
    for fmt, (n, size, u, dt, found) in cold.items():
        print(f"  {fmt:5} {int(n):4} files {size / 1e6:7.1f} MB {int(u):8} {units[fmt]:10} "
              f"{dt:6.2f} s  {size / 1e6 / dt:6.1f} MB/s  {u / dt:8.0f} {units[fmt]}/s  "
              f"findings {int(found)}")
    warm = measure(files, cache)
    warm_s = sum(s[3] for s in warm.values())
    print(f"cold: {total_s:.2f} s for {total_mb:.1f} MB ({total_mb / total_s:.1f} MB/s); "
          f"cached (serve rebuild): {warm_s:.3f} s, extractions run {cache.reads} "
          f"(of {2 * len(files)} reads)")
    share = ""
    if args.build_s:
        share = f" share={total_s / (args.build_s + total_s):.3f}"
        print(f"share of a gated build of {args.build_s:.1f} s: {100 * total_s / (args.build_s + total_s):.1f} %")
    per = " ".join(f"{fmt}_mbps={s[1] / 1e6 / s[3]:.2f}" for fmt, s in cold.items())
    print(f"attachments={len(files)} mb={total_mb:.1f} cold_s={total_s:.2f} warm_s={warm_s:.3f} {per}{share}")


if __name__ == "__main__":
    main()
