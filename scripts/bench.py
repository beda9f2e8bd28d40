"""Benchmark: the gate's cost on top of a plain MkDocs build of the same site.

Generates, in seconds, a realistic signed portal with ``git fast-import``
(digests computed by the package itself), then builds it alternately with
plain MkDocs (plugin removed) and with the gate, prints medians and ratios.
The last line is machine-readable:

    pages=N plain_s=… gated_s=… ratio=… cpu_ratio=… check_s=… peak_mb=… signatures=ssh|git
    attachments=N small_fixed_s=… small_cpu_ratio=… small_peak_ratio=…

``ratio`` compares wall time, ``cpu_ratio`` user+system CPU time of the build
process and every process it starts (the gate's helper processes included).

``--attachments N`` (default 100, about one per 20 pages of the default 2,000;
0: none) puts N real attachments in the portal: PDFs, spreadsheets and Word
files written by scripts/attachbench.py's generators, each beside a published
page, linked from its Markdown and listed in its ``review.attachments`` (the
entry written by the package's own ``secrecy-gate attachments --write`` code)
before the four signatures, so both builds copy them and the gate reads them.

``--small N`` (default 100; 0: skip) also generates an N-page Material portal
with N/20 attachments and builds it plain and gated alternately: the gate's
fixed cost (gated − plain wall seconds), CPU and peak memory ratios on a small
site, where the issue's targets are ≤ 0.5 s and ≤ 1.3×.

``--signatures ssh`` (the default) signs every entry and approval of the portal
in-process with the sample's TEST ONLY keys (reviews/test-keys/), builds with
``signatures: ssh``, and prints the time to verify every entry's SSH signature
(``--verify-only``: generate and measure that alone).  ``--signatures git`` is the
site without keys, proven by git authors, for the comparison.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from secrecy_gate.core.digest import page_digest
from secrecy_gate.core.frontmatter import parse

import attachbench  # scripts/: the attachment generators (reportlab, openpyxl, python-docx)

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = {
    "editor": ("示例网站编辑", "editor@example.gov.cn"),
    "originator": ("示例起草人", "drafter@example.gov.cn"),
    "originator_head": ("示例科室负责人", "head@example.gov.cn"),
    "secrecy_office": ("示例保密审查员", "secrecy@example.gov.cn"),
    "leader": ("示例分管领导", "leader@example.gov.cn"),
}
STEPS = ("originator", "originator_head", "secrecy_office", "leader")
KEY_FILES = {"drafter@example.gov.cn": "drafter", "head@example.gov.cn": "head",
             "secrecy@example.gov.cn": "secrecy", "leader@example.gov.cn": "leader",
             "liaison@example.gov.cn": "liaison", "editor@example.gov.cn": "editor"}
SSH = {"on": True}  # --signatures: set in main()


def _key(who: str):
    """(private key, PublicKey) of a bench person: the sample's TEST ONLY keys."""
    from cryptography.hazmat.primitives.serialization import load_ssh_private_key
    from secrecy_gate.signatures import sshsig
    if who not in _KEYS:
        stem = ROOT / "reviews" / "test-keys" / KEY_FILES[PEOPLE[who][1]]
        priv = load_ssh_private_key(stem.read_bytes(), None)
        pub = sshsig.parse_public_key(stem.with_suffix(".pub").read_text())[0]
        _KEYS[who] = (priv, pub)
    return _KEYS[who]


_KEYS: dict = {}


def _sign(who: str, message: bytes) -> str:
    from secrecy_gate.signatures import messages, sshsig
    priv, pub = _key(who)
    return sshsig.sign_with(priv, pub, message, messages.NAMESPACE)


def roster_with_keys(text: str) -> str:
    """The sample roster with each person's TEST ONLY public key (if it lists none yet)."""
    if "keys:" in text:
        return text
    out = []
    for line in text.splitlines():
        out.append(line)
        if line.strip().startswith("emails: [") and SSH["on"]:
            email = line.split("[", 1)[1].split("]", 1)[0]
            pub = (ROOT / "reviews" / "test-keys" / (KEY_FILES[email] + ".pub")).read_text().split()
            out.append(f"    keys: ['{pub[0]} {pub[1]} TEST ONLY']")
    return "\n".join(out) + "\n"
PARA = ("为进一步做好政府信息公开工作，根据《中华人民共和国政府信息公开条例》有关规定，结合本市实际，"
        "现就有关事项通知如下。各单位要高度重视，明确责任分工，认真组织实施，确保各项工作落到实处。")


def record(i: int, disclosure: str, signatures: list[str], title: str, attachments: str = "") -> str:
    # 索引号 in the site's default format: documents 2026-NNNNN, section pages
    # (i = 100000 + s) 2025-NNNNN, the home page (i = 200000) 2024-00000.
    sigs = "".join(f"\n    - {s}" for s in signatures) if signatures else " []"
    return (f"---\ntitle: {title}\ndocument:\n  index_no: 620600-{2026 - i // 100000}-{i % 100000:05d}\n"
            f"  issuer: 武威市人民政府办公室\n  written: 2026-03-{1 + i % 28:02d}\n"
            f"review:\n  classification: 非密\n  disclosure: {disclosure}\n"
            f"  basis: 《中华人民共和国政府信息公开条例》第二十条\n  reason: 本机关制定的规范性文件，应当主动公开\n"
            f"  sensitive:\n    economic_data: false\n    historical_events: false\n"
            f"    pending_cases: false\n    cautious_matters: false\n    other_risks: false\n"
            f"  third_party: {{involved: false}}\n  lead_agency: wuwei-gov-office\n"
            f"  co_agencies: []\n{attachments}  consents: []\n  signatures:{sigs}\n---\n")


def body(i: int, version: int, rng: random.Random) -> str:
    paras = "\n\n".join(f"{k + 1}. {PARA}（第{i}号文件第{k + 1}项，版本{version}）"
                        for k in range(rng.randint(6, 14)))
    return f"\n# 关于第{i}号事项的通知\n\n各县、区人民政府，市政府各部门：\n\n{paras}\n\n武威市人民政府办公室\n"


class FastImport:
    def __init__(self, repo: Path):
        self.proc = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=repo,
                                     stdin=subprocess.PIPE)
        self.buf = io.BytesIO()
        self.mark = 0
        self.time = 1767225600  # 2026-01-01
        self.last = None

    def commit(self, who: str, message: str, files: dict[str, bytes]):
        name, email = PEOPLE[who]
        self.mark += 1
        self.time += 60
        w = self.buf.write
        w(f"commit refs/heads/main\nmark :{self.mark}\n".encode())
        ident = f"{name} <{email}> {self.time} +0800\n".encode()
        w(b"author " + ident + b"committer " + ident)
        msg = message.encode()
        w(f"data {len(msg)}\n".encode() + msg + b"\n")
        if self.last:
            w(f"from :{self.last}\n".encode())
        for path, data in files.items():
            w(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        w(b"\n")
        self.last = self.mark
        if self.buf.tell() > 8 << 20:
            self.flush()

    def next_date(self) -> str:
        """The date (+0800) the next commit will carry: what `sign` writes into its entry."""
        return time.strftime("%Y-%m-%d", time.gmtime(self.time + 60 + 8 * 3600))

    def flush(self):
        self.proc.stdin.write(self.buf.getvalue())
        self.buf = io.BytesIO()

    def close(self):
        self.buf.write(b"done\n")
        self.flush()
        self.proc.stdin.close()
        if self.proc.wait() != 0:
            raise SystemExit("git fast-import failed")


def attachment_entries(scratch: Path, rel: str, page: str, files: dict[str, bytes]) -> str:
    """The ``attachments:`` lines of ``page``'s record (at ``rel``, docs-relative) that list
    the linked ``files`` (name -> bytes, beside the page), as ``secrecy-gate attachments
    PAGE --write`` writes them: the package's own survey and writer, in a scratch docs_dir
    holding just this page and its files."""
    from secrecy_gate.desk import attachments as att
    from secrecy_gate.review.gate import GateConfig

    shutil.rmtree(scratch, ignore_errors=True)
    target = scratch / rel
    target.parent.mkdir(parents=True)
    target.write_text(page, encoding="utf-8")
    for name, data in files.items():
        (target.parent / name).write_bytes(data)
    (pf,) = att.survey(GateConfig(docs_dir=scratch, roster=scratch / "roster.yml"), [(target, rel)])
    if pf.error or sorted(f.state for f in pf.files) != [att.UNLISTED] * len(files):
        raise SystemExit(f"the attachments of {rel} are not seen as linked and unlisted: "
                         f"{pf.error or [(f.target, f.state) for f in pf.files]}")
    att.plan_write(pf)
    lines = pf.text.split("\n")
    start = lines.index("  attachments:")
    end = start + 1
    while lines[end].startswith("    "):
        end += 1
    block = "\n".join(lines[start:end]) + "\n"
    written = parse(pf.text).meta["review"]["attachments"]
    ours = parse(page.replace("  consents: []\n", block + "  consents: []\n", 1)).meta["review"]
    if len(written) != len(files) or ours.get("attachments") != written:
        raise SystemExit(f"the attachments of {rel} were not all listed: {written}")
    shutil.rmtree(scratch)
    return block


def signed_versions(i: int, disclosure: str, text_body: str, title: str, sign: bool, clock,
                    attachments: str = ""):
    """The page after each of its four signature commits (``attachments``: the record's
    ``attachments:`` lines, in the record before anyone signs)."""
    sigs: list[str] = []
    page = record(i, disclosure, sigs, title, attachments) + text_body
    yield "editor", page
    if not sign:
        return
    meta_doc = parse(page)
    digest = page_digest(meta_doc.meta, meta_doc.body)
    entries: list[dict] = []
    for step in STEPS:
        name = PEOPLE[step][0]
        entry = {"step": step, "name": name, "date": clock(), "opinion": disclosure, "digest": digest}
        line = (f"{{step: {step}, name: {name}, date: {entry['date']}, opinion: {disclosure}, "
                f"digest: \"{digest}\"")
        if SSH["on"]:
            from secrecy_gate.signatures import messages
            entry["sshsig"] = _sign(step, messages.entry_message("signature", entry, entries))
            line += f", sshsig: '{entry['sshsig']}'"
        entries.append(entry)
        sigs.append(line + "}")
        yield step, record(i, disclosure, sigs, title, attachments) + text_body


def site_record(repo: Path, config: str, titles: dict[str, str], day: str) -> tuple[bytes, list[bytes]]:
    """reviews/site.yml for this portal's build inputs, unapproved and after each approval."""
    from secrecy_gate.cli import load_site_config
    from secrecy_gate.desk.approve import write_approval
    from secrecy_gate.review import inputs

    (repo / "mkdocs.yml").write_text(config, encoding="utf-8")  # to list the inputs from
    current = inputs.site_inputs(*load_site_config(str(repo / "mkdocs.yml")), titles)
    digest = inputs.record_digest(current)
    path = repo / "reviews" / "site.yml"
    inputs.write_record(path, current)
    text = path.read_text(encoding="utf-8")
    out = []
    for who in ("secrecy_office", "leader"):
        entry = {"name": PEOPLE[who][0], "date": day, "digest": digest}
        if SSH["on"]:
            from secrecy_gate.signatures import messages
            entry["sshsig"] = _sign(who, messages.approval_message("inputs", entry["name"], day, digest))
        text = write_approval(path, text, entry, digest)
        out.append(text.encode())
    record = path.read_bytes()
    path.unlink()
    (repo / "mkdocs.yml").unlink()
    return record, out


FORMATS = {"pdf", "xlsx", "docx"}  # --attachment-formats: set in main()


def attachment_files(n: int) -> list[tuple[str, bytes, int]]:
    """N attachments as (name, bytes, pages or rows), 2/3 PDFs, 2/9 spreadsheets, the rest Word
    files (a format left out of --attachment-formats: PDFs instead), in a fixed shuffled order
    (scripts/attachbench.py's generators)."""
    xlsx = n * 2 // 9 if "xlsx" in FORMATS else 0
    docx = n - n * 2 // 3 - n * 2 // 9 if "docx" in FORMATS else 0
    files = attachbench.make_files(n - xlsx - docx, xlsx, docx)
    random.Random(11).shuffle(files)
    return files


def generate(repo: Path, pages: int, edits: int, seed: int = 7, theme: str = "mkdocs",
             attachments: int = 0) -> dict:
    """A signed portal of ``pages`` pages in ``repo``; ``attachments`` files spread evenly over
    its published pages (one each), linked and listed in their records before signing."""
    rng = random.Random(seed)
    files = attachment_files(attachments) if attachments else []
    scratch = repo.parent / (repo.name + "-scratch")
    attached: list[str] = []  # docs-relative paths of the attachments
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    fi = FastImport(repo)
    sections = max(1, pages // 200)
    roster = roster_with_keys((ROOT / "reviews" / "roster.yml").read_text(encoding="utf-8")).encode()
    base = {"reviews/roster.yml": roster, ".gitignore": b"site/\n"}
    nav = ["  - 首页: index.md"]
    index_body = "# 政府信息公开\n\n" + "\n".join(f"- [第{s + 1}栏目](s{s:02d}/index.md)" for s in range(sections))
    section_lists = {s: [] for s in range(sections)}
    for s in range(sections):
        nav.append(f"  - 第{s + 1}栏目: s{s:02d}/index.md")
    fi.commit("editor", "站点初始化", base)
    withheld = 0
    first_version = {}
    for i in range(pages):
        s = i % sections
        title = f"关于第{i}号事项的通知"
        path = f"content/s{s:02d}/doc{i:05d}.md"
        kind = rng.random()
        disclosure, sign = "主动公开", True
        if kind < 0.03:
            sign = False  # a draft
        elif kind < 0.05:
            disclosure = "不予公开"
        if not sign or disclosure != "主动公开":
            withheld += 1
        section_lists[s].append(f"- [{title}](doc{i:05d}.md)")
        text_body = body(i, 1, rng)
        block, link, extra = "", "", {}
        # Published pages only, and evenly: by page i, (i + 1) * N / pages of them (one ahead, so
        # that withheld pages at the end leave none over).
        if sign and disclosure == "主动公开" and len(attached) < min(len(files), (i + 1) * len(files) // pages + 1):
            name, data, _ = files[len(attached)]
            fname = f"doc{i:05d}-{name}"
            link = f"\n附件：[{name}]({fname})\n"
            rel = path.removeprefix("content/")
            block = attachment_entries(scratch, rel, record(i, disclosure, [], title) + text_body + link,
                                       {fname: data})
            text_body += link
            extra = {f"content/s{s:02d}/{fname}": data}
            attached.append(f"s{s:02d}/{fname}")
        first_version[i] = (path, disclosure, title, sign, block, link)
        for who, page in signed_versions(i, disclosure, text_body, title, sign, fi.next_date, block):
            fi.commit(who, f"{who}: {path}", {path: page.encode(), **(extra if who == "editor" else {})})
    # Some pages edited later and signed again.
    for i in rng.sample(range(pages), min(edits, pages)):
        path, disclosure, title, sign, block, link = first_version[i]
        if not sign:
            continue
        text_body = body(i, 2, rng) + link  # an attachment stays, linked and listed as before
        for who, page in signed_versions(i, disclosure, text_body, title, True, fi.next_date, block):
            fi.commit(who, f"{who}: {path} (revised)", {path: page.encode()})
    # Section pages and the home page, signed as well.
    for s in range(sections):
        text_body = f"\n# 第{s + 1}栏目\n\n" + "\n".join(section_lists[s]) + "\n"
        for who, page in signed_versions(100000 + s, "主动公开", text_body, f"第{s + 1}栏目", True, fi.next_date):
            fi.commit(who, f"{who}: section {s}", {f"content/s{s:02d}/index.md": page.encode()})
    for who, page in signed_versions(200000, "主动公开", "\n" + index_body + "\n", "首页", True, fi.next_date):
        fi.commit(who, f"{who}: home", {"content/index.md": page.encode()})
    config = ("site_name: 基准测试门户\nsite_url: https://bench.example.gov.cn/\ndocs_dir: content\n"
              + (f"theme:\n  name: {theme}\n" if theme != "mkdocs" else "")
              + "nav:\n" + "\n".join(nav) + "\n")
    plain = config + "plugins:\n  - search\n"
    gated = config + "plugins:\n  - search\n  - secrecy-gate:\n      fail_on_withheld: false\n"
    if SSH["on"]:
        gated += "      signatures: ssh\n"
    titles = {"index.md": "首页", **{f"s{s:02d}/index.md": f"第{s + 1}栏目" for s in range(sections)}}
    inputs_record, approved = site_record(repo, gated, titles, fi.next_date())
    fi.commit("editor", "mkdocs.yml", {"mkdocs.yml": gated.encode(), "mkdocs-plain.yml": plain.encode(),
                                        "reviews/site.yml": inputs_record})
    # The build inputs approved by the roster's two administrators, each in a commit of their own.
    for i, who in enumerate(("secrecy_office", "leader")):
        fi.commit(who, f"构建输入 管理员批准：{PEOPLE[who][0]}", {"reviews/site.yml": approved[i]})
    fi.close()
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=repo, check=True)
    commits = int(subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=repo, check=True,
                                 capture_output=True, text=True).stdout)
    if len(attached) != len(files):
        raise SystemExit(f"only {len(attached)} of {len(files)} attachments found a published page")
    return {"commits": commits, "withheld": withheld, "attached": attached, "files": files}


# Starts the measured command and reports its wall, CPU and peak RSS.  Linux keeps, across
# exec, the peak RSS of the process image a child was forked from: a build started straight
# from this script (which holds the generated portals, attachments and the package) would
# report at least this script's size, plain and gated alike.  Started from this small
# interpreter instead, the build's peak is its own.
MEASURE = r"""
import os, subprocess, sys, time
t0 = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(f"\nMEASURED {time.perf_counter() - t0} {usage.ru_utime + usage.ru_stime} {usage.ru_maxrss} "
      f"{os.waitstatus_to_exitcode(status)}", file=sys.stderr)
"""


def run(cmd: list[str], cwd: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system, children included) and peak RSS (MB) of one
    child process (measured by MEASURE)."""
    proc = subprocess.run([sys.executable, "-S", "-c", MEASURE, *cmd], cwd=cwd,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.decode("utf-8", "replace")
    last = err.rstrip().rsplit("\n", 1)[-1].split()
    if proc.returncode != 0 or not last or last[0] != "MEASURED" or last[4] != "0":
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err[-3000:]}")
    # wait4's rusage covers the child and the grandchildren it waited for (git, helpers);
    # the peak is the largest of them, not their sum.
    return float(last[1]), float(last[2]), int(last[3]) / 1024


SERVE_PROBE = r"""
import sys, time, logging
from pathlib import Path
logging.disable(logging.WARNING)
from mkdocs.commands.build import build
from mkdocs.config import load_config
config_file, page, out = sys.argv[1:4]
url = "http://127.0.0.1:8000/"
def rebuild():
    cfg = load_config(config_file=config_file, site_dir=out)  # as `mkdocs serve` does each time
    cfg.plugins.on_startup(command="serve", dirty=False)
    t0 = time.perf_counter()
    build(cfg, serve_url=url)
    return time.perf_counter() - t0
rebuild()
p = Path(page)
original = p.read_text(encoding="utf-8")
times = []
try:
    for n in range(int(sys.argv[4])):  # edit the page again before every rebuild
        p.write_text(original + f"\n\n编辑后的第{n + 1}段文字。\n", encoding="utf-8")
        times.append(rebuild())
finally:
    p.write_text(original, encoding="utf-8")
print(sorted(times)[len(times) // 2])
"""


def time_serve_rebuild(repo: Path, config: str, out: Path, runs: int) -> float:
    """Median seconds of ``runs`` `mkdocs serve`-style rebuilds, each after editing one page
    (plugin instance kept, as `mkdocs serve` keeps it)."""
    page = next((repo / "content").rglob("doc*.md"))
    proc = subprocess.run([sys.executable, "-c", SERVE_PROBE, config, str(page), str(out), str(runs)],
                          cwd=repo,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"serve probe failed:\n{proc.stderr[-3000:]}")
    return float(proc.stdout.strip().splitlines()[-1])


def time_scanners(repo: Path) -> tuple[float, float]:
    """Seconds and MB for the body scanners (markings, notes, PII, redaction, hints) over every page."""
    from secrecy_gate.scanners import (Lexicon, apply_redactions, find_disclosure_notes,
                                       find_markings, find_pii)
    bodies = []
    for p in sorted((repo / "content").rglob("*.md")):
        try:
            bodies.append(parse(p.read_bytes()).body)
        except ValueError:
            continue
    lexicon = Lexicon.default()
    t0 = time.perf_counter()
    for b in bodies:
        red = apply_redactions(b)
        find_markings(red.text)
        find_disclosure_notes(red.text)
        find_pii(red.text)
        lexicon.hints(red.text, {})
    return time.perf_counter() - t0, sum(len(b.encode()) for b in bodies) / 1e6


def time_staging(repo: Path) -> tuple[float, float, int]:
    """Seconds to write the approved-only tree of the whole portal (build/stage.py) on disk
    beside docs_dir (as `secrecy-gate build` does) and in memory (as the plugin does, where
    /dev/shm has room), and the number of files written."""
    from secrecy_gate.build.stage import memory_dir, staged_bytes, write_stage
    from secrecy_gate.cli import load_gate_config
    from secrecy_gate.review.gate import Gate

    gc = load_gate_config(str(repo / "mkdocs.yml"))
    review = Gate(gc).review()
    times = []
    for memory in (None, memory_dir(staged_bytes(review, gc.docs_dir))):
        t0 = time.perf_counter()
        stage = write_stage(review, gc.docs_dir, repo, memory)
        times.append(time.perf_counter() - t0)
        count = len(stage.pages) + len(stage.files)
        stage.remove()
    return times[0], times[1], count


def time_zensical(repo: Path, runs: int) -> tuple[list[float], list[float]]:
    """Plain `zensical build` of the portal against `secrecy-gate build --generator zensical`
    (review, stage, Zensical, leak scan), alternately; wall seconds of each."""
    py = sys.executable
    plain, gated = [], []
    for _ in range(runs):
        plain.append(run([py, "-m", "zensical", "build", "--clean", "-f", "mkdocs-plain.yml"], repo)[0])
        gated.append(run([py, "-m", "secrecy_gate.cli", "build", "--generator", "zensical"], repo)[0])
    return plain, gated


def time_verification(repo: Path) -> tuple[float, int, int, int]:
    """Seconds to verify every entry's SSH signature of every page (in-process, one core),
    with the number of pages, entries and entries verified valid."""
    from secrecy_gate.core.record import parse_record
    from secrecy_gate.signatures import entries as proofs
    records = []
    for p in sorted((repo / "content").rglob("*.md")):
        doc = parse(p.read_bytes())
        rec, _ = parse_record(doc.meta, p.name)
        if rec is not None:
            records.append(rec)
    proofs._verify.cache_clear()
    t0 = time.perf_counter()
    valid = total = 0
    for rec in records:
        for proof in proofs.prove_record(rec).values():
            total += 1
            valid += proof.key is not None
    return time.perf_counter() - t0, len(records), total, valid


def time_attachments(files: list[tuple[str, bytes, int]], gated_s: float) -> float:
    """Seconds to read and scan the portal's attachments cold, as the gate does
    (scripts/attachbench.py's measure, in this process, one core); printed per format with
    the share of the gated build, which includes this work."""
    from secrecy_gate.scanners.documents import DocumentCache
    stats = attachbench.measure(files, DocumentCache())
    total = sum(st[3] for st in stats.values())
    per = ", ".join(f"{fmt} {int(st[0])} files {st[1] / 1e6:.1f} MB {st[3]:.2f}s" for fmt, st in stats.items())
    print(f"reading the attachments cold: {per}; {total:.2f}s in all "
          f"({total / gated_s:.0%} of the gated build's wall time)")
    return total


def judge(repo: Path, info: dict) -> None:
    """`secrecy-gate check` withholds exactly the pages the generator meant and publishes every
    attachment it placed: otherwise the builds would not compare like with like."""
    proc = subprocess.run([sys.executable, "-m", "secrecy_gate.cli", "check", "--format", "json"],
                          cwd=repo, capture_output=True, text=True)
    try:
        judged = json.loads(proc.stdout)
    except ValueError:
        sys.exit(f"secrecy-gate check gave no JSON:\n{proc.stderr[-3000:]}")
    gate_withheld = sum(p["outcome"] == "withhold" for p in judged["pages"])
    if gate_withheld != info["withheld"]:
        sys.exit(f"the gate withholds {gate_withheld} pages, the generator meant {info['withheld']}: "
                 "the builds would not compare like with like; fix the generator")
    files = {f["path"]: f for f in judged["files"]}
    held = [f"{a}: {files[a]['reason'] if a in files else 'not judged'}" for a in info["attached"]
            if not files.get(a, {}).get("published")]
    if held:
        sys.exit(f"the gate withholds {len(held)} of the {len(info['attached'])} attachments: "
                 + "; ".join(held[:5]) + "; fix the generator")


def build_pairs(repo: Path, out: Path, runs: int, attached: list[str], label: str = "") -> dict:
    """``runs`` plain and gated builds, alternately: wall and CPU seconds, peak MB of each;
    both outputs must hold every attachment."""
    py = sys.executable
    r = {k: [] for k in ("plain_t", "plain_c", "plain_m", "gated_t", "gated_c", "gated_m")}
    for n in range(runs):
        for kind, config in (("plain", "mkdocs-plain.yml"), ("gated", "mkdocs.yml")):
            t, c, m = run([py, "-m", "mkdocs", "build", "-q", "-f", config, "-d", str(out / kind)], repo)
            r[kind + "_t"].append(t), r[kind + "_c"].append(c), r[kind + "_m"].append(m)
        print(f"{label}run {n + 1}: plain {r['plain_t'][-1]:.2f}s ({r['plain_c'][-1]:.2f}s CPU) "
              f"{r['plain_m'][-1]:.0f}MB, gated {r['gated_t'][-1]:.2f}s ({r['gated_c'][-1]:.2f}s CPU) "
              f"{r['gated_m'][-1]:.0f}MB", flush=True)
    for kind in ("plain", "gated"):
        missing = [a for a in attached if not (out / kind / a).is_file()]
        if missing:
            sys.exit(f"the {kind} build did not copy {len(missing)} attachments, e.g. {missing[0]}")
    return r


def small_site(tmp: Path, pages: int, runs: int) -> dict:
    """The gate's fixed cost on a small Material site (issue 15: ≤ 0.5 s, memory ≤ 1.3×):
    ``pages`` pages with pages/20 attachments, built plain and gated alternately."""
    repo = tmp / "small"
    t0 = time.perf_counter()
    info = generate(repo, pages, pages // 10, theme="material", attachments=max(1, pages // 20))
    judge(repo, info)
    print(f"small site: {pages} Material pages, {info['withheld']} withheld, {len(info['attached'])} "
          f"attachments published, generated and checked in {time.perf_counter() - t0:.1f}s", flush=True)
    r = build_pairs(repo, tmp / "small-out", runs, info["attached"], "small ")
    med = {k: statistics.median(v) for k, v in r.items()}
    out = {"plain_s": med["plain_t"], "gated_s": med["gated_t"],
           "fixed_s": statistics.median(g - p for g, p in zip(r["gated_t"], r["plain_t"])),
           "cpu_ratio": med["gated_c"] / med["plain_c"],
           "peak_ratio": max(r["gated_m"]) / max(r["plain_m"])}
    print(f"small site ({pages} pages, Material, {len(info['attached'])} attachments): plain median "
          f"{out['plain_s']:.2f}s, gated median {out['gated_s']:.2f}s, fixed cost {out['fixed_s']:+.2f}s "
          f"(median of the runs' gated − plain); CPU plain {med['plain_c']:.2f}s, gated "
          f"{med['gated_c']:.2f}s, ratio {out['cpu_ratio']:.3f}; peak RSS plain {max(r['plain_m']):.0f}MB, "
          f"gated {max(r['gated_m']):.0f}MB (×{out['peak_ratio']:.2f})", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--edits", type=int, default=None, help="pages edited and re-signed (default pages/10)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", type=Path, default=None, help="generate into this directory and keep it")
    ap.add_argument("--theme", choices=("mkdocs", "material"), default="mkdocs",
                    help="the portal's theme (Zensical builds only Material's)")
    ap.add_argument("--zensical", action="store_true",
                    help="also time plain Zensical against `secrecy-gate build --generator zensical` "
                         "(implies --theme material)")
    ap.add_argument("--signatures", choices=("ssh", "git"), default="ssh",
                    help="sign the portal's entries with the TEST ONLY SSH keys (ssh, default) or not")
    ap.add_argument("--verify-only", action="store_true",
                    help="generate, time the SSH verification of every entry, and stop")
    ap.add_argument("--attachments", type=int, default=100, metavar="N",
                    help="put N attachments (2/3 PDFs, 2/9 spreadsheets, 1/9 Word; default 100, 0: none) "
                         "beside the portal's published pages, linked and listed in their records, and "
                         "time reading them as the gate does (scripts/attachbench.py)")
    ap.add_argument("--small", type=int, default=100, metavar="N",
                    help="also build an N-page Material site with N/20 attachments plain and gated "
                         "(default 100, 0: skip): the gate's fixed cost and memory on a small site")
    ap.add_argument("--attachment-formats", default="pdf,xlsx,docx", metavar="LIST",
                    help="the attachments' formats (default pdf,xlsx,docx; one left out: PDFs instead)")
    args = ap.parse_args()
    FORMATS.intersection_update(args.attachment_formats.split(","))
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")  # Material's banner
    if args.zensical:
        args.theme = "material"
    SSH["on"] = args.signatures == "ssh"
    edits = args.pages // 10 if args.edits is None else args.edits
    tmp = Path(tempfile.mkdtemp(prefix="sg-bench-"))
    repo = args.keep or tmp / "portal"
    try:
        t0 = time.perf_counter()
        info = generate(repo, args.pages, edits, theme=args.theme, attachments=args.attachments)
        gen_s = time.perf_counter() - t0
        att_mb = sum(len(d) for _, d, _ in info["files"]) / 1e6
        print(f"generated {args.pages} pages, {info['commits']} commits, {info['withheld']} withheld, "
              f"{len(info['attached'])} attachments ({att_mb:.1f} MB) in {gen_s:.1f}s at {repo}", flush=True)
        py = sys.executable
        if SSH["on"]:
            ver_s, npages, nentries, nvalid = time_verification(repo)
            print(f"SSH verification: {nentries} entries ({nvalid} valid) of {npages} pages in "
                  f"{ver_s:.2f}s = {1e6 * ver_s / max(nentries, 1):.0f} µs per entry", flush=True)
            if nvalid != nentries:
                sys.exit("some generated signatures do not verify: fix the generator")
            if args.verify_only:
                return
        judge(repo, info)
        print(f"secrecy-gate check: {info['withheld']} pages withheld as meant, all "
              f"{len(info['attached'])} attachments published", flush=True)
        r = build_pairs(repo, tmp, args.runs, info["attached"])
        plain_t, gated_t, plain_m, gated_m, plain_c, gated_c = (
            r[k] for k in ("plain_t", "gated_t", "plain_m", "gated_m", "plain_c", "gated_c"))
        check_t, _ = [], None
        for _ in range(args.runs):
            t0 = time.perf_counter()
            subprocess.run([py, "-m", "secrecy_gate.cli", "check", "--format", "json"], cwd=repo,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            check_t.append(time.perf_counter() - t0)
        serve_plain = time_serve_rebuild(repo, "mkdocs-plain.yml", tmp / "serve-plain", args.runs)
        serve_gated = time_serve_rebuild(repo, "mkdocs.yml", tmp / "serve-gated", args.runs)
        print(f"serve rebuild after editing one page (median of {args.runs}): plain {serve_plain:.2f}s, "
              f"gated {serve_gated:.2f}s ({serve_gated - serve_plain:+.2f}s)")
        scan_body_s, body_mb = time_scanners(repo)
        t0 = time.perf_counter()
        subprocess.run([py, "-m", "secrecy_gate.cli", "verify-site", str(tmp / "gated")], cwd=repo,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        verify_s = time.perf_counter() - t0
        out_mb = sum(f.stat().st_size for f in (tmp / "gated").rglob("*") if f.is_file()) / 1e6
        plain_s, gated_s = statistics.median(plain_t), statistics.median(gated_t)
        cpu_ratio = statistics.median(gated_c) / statistics.median(plain_c)
        # Each gated build against the plain build just before it: steadier than the ratio of
        # medians where the machine's speed drifts from minute to minute.
        pair = statistics.median(g / p for g, p in zip(gated_t, plain_t))
        pair_cpu = statistics.median(g / p for g, p in zip(gated_c, plain_c))
        print(f"content scanners: {body_mb:.1f} MB of Markdown in {scan_body_s:.2f}s = "
              f"{body_mb / scan_body_s:.1f} MB/s ({scan_body_s / gated_s:.0%} of the gated build)")
        print(f"verify-site (gate review + leak scan) over {out_mb:.0f} MB of output: {verify_s:.2f}s")
        stage_disk, stage_mem, staged = time_staging(repo)
        print(f"staging the approved-only tree ({staged} files): {stage_disk:.2f}s on disk "
              f"({stage_disk / statistics.median(gated_t):.1%} of the gated build), {stage_mem:.2f}s in memory")
        if args.zensical:
            zp, zg = time_zensical(repo, args.runs)
            print(f"zensical: plain median {statistics.median(zp):.2f}s, secrecy-gate build --generator "
                  f"zensical median {statistics.median(zg):.2f}s, ratio "
                  f"{statistics.median(g / p for g, p in zip(zg, zp)):.3f}")
        if info["files"]:
            time_attachments(info["files"], statistics.median(gated_t))
        small = small_site(tmp, args.small, args.runs) if args.small else None
        peak = max(gated_m)
        print(f"plain median {plain_s:.2f}s, gated median {gated_s:.2f}s, ratio {gated_s / plain_s:.3f}; "
              f"CPU plain {statistics.median(plain_c):.2f}s, gated {statistics.median(gated_c):.2f}s, "
              f"ratio {cpu_ratio:.3f}")
        print(f"median of the runs' own ratios: wall {pair:.3f}, CPU {pair_cpu:.3f}")
        print(f"check median {statistics.median(check_t):.2f}s; peak RSS plain {max(plain_m):.0f}MB, "
              f"gated {peak:.0f}MB (×{peak / max(plain_m):.2f})")
        print(f"pages={args.pages} plain_s={plain_s:.2f} gated_s={gated_s:.2f} "
              f"ratio={gated_s / plain_s:.3f} cpu_ratio={cpu_ratio:.3f} check_s={statistics.median(check_t):.2f} peak_mb={peak:.0f} "
              f"signatures={args.signatures} attachments={len(info['attached'])}"
              + (f" small_fixed_s={small['fixed_s']:.2f} small_cpu_ratio={small['cpu_ratio']:.3f} "
                 f"small_peak_ratio={small['peak_ratio']:.2f}" if small else ""))
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
