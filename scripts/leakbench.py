"""Micro-benchmark of the leak scan alone over a Material for MkDocs site's output.

Builds (once, into ``--keep`` or a temporary directory) a plain MkDocs site
with the Material theme and its search plugin: Chinese pages with code
blocks, tables, images and links to pages with Chinese file names; then
scans the output with a scanner holding the needles of ``--withheld``
synthetic withheld pages, ``--runs`` times, and prints the median time and
the throughput.  Every hit is printed: a clean build must give none.

    .venv/bin/python scripts/leakbench.py [--pages 300] [--withheld 200] [--runs 5] [--plain]

The scanner is made as a build makes it (``build.verify.scanner_from_inputs``:
each needle also reversed, and the Han-only needles of the CJK projection,
all minus what the published pages hold); ``--plain`` gives it the needles
alone, as before those existed.

The last line is machine-readable:
``bytes=… files=… needles=… projected=… median_s=… mb_s=… cpu_s=… cpu_mb_s=… best_cpu_mb_s=… hits=…``
(wall time and the process's CPU time, median and best: on a shared machine the best
CPU figure is the steadiest).
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from secrecy_gate.build.verify import scanner_from_inputs
from secrecy_gate.scanners import LeakScanner, needles_from_text

WORDS = ("政府信息公开", "规范性文件", "各县区人民政府", "市政府各部门", "高度重视", "明确责任分工",
         "认真组织实施", "确保各项工作落到实处", "财政预算", "道路改造", "供水安排", "应急管理",
         "生态环境", "城乡规划", "义务教育", "医疗保障", "养老服务", "安全生产", "营商环境")
CODE = """```python
def total(values: list[int]) -> int:
    # 合计：各区县上报的数量
    return sum(v for v in values if v > 0)
```
"""


def sentence(rng: random.Random) -> str:
    return "，".join(rng.choice(WORDS) + rng.choice(WORDS) for _ in range(rng.randint(2, 5))) + "。"


def png(rng: random.Random) -> bytes:
    # Not a valid image, but bytes like one: a header and random data (no NUL-free text).
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(20_000)


def make_site(root: Path, pages: int, rng: random.Random) -> Path:
    docs = root / "docs"
    (docs / "img").mkdir(parents=True)
    (docs / "img" / "photo.png").write_bytes(png(rng))
    names = [f"通知{i:04d}" if i % 3 == 0 else f"page{i:04d}" for i in range(pages)]
    for i, name in enumerate(names):
        body = [f"# 关于{rng.choice(WORDS)}的通知（第{i}号）\n"]
        for k in range(rng.randint(4, 10)):
            body.append(" ".join(sentence(rng) for _ in range(3)))
            if k == 1:
                body.append(CODE)
            if k == 2:
                body.append("| 项目 | 金额 |\n|---|---|\n| 道路改造 | 120 |\n| 供水安排 | 80 |\n")
            if k == 3:
                body.append(f"![现场照片](img/photo.png)\n\n见[上一份通知]({names[i - 1]}.md)。")
        (docs / f"{name}.md").write_text("\n\n".join(body) + "\n", encoding="utf-8")
    (docs / "index.md").write_text("# 首页\n\n欢迎访问。\n", encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        "site_name: 测试站点\nsite_url: https://example.gov.cn/\ntheme:\n  name: material\n"
        "  language: zh\n  features: [navigation.instant, search.suggest, content.code.copy]\n"
        "plugins:\n  - search\nmarkdown_extensions:\n  - pymdownx.highlight\n"
        "  - pymdownx.superfences\n  - tables\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q"], cwd=root, check=True)
    return root / "site"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--withheld", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", type=Path, default=None, help="build into this directory and keep it")
    ap.add_argument("--plain", action="store_true", help="the needles only: no reversed or projected ones")
    args = ap.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        site = root / "site"
        if not site.exists():
            site = make_site(root, args.pages, rng)
        needles: dict[str, str] = {}
        sources = []
        for i in range(args.withheld):
            text = "\n".join(f"第{i}号内部事项：" + "".join(rng.choice("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉")
                                                        for _ in range(24)) for _ in range(5))
            sources.append((text, f"withheld page w{i}.md", False))
            for n in needles_from_text(text):
                needles[n] = f"withheld page w{i}.md"
        published = [p.read_text(encoding="utf-8") for p in sorted((root / "docs").glob("*.md"))]
        scanner = (LeakScanner(needles) if args.plain
                   else scanner_from_inputs(sources, published, []))
        size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        files = sum(1 for p in site.rglob("*") if p.is_file())
        times, cpu, hits = [], [], []
        for _ in range(args.runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            hits = scanner.scan_dir(site)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        for h in hits:
            print(h.render())
        med, med_cpu = statistics.median(times), statistics.median(cpu)
        print(f"bytes={size} files={files} needles={scanner.needle_count} "
              f"projected={scanner.projected_count} median_s={med:.3f} "
              f"mb_s={size / med / 1e6:.1f} cpu_s={med_cpu:.3f} cpu_mb_s={size / med_cpu / 1e6:.1f} "
              f"best_cpu_mb_s={size / min(cpu) / 1e6:.1f} "
              f"hits={len(hits)}")


if __name__ == "__main__":
    main()
