"""Benchmark: compiled PDF reports at 100, 1,000, 3,000 and 10,000 submissions, both layouts.

1. **U**: one WeasyPrint render of a plain 100-page document in this run (the machine is noisy,
   so every time is also given in U).
2. A throwaway SQLite database with ``seed_demo`` data. ``--distinct`` (12) full reports are
   rendered for real through ``submission_pdf_ensure`` (its PDF and its compilation edition);
   every other submission gets hard links to one of those files with its page count and page
   map, as if its own had been rendered at submit time (rendering 10,000 real ones would take
   hours and measure nothing new).
3. For each size and layout, a fresh process compiles the first N submitted reports
   (``compilation_build``, as the worker does) and reports wall time, peak memory (its own
   peak resident size plus its child's), pages and file size.
4. At ``--single-pass`` reports (100), the same full reports laid out by WeasyPrint in one pass,
   for the ratio (goal: compilation at least 20× faster). It is also what contributions sharing
   pages would cost: they would have to be laid out again at compile time.
5. The options for the compilation's page numbers and running heads (docs/decisions/0010):
   the full layout at 1,000 without stamping (the cost of stamping, by difference); the cost of
   rendering the compilation edition at submission, next to the report's own PDF; and what
   removing the reports' margin boxes in the merge would cost instead — inflating every copied
   page's content, cutting its artifacts out and compressing it again — timed per page on the
   rendered reports and multiplied by the pages of 1,000 full reports.

Goals: 1,000 full reports in at most 1 U and under 300 MB, stamped; by Action Line 1,000 in at
most 1 U; 3,000 in at most 3.2× the 1,000 time; 10,000 in at most 11× the 1,000 time and under
twice the 1,000 memory. Prints a table, then the same figures as one JSON line.

    .venv/bin/python bench/compile.py [--sizes 100 1000 3000] [--single-pass 100] [--distinct 12]
        [--repeat 1] [--data DIR]

``--data DIR`` keeps the prepared database and PDFs in DIR and uses them again when DIR already
holds them (preparing 3,000 reports takes a minute or two); without it they go to a temporary
directory that is removed at the end. ``--repeat N`` compiles each size N times and reports the
median time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def django_setup(var_dir: str) -> None:
    os.environ.update(
        {
            "VAR_DIR": var_dir,
            "DATABASE_URL": f"sqlite:///{var_dir}/bench.sqlite3",
            "DJANGO_SETTINGS_MODULE": "wsis_portal.settings",
            "LOG_LEVEL": "ERROR",
        }
    )
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()


def _hwm_mb(pid: int | str = "self") -> float:
    """A process's peak resident size (``VmHWM``): unlike ``ru_maxrss``, which keeps the peak of
    the process image before ``exec`` (so a process started by a big parent reports the parent's
    size), it belongs to this program alone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class ChildWatch:
    """Polls this process's children's peak resident size while the compilation runs (its
    pages are copied in a child process)."""

    def __init__(self, interval: float = 0.02) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def _run(self, interval: float) -> None:
        me = os.getpid()
        while not self._stop.wait(interval):
            try:
                children = Path(f"/proc/{me}/task/{me}/children").read_text().split()
            except OSError:
                children = []
            for pid in children:
                # Only once it runs the merge: between fork and exec a child still reports the
                # parent's peak as its own.
                try:
                    command = Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if b"reports.compilation.merge" in command:
                    self.peak = max(self.peak, _hwm_mb(pid))

    def __enter__(self) -> ChildWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def peak_mb(children: float = 0.0) -> float:
    """Peak resident size of this process plus that of its largest child (the compilation copies
    the reports' pages in a child process while it lays out its own pages): an upper bound."""
    return _hwm_mb() + children


def measure_u() -> float:
    """Seconds for one WeasyPrint render (layout + PDF) of a plain 100-page document; best of two."""
    from weasyprint import HTML

    sys.path.insert(0, str(ROOT / "bench"))
    from pdf_render import reference_html, reference_paragraphs_for

    html = reference_html(reference_paragraphs_for(100))
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        HTML(string=html).render().write_pdf()
        best = min(best, time.perf_counter() - started)
    return best


def prepare(var_dir: str, reports: int, distinct: int) -> list[int]:
    """Seed the database and give every submission a PDF; return submitted report ids in order."""
    from django.core.management import call_command

    from reports.delivery import runner as delivery
    from reports.demo import DEMO_CYCLE_SLUG, demo_seed
    from reports.models import Submission

    call_command("migrate", verbosity=0)
    demo_seed(reports=reports, seed=2025)
    # The demo cycle's submissions (the seed also fills an earlier cycle, which is not compiled).
    subs = list(
        Submission.objects.filter(report__cycle__slug=DEMO_CYCLE_SLUG)
        .select_related("report__entity")
        .order_by("report_id")
    )
    originals = []
    for sub in subs[:distinct]:
        originals.append(delivery.submission_pdf_ensure(submission=sub))
    media = Path(var_dir) / "media"
    updates = []
    for index, sub in enumerate(subs[distinct:]):
        source = originals[index % distinct]
        name = f"submissions/bench/{sub.pk}.pdf"
        edition_name = f"submissions/bench/{sub.pk}-edition.pdf"
        target = media / name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(media / source.pdf.name, target)
        os.link(media / source.pdf_page_map["edition"]["name"], media / edition_name)
        sub.pdf.name = name
        sub.pdf_pages = source.pdf_pages
        edition = {
            **source.pdf_page_map["edition"],
            "name": edition_name,
            # as the entity stands (its mark is printed in the edition)
            "verified": sub.report.entity.verification == "verified",
        }
        sub.pdf_page_map = {**source.pdf_page_map, "edition": edition}
        updates.append(sub)
    Submission.objects.bulk_update(updates, ["pdf", "pdf_pages", "pdf_page_map"], batch_size=500)
    return list(dict.fromkeys(s.report_id for s in subs))  # each report once (some submitted twice)


def child(args) -> None:
    """One compilation (or the single pass) in this fresh process; prints one JSON line."""
    django_setup(args.var_dir)
    from reports.compilation import build as compilation
    from reports.demo import DEMO_CYCLE_SLUG

    ids = tuple(json.loads(Path(args.ids).read_text())[: args.n])
    selection = compilation.Selection(cycle=DEMO_CYCLE_SLUG, layout=args.layout, report_ids=ids)
    if args.no_stamp:
        compilation.STAMP_PAGES = False
    out = Path(args.var_dir) / f"out-{args.layout}-{args.n}{'-single' if args.single else ''}.pdf"
    with ChildWatch() as watch:
        started = time.perf_counter()
        if args.single:
            pages = single_pass(selection, out)
        else:
            built = compilation.compilation_build(selection, out)
            pages = built.pages
        seconds = time.perf_counter() - started
    peak = peak_mb(watch.peak)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": peak,
                "parent_mb": _hwm_mb(),
                "child_mb": watch.peak,
                "pages": pages,
                "bytes": out.stat().st_size,
            }
        )
    )


def single_pass(selection, out: Path) -> int:
    """The same reports laid out by WeasyPrint in one document (bodies of their print HTML)."""
    from weasyprint import HTML

    from reports.compilation import build as compilation
    from reports.document import pdf
    from reports.models import Submission

    subs = compilation.selection_submissions(selection)
    full = Submission.objects.in_bulk([s.pk for s in subs])
    head, bodies = "", []
    for source in subs:
        sub = full[source.pk]
        html = pdf.document_html(sub.content, number=sub.number, submitted_at=sub.submitted_at)
        head_match = re.search(r"<head>.*?</head>", html, re.S)
        body_match = re.search(r"<body[^>]*>(.*)</body>", html, re.S)
        assert head_match, "a report's HTML without a head"
        assert body_match, "a report's HTML without a body"
        head = head or head_match.group(0)
        bodies.append(body_match.group(1))
    html = f"<!doctype html><html lang='en'>{head}<body class='doc-print'>{''.join(bodies)}</body></html>"
    document = HTML(string=html, base_url=pdf.PDF_BASE_URL, url_fetcher=pdf.StaticFilesFetcher()).render()
    document.write_pdf(out)
    return len(document.pages)


def run_child(
    var_dir: str, ids_path: str, n: int, layout: str, single: bool = False, no_stamp: bool = False
) -> dict:
    cmd = [sys.executable, __file__, "--child", "--var-dir", var_dir, "--ids", ids_path, "--n", str(n),
           "--layout", layout]  # fmt: skip
    if single:
        cmd.append("--single")
    if no_stamp:
        cmd.append("--no-stamp")
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 3000, 10000])
    parser.add_argument(
        "--single-pass", type=int, default=100, help="Reports in the single-pass comparison (0: skip)."
    )
    parser.add_argument("--distinct", type=int, default=12, help="Report PDFs rendered for real.")
    parser.add_argument("--repeat", type=int, default=1, help="Compilations per size (median reported).")
    parser.add_argument("--data", help="Directory for the prepared data, kept and used again.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--var-dir", help=argparse.SUPPRESS)
    parser.add_argument("--ids", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--layout", default="full", help=argparse.SUPPRESS)
    parser.add_argument("--single", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-stamp", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    var_dir = args.data or tempfile.mkdtemp(prefix="wsis-bench-compile-")
    Path(var_dir).mkdir(parents=True, exist_ok=True)
    try:
        run_bench(args, var_dir)
    finally:
        if not args.data:
            shutil.rmtree(var_dir, ignore_errors=True)


def run_bench(args, var_dir: str) -> None:
    django_setup(var_dir)
    u = measure_u()
    print(f"U (one WeasyPrint render of a plain 100-page document): {u:.2f} s", flush=True)
    largest = max(args.sizes)
    ids_path = str(Path(var_dir) / "ids.json")
    if Path(ids_path).exists() and len(json.loads(Path(ids_path).read_text())) >= largest:
        print(f"using the reports prepared in {var_dir}", flush=True)
    else:
        started = time.perf_counter()
        # About 56 % of the demo's reports are submitted ones of the demo cycle.
        ids = prepare(var_dir, reports=int(largest / 0.55) + 20, distinct=args.distinct)
        if len(ids) < largest:
            raise SystemExit(f"only {len(ids)} submitted reports; seed more")
        Path(ids_path).write_text(json.dumps(ids))
        print(f"prepared {len(ids)} submitted reports in {time.perf_counter() - started:.1f} s", flush=True)

    rows = []
    for layout in ("full", "action-line"):
        for n in args.sizes:
            results = [run_child(var_dir, ids_path, n, layout) for _ in range(max(1, args.repeat))]
            result = sorted(results, key=lambda r: r["seconds"])[len(results) // 2]
            result["peak_mb"] = max(r["peak_mb"] for r in results)
            if len(results) > 1:
                result["all_seconds"] = [r["seconds"] for r in results]
            rows.append({"layout": layout, "reports": n, **result, "u": result["seconds"] / u})
            print(f"  {layout:<12} {n:>5}: {result['seconds']:.2f} s", flush=True)
    single = None
    if args.single_pass:
        single = run_child(var_dir, ids_path, args.single_pass, "full", single=True)
        single["u"] = single["seconds"] / u
        compiled = next(r for r in rows if r["layout"] == "full" and r["reports"] == args.single_pass)
        single["speedup"] = single["seconds"] / compiled["seconds"]

    options = stamping_options(var_dir, ids_path, args, u, rows)

    print()
    print(f"{'layout':<12} {'reports':>7} {'seconds':>8} {'in U':>6} {'peak MB':>8} {'pages':>7} {'MB':>7}")
    for r in rows:
        print(f"{r['layout']:<12} {r['reports']:>7} {r['seconds']:>8.2f} {r['u']:>6.2f} {r['peak_mb']:>8.0f} "
              f"{r['pages']:>7} {r['bytes'] / 1e6:>7.1f}")  # fmt: skip
    by = {(r["layout"], r["reports"]): r for r in rows}
    summary = {"u_seconds": round(u, 3), "rows": rows}
    for layout in ("full", "action-line"):
        base = by.get((layout, 1000))
        for n, goal in ((3000, 3.2), (10000, 11)):
            if base and (layout, n) in by:
                ratio = by[(layout, n)]["seconds"] / base["seconds"]
                summary[f"{layout}_{n}_over_1000"] = ratio
                print(f"{layout}: {n:,} / 1,000 time ratio {ratio:.2f} (goal ≤ {goal})")
        if base and (layout, 10000) in by:
            memory = by[(layout, 10000)]["peak_mb"] / base["peak_mb"]
            summary[f"{layout}_10000_memory_over_1000"] = memory
            print(f"{layout}: 10,000 / 1,000 peak memory ratio {memory:.2f} (goal < 2)")
    if options:
        summary["options"] = options
        print(
            f"stamping: full 1,000 {options['stamped_seconds']:.2f} s stamped, "
            f"{options['unstamped_seconds']:.2f} s without "
            f"({options['stamp_share'] * 100:.0f} % of the time); "
            f"edition at submission: {options['edition_over_pdf']:.2f}× the report PDF's render "
            f"({options['pdf_seconds']:.2f} s → +{options['edition_seconds']:.2f} s); "
            f"removing margin boxes in the merge instead: {options['strip_ms_per_page']:.2f} ms a page, "
            f"about {options['strip_seconds_1000_full']:.1f} s for 1,000 full reports"
        )
    if single:
        print(f"single WeasyPrint pass over {args.single_pass} full reports: {single['seconds']:.1f} s "
              f"({single['u']:.1f} U, {single['pages']} pages, {single['peak_mb']:.0f} MB); "
              f"compilation is {single['speedup']:.0f}× faster (goal ≥ 20)")  # fmt: skip
        summary["single_pass"] = single
    print(json.dumps(summary, default=lambda v: round(v, 3) if isinstance(v, float) else v))


def stamping_options(var_dir: str, ids_path: str, args, u: float, rows: list[dict]) -> dict | None:
    """The figures behind the choice of stamping pages with an edition rendered at submission."""
    full = next((r for r in rows if r["layout"] == "full" and r["reports"] == 1000), None)
    if full is None:
        return None
    unstamped = run_child(var_dir, ids_path, 1000, "full", no_stamp=True)
    from reports.delivery import submission_pdf
    from reports.document import pdf
    from reports.models import Submission

    sub = Submission.objects.select_related("report__entity", "report__cycle").order_by("pk").first()
    assert sub is not None
    timings = {"pdf": float("inf"), "edition": float("inf")}
    for _ in range(2):
        started = time.perf_counter()
        rendered = pdf.report_pdf(sub.content, number=sub.number, submitted_at=sub.submitted_at)
        timings["pdf"] = min(timings["pdf"], time.perf_counter() - started)
        started = time.perf_counter()
        submission_pdf.edition_render(sub)
        timings["edition"] = min(timings["edition"], time.perf_counter() - started)
    strip = strip_margin_boxes_ms(rendered.content)
    pages_1000 = full["pages"]
    return {
        "stamped_seconds": full["seconds"],
        "unstamped_seconds": unstamped["seconds"],
        "unstamped_peak_mb": unstamped["peak_mb"],
        "stamp_share": 1 - unstamped["seconds"] / full["seconds"],
        "pdf_seconds": timings["pdf"],
        "edition_seconds": timings["edition"],
        "edition_over_pdf": timings["edition"] / timings["pdf"],
        "strip_ms_per_page": strip,
        "strip_seconds_1000_full": strip * pages_1000 / 1000,
        "strip_u_1000_full": strip * pages_1000 / 1000 / u,
    }


def strip_margin_boxes_ms(content: bytes) -> float:
    """Milliseconds a page to take a tagged report's margin boxes (marked as artifacts) out of its
    content in the merge: inflate, cut, deflate — what the merge would do instead of stamping
    pages of an edition without them."""
    import io
    import zlib

    import pikepdf

    with pikepdf.open(io.BytesIO(content)) as document:
        streams = [
            page.obj["/Contents"].read_raw_bytes()
            for page in document.pages
            if isinstance(page.obj.get("/Contents"), pikepdf.Stream)
        ]
    artifact = re.compile(rb"/Artifact\b[^\n]*?BDC.*?EMC|/Artifact\s+BMC.*?EMC", re.S)
    started = time.perf_counter()
    for raw in streams:
        zlib.compress(artifact.sub(b"", zlib.decompress(raw)), 6)
    return (time.perf_counter() - started) * 1000 / max(len(streams), 1)


if __name__ == "__main__":
    main()
