"""Benchmark: report PDFs with WeasyPrint — speed, memory, and a worker's memory over many renders.

Renders, from demo-like text (the bench's own generator over ``fixtures/demo_text.json``):

- a *short* report (executive summary, two Action Lines, a few indicators, the contact),
- a *full* report (every section and every Action Line filled, success stories, indicators),
- the *full report's HTML with a bare stylesheet* (the reference's): the same content without the
  portal's cover, contents, running header, page breaks and styling,
- a *plain reference* document of about 100 pages (the same text, font and page size; headings
  and paragraphs only),

``--repeat`` times each (interleaved) after a warm-up, and prints pages, the median seconds per
render (wall clock and CPU), pages per second and peak memory (the peak resident size of a fresh
process that rendered the document once). The ratio of the full report's pages per second to the
reference's is the issue's goal (at least 0.9); the full report against its bare-stylesheet twin
isolates what the portal's template and print stylesheet cost, from what the content costs.

Then what issue 18 asks of tagging and languages: the full report tagged (PDF/UA-1, as the portal
renders it) against the same report untagged (goal: tagged at most 1.3x the untagged time), and the
full report written in Arabic (a right-to-left page) and in Chinese against the English one, in
pages per second (goal for Arabic: at least 0.8 of the English). ``--languages-only`` runs only these.

Then the worker's memory: a billiard pool (Celery's prefork pool) with one process renders the
``--worker-report`` ``--renders`` times, with and without the recycling settings the worker runs
with (``CELERY_WORKER_MAX_TASKS_PER_CHILD``, ``CELERY_WORKER_MAX_MEMORY_PER_CHILD``); the pool
process's resident memory is read after render 10 and after the last one (goal: with recycling,
within 1.5× of the figure after 10).

Prints a table, then the same figures as one JSON line.

    .venv/bin/python bench/pdf_render.py [--repeat 5] [--renders 200] [--worker-report short]
    .venv/bin/python bench/pdf_render.py --languages-only [--repeat 5]
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REFERENCE_CSS = """
@page { size: A4; margin: 26mm 21mm 24mm 21mm; }
html { font-size: 9.5pt; }
body { font-family: "Noto Sans", sans-serif; line-height: 1.45; color: #1d2733; margin: 0; }
h2 { font-size: 14pt; margin: 8mm 0 2.5mm; }
p { margin: 0 0 2mm; }
"""


def django_setup() -> None:
    """A throwaway SQLite database holding the Action Lines (what the document template iterates)."""
    if os.environ.get("WSIS_BENCH_READY"):
        import django

        django.setup()
        return
    var_dir = tempfile.mkdtemp(prefix="wsis-bench-pdf-")
    os.environ.update(
        {
            "VAR_DIR": var_dir,
            "DATABASE_URL": f"sqlite:///{var_dir}/bench.sqlite3",
            "DJANGO_SETTINGS_MODULE": "wsis_portal.settings",
            "LOG_LEVEL": "ERROR",
            "WSIS_BENCH_READY": "1",
        }
    )
    os.environ.pop("CELERY_BROKER_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", "action_lines", verbosity=0)
    call_command("loaddata", "action_lines", verbosity=0)


# --- Documents ---------------------------------------------------------------------------------------


# The bench's own indicator rows and text writer (what ``reports/demo.py`` used to generate), so that
# its figures stay comparable from one version of the demo data to the next.
INDICATOR_ROWS = [
    ("Percentage of the population using the Internet", "%", "ITU World Telecommunication/ICT Indicators"),
    ("Mobile-cellular subscriptions per 100 inhabitants", "per 100", "National regulator"),
    ("Government services available online", "%", "UN E-Government Survey"),
    ("Fixed broadband connections", "connections", "National statistics office"),
    ("Cybersecurity initiatives launched", "initiatives", "National CERT"),
    ("People trained in digital skills", "people", "Ministry of Education"),
    ("Digital governance frameworks adopted", "frameworks", "Official gazette"),
    ("Schools connected to the Internet", "%", "Giga school connectivity mapping"),
]


def load_demo_text() -> dict[str, Any]:
    """``fixtures/demo_text.json``: real text from the source documents."""
    return json.loads((ROOT / "fixtures" / "demo_text.json").read_text(encoding="utf-8"))


class _Writer:
    def __init__(self, rng: random.Random, text: dict[str, Any]) -> None:
        self.rng = rng
        self.text = text
        self.pool = text["paragraphs_en"]
        self.recommendations = text["recommendations"]
        self.titles = text["session_titles"]

    def paragraphs(self, low: int, high: int) -> str:
        return "\n\n".join(self.rng.sample(self.pool, self.rng.randint(low, high)))

    def bullets(self, items: list[str], extra: int = 1) -> str:
        chosen = list(items) + self.rng.sample(self.recommendations, extra)
        return "\n".join(f"- {item}" for item in chosen)


@functools.cache
def report_document(kind: str, seed: int = 2025) -> dict[str, Any]:
    """A report document (the snapshot format) of demo-like text: ``short`` or ``full``."""
    from action_lines.models import ActionLine
    from reports.annex import NARRATIVE_FIELDS

    rng = random.Random(seed)
    writer = _Writer(rng, load_demo_text())
    full = kind == "full"
    lines = list(ActionLine.objects.in_template_order())
    covered = lines if full else lines[:2]

    def line_row(line) -> dict[str, Any]:
        if line not in covered:
            return {"code": line.code, "achievements": "", "challenges": "", "future_priorities": "",
                    "not_applicable": False, "success_stories": []}  # fmt: skip
        seed_text = writer.text["action_lines"].get(line.code, {"achievements": [], "challenges": []})
        stories = [
            {
                "title": rng.choice(writer.titles)[:300],
                "description": writer.paragraphs(1, 2),
                "url": f"https://www.example.org/stories/{line.slug}",
                "year": rng.randint(2005, 2025),
            }
            for _ in range(rng.randint(1, 2) if full else 1)
        ]
        return {
            "code": line.code,
            "achievements": writer.bullets(seed_text["achievements"], extra=3 if full else 1),
            "challenges": writer.bullets(seed_text["challenges"], extra=3 if full else 1),
            "future_priorities": writer.bullets([], extra=3 if full else 2),
            "not_applicable": False,
            "success_stories": stories,
        }

    narrative = {name: (writer.paragraphs(3, 4) if full else "") for name in NARRATIVE_FIELDS}
    narrative["executive_summary"] = writer.paragraphs(3, 4) if full else writer.paragraphs(2, 2)
    indicators = [
        {
            "indicator": name,
            "value": f"{rng.uniform(5, 99):.1f}",
            "unit": unit,
            "year": rng.randint(2015, 2025),
            "source": source,
            "note": "",
        }
        for name, unit, source in rng.sample(INDICATOR_ROWS, 8 if full else 3)
    ]
    return {
        "format": 1,
        "report_id": 1,
        "entity": {
            "id": 1,
            "name": "Ministry of Communications and Digital Economy of Kenya",
            "acronym": "MCDEKE",
            "stakeholder_type": "government",
            "stakeholder_type_label": "Government",
            "country": "KE",
            "country_name": "Kenya",
            "region": "africa",
            "region_name": "Africa",
            "website": "https://www.example.org",
        },
        "cycle": {"slug": "wsis20-2025", "name": "WSIS+20 review 2025"},
        "language": "en",
        "narrative": narrative,
        "action_lines": [line_row(line) for line in lines],
        "indicators": indicators,
        "contact": {
            "name": "Amina Diallo",
            "position": "WSIS Focal Point",
            "unit": "International Relations",
            "email": "focal.point@example.org",
            "phone": "+254 20 000 0000",
            "address": "Teleposta Towers\nNairobi",
        },
    }


# Text for the Arabic and Chinese twins of the full report: the English report's structure (the same
# fields filled, bullets as bullets, paragraphs as paragraphs, about as many characters) in sentences
# of the kind entities write, so that the comparison is between scripts, not between amounts of text.
SENTENCES = {
    "ar": [
        "عملت الوزارة خلال العقدين الماضيين على توسيع شبكات النطاق العريض لتشمل المناطق الريفية والنائية، "
        "بالشراكة مع مشغلي الاتصالات والقطاع الخاص.",
        "أُطلقت الاستراتيجية الوطنية للتحول الرقمي في عام 2019، وهي تضع الإنسان في صميم السياسات الرقمية "
        "وتربط أهدافها بأهداف التنمية المستدامة.",
        "ارتفعت نسبة السكان الذين يستخدمون الإنترنت من 12 في المائة عام 2005 إلى 78 في المائة عام 2024، "
        "وتقلصت الفجوة بين الجنسين في الوصول إلى الخدمات الرقمية.",
        "لا تزال تكلفة الأجهزة والاشتراكات عائقاً أمام الأسر ذات الدخل المنخفض، كما أن نقص المهارات الرقمية "
        "يحد من الاستفادة الكاملة من الخدمات الحكومية الإلكترونية.",
        "نعتزم في السنوات المقبلة تعزيز الأمن السيبراني وحماية البيانات الشخصية، وتوسيع برامج التدريب على "
        "المهارات الرقمية للشباب والنساء.",
        "ربطت مبادرة المدارس المتصلة أكثر من ألفي مدرسة بالإنترنت عالي السرعة، وزودت المعلمين بمحتوى "
        "تعليمي رقمي باللغة العربية.",
    ],
    "zh-hans": [
        "二十年来，本部致力于将宽带网络延伸到农村和偏远地区，并与电信运营商和私营部门建立了伙伴关系。",
        "国家数字化转型战略于2019年发布，以人为本，将数字政策目标与可持续发展目标相衔接。",
        "互联网用户占人口的比例从2005年的12%上升到2024年的78%，男女在获取数字服务方面的差距明显缩小。",
        "设备和资费成本仍然是低收入家庭的障碍，数字技能不足也限制了人们充分利用电子政务服务。",
        "今后几年，我们将加强网络安全和个人数据保护，并扩大面向青年和妇女的数字技能培训项目。",
        "“学校联网”倡议已为两千多所学校接入高速互联网，并为教师提供了中文数字教学内容。",
    ],
}
ENTITY_NAMES = {
    "ar": ("وزارة الاتصالات والاقتصاد الرقمي", "MCDE"),
    "zh-hans": ("通信和数字经济部", "MCDE"),
}


def _rewrite(text: str, language: str, rng: random.Random) -> str:
    """``text`` with each line rewritten in ``language``: a line keeps its bullet, and about its length
    (Chinese fits about twice the meaning in a character, so half as many)."""
    pool = SENTENCES[language]
    scale = 0.5 if language == "zh-hans" else 1.0
    lines = []
    for line in text.split("\n"):
        if not line.strip():
            lines.append(line)
            continue
        bullet = "- " if line.lstrip().startswith("- ") else ""
        target, out = len(line) * scale, ""
        while len(out) < target:
            out += ("" if not out else (" " if language == "ar" else "")) + rng.choice(pool)
        lines.append(bullet + out)
    return "\n".join(lines)


@functools.cache
def language_document(language: str, seed: int = 2025) -> dict[str, Any]:
    """The full report written in ``language`` (``ar``, ``zh-hans``): same structure, its own script."""
    import copy

    rng = random.Random(seed)
    doc = copy.deepcopy(report_document("full"))
    doc["language"] = language
    doc["entity"]["name"], doc["entity"]["acronym"] = ENTITY_NAMES[language]
    doc["narrative"] = {k: _rewrite(v, language, rng) for k, v in doc["narrative"].items()}
    for row in doc["action_lines"]:
        for name in ("achievements", "challenges", "future_priorities"):
            row[name] = _rewrite(row[name], language, rng)
        for story in row["success_stories"]:
            story["title"] = _rewrite(story["title"], language, rng)[:300]
            story["description"] = _rewrite(story["description"], language, rng)
    return doc


@functools.cache
def reference_html(paragraphs: int, seed: int = 7) -> str:
    from django.utils.html import escape

    rng = random.Random(seed)
    pool = load_demo_text()["paragraphs_en"]
    body = []
    for n in range(paragraphs):
        if n % 8 == 0:
            body.append(f"<h2>{n // 8 + 1}. {escape(rng.choice(pool)[:60])}</h2>")
        body.append(f"<p>{escape(rng.choice(pool))}</p>")
    head = f"<head><style>{REFERENCE_CSS}</style></head>"
    return f"<!doctype html><html lang='en'>{head}<body>{''.join(body)}</body></html>"


REFERENCE_PARAGRAPHS = {"count": 0}


def reference_paragraphs_for(pages: int = 100) -> int:
    """How many paragraphs make the reference document about ``pages`` long (measured once)."""
    from weasyprint import HTML

    if not REFERENCE_PARAGRAPHS["count"]:
        probe = 200
        probe_pages = len(HTML(string=reference_html(probe)).render().pages)
        REFERENCE_PARAGRAPHS["count"] = max(1, round(probe * pages / probe_pages))
    return REFERENCE_PARAGRAPHS["count"]


def render(kind: str) -> int:
    """Render one document to PDF bytes (its input is built once); returns its page count.
    ``full-bare`` is the full report's HTML with the reference's bare stylesheet instead of the
    portal's (same content, no cover, contents, running header, page breaks or styling): what the
    content alone costs."""
    from weasyprint import HTML

    from reports.document.pdf import PDF_BASE_URL, StaticFilesFetcher, document_html, report_pdf

    if kind == "reference":
        document = HTML(string=reference_html(reference_paragraphs_for())).render()
    elif kind == "full-bare":
        html = document_html(report_document("full"), number=1)
        html = html.replace("</head>", f"<style>{REFERENCE_CSS}</style></head>")
        document = HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=StaticFilesFetcher()).render()
    elif kind == "full-untagged":
        return report_pdf(report_document("full"), number=1, tagged=False).pages
    elif kind in ("full-ar", "full-zh"):
        return report_pdf(language_document("ar" if kind == "full-ar" else "zh-hans"), number=1).pages
    else:
        return report_pdf(report_document(kind), number=1).pages
    document.write_pdf()
    return len(document.pages)


# --- Measurements ---------------------------------------------------------------------------------


def rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def timed(kinds: tuple[str, ...], repeat: int) -> dict[str, dict[str, Any]]:
    """Render each document ``repeat`` times, interleaved (so that a busy machine slows all of them
    alike), after a warm-up; the median wall-clock and CPU seconds per render.

    Each timed render starts from a collected heap: WeasyPrint's box trees are cyclic garbage that
    Python's collector frees later, so a render would otherwise pay for collecting the previous
    document's (the short report, timed after the 100-page reference, looked 15 % slower). No
    render is charged for collecting another's garbage, nor for a full collection of the long-lived
    heap, which a worker does not run after every task either."""
    for kind in kinds:
        render(kind)  # warm-up: fonts, templates, the Action Lines
    wall: dict[str, list[float]] = {kind: [] for kind in kinds}
    cpu: dict[str, list[float]] = {kind: [] for kind in kinds}
    pages: dict[str, int] = {}
    for _ in range(repeat):
        for kind in kinds:
            gc.collect()
            started, started_cpu = time.perf_counter(), time.process_time()
            pages[kind] = render(kind)
            wall[kind].append(time.perf_counter() - started)
            cpu[kind].append(time.process_time() - started_cpu)
    result = {}
    for kind in kinds:
        seconds, cpu_seconds = statistics.median(wall[kind]), statistics.median(cpu[kind])
        result[kind] = {
            "pages": pages[kind],
            "seconds": round(seconds, 3),
            "pages_per_second": round(pages[kind] / seconds, 2),
            "cpu_seconds": round(cpu_seconds, 3),
            "cpu_pages_per_second": round(pages[kind] / cpu_seconds, 2),
        }
    return result


def hwm_mib() -> float:
    """This process's peak resident size (``VmHWM``; ``ru_maxrss`` would include the parent's)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peak_child(kind: str, queue) -> None:
    django_setup()
    render(kind)
    queue.put(hwm_mib())


def peak_mib(kind: str) -> float:
    """The peak resident memory of a fresh process that rendered ``kind`` once."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_peak_child, args=(kind, queue))
    process.start()
    peak = queue.get(timeout=600)
    process.join()
    return round(peak, 1)


def _pool_init() -> None:
    django_setup()


def _pool_render(kind: str) -> tuple[int, float]:
    render(kind)
    return os.getpid(), rss_mib()


def worker_memory(kind: str, renders: int, *, recycle: bool) -> dict[str, Any]:
    """A one-process billiard pool (Celery's prefork pool) rendering ``renders`` times, run from a
    fresh parent process that renders nothing itself (as the main worker process), so that the pool
    processes it forks start as small as a worker's do."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_worker_memory_parent, args=(kind, renders, recycle, queue))
    process.start()
    result = queue.get(timeout=3600)
    process.join()
    return result


def _worker_memory_parent(kind: str, renders: int, recycle: bool, queue) -> None:
    django_setup()
    queue.put(_worker_memory(kind, renders, recycle=recycle))


def _worker_memory(kind: str, renders: int, *, recycle: bool) -> dict[str, Any]:
    from billiard.pool import Pool
    from django.conf import settings

    options: dict[str, Any] = {}
    if recycle:
        options = {
            "maxtasksperchild": settings.CELERY_WORKER_MAX_TASKS_PER_CHILD,
            "max_memory_per_child": settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD,
        }
    pool = Pool(processes=1, initializer=_pool_init, **options)
    try:
        seen: list[tuple[int, float]] = [pool.apply(_pool_render, (kind,)) for _ in range(renders)]
    finally:
        pool.terminate()
        pool.join()
    after_10 = seen[min(9, len(seen) - 1)][1]
    after_n = seen[-1][1]
    return {
        "after_10_mib": round(after_10, 1),
        f"after_{renders}_mib": round(after_n, 1),
        "max_mib": round(max(rss for _pid, rss in seen), 1),
        "ratio": round(after_n / after_10, 2),
        "processes": len({pid for pid, _rss in seen}),
    }


def languages_and_tagging(repeat: int) -> dict[str, Any]:
    """Tagged against untagged, Arabic and Chinese against English (the full report); prints a table."""
    cases = timed(("full", "full-untagged", "full-ar", "full-zh"), repeat)
    tagged_cost = round(cases["full"]["seconds"] / cases["full-untagged"]["seconds"], 2)
    tagged_cpu_cost = round(cases["full"]["cpu_seconds"] / cases["full-untagged"]["cpu_seconds"], 2)
    arabic = round(cases["full-ar"]["pages_per_second"] / cases["full"]["pages_per_second"], 2)
    arabic_cpu = round(cases["full-ar"]["cpu_pages_per_second"] / cases["full"]["cpu_pages_per_second"], 2)
    chinese = round(cases["full-zh"]["pages_per_second"] / cases["full"]["pages_per_second"], 2)
    print(f"{'full report':<26}{'pages':>6}{'s/render':>10}{'pages/s':>9}{'CPU s':>8}{'CPU pages/s':>13}")
    labels = {
        "full": "English, tagged",
        "full-untagged": "English, untagged",
        "full-ar": "Arabic (RTL), tagged",
        "full-zh": "Chinese, tagged",
    }
    for kind, label in labels.items():
        f = cases[kind]
        print(
            f"{label:<26}{f['pages']:>6}{f['seconds']:>10.2f}{f['pages_per_second']:>9.1f}"
            f"{f['cpu_seconds']:>8.2f}{f['cpu_pages_per_second']:>13.1f}"
        )
    print(f"tagged / untagged time: {tagged_cost:.2f} wall, {tagged_cpu_cost:.2f} CPU (goal <= 1.3)")
    print(f"Arabic / English pages per second: {arabic:.2f} wall, {arabic_cpu:.2f} CPU (goal >= 0.8)")
    print(f"Chinese / English pages per second: {chinese:.2f} wall\n")
    return {
        "tagging": {
            "tagged": cases["full"],
            "untagged": cases["full-untagged"],
            "tagged_to_untagged_seconds": tagged_cost,
            "tagged_to_untagged_cpu_seconds": tagged_cpu_cost,
        },
        "languages": {
            "en": cases["full"],
            "ar": cases["full-ar"],
            "zh-hans": cases["full-zh"],
            "ar_to_en_pages_per_second": arabic,
            "ar_to_en_cpu_pages_per_second": arabic_cpu,
            "zh_to_en_pages_per_second": chinese,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed renders of each document")
    parser.add_argument("--renders", type=int, default=200, help="renders in the worker-memory run")
    parser.add_argument("--worker-report", choices=["short", "full"], default="short")
    parser.add_argument(
        "--languages-only", action="store_true", help="only tagged/untagged and Arabic/Chinese/English"
    )
    args = parser.parse_args()

    django_setup()
    from django.conf import settings

    languages = languages_and_tagging(args.repeat)
    if args.languages_only:
        print(json.dumps({"bench": "pdf_render", **languages}))
        return

    cases = timed(("short", "full", "full-bare", "reference"), args.repeat)
    for kind, figures in cases.items():
        figures["peak_mib"] = peak_mib(kind)
    ratio = round(cases["full"]["pages_per_second"] / cases["reference"]["pages_per_second"], 2)
    cpu_ratio = round(cases["full"]["cpu_pages_per_second"] / cases["reference"]["cpu_pages_per_second"], 2)
    bare_ratio = round(cases["full-bare"]["pages_per_second"] / cases["reference"]["pages_per_second"], 2)
    template_cost = round(cases["full"]["seconds"] / cases["full-bare"]["seconds"], 2)
    memory = {
        "recycling": worker_memory(args.worker_report, args.renders, recycle=True),
        "no_recycling": worker_memory(args.worker_report, args.renders, recycle=False),
    }

    header = f"{'document':<18}{'pages':>6}{'s/render':>10}{'pages/s':>9}{'CPU s':>8}{'CPU pages/s':>13}"
    print(header + f"{'peak MiB':>10}")
    labels = {
        "short": "short report",
        "full": "full report",
        "full-bare": "full, bare CSS",
        "reference": "plain reference",
    }
    for kind, label in labels.items():
        f = cases[kind]
        print(
            f"{label:<18}{f['pages']:>6}{f['seconds']:>10.2f}{f['pages_per_second']:>9.1f}"
            f"{f['cpu_seconds']:>8.2f}{f['cpu_pages_per_second']:>13.1f}{f['peak_mib']:>10.0f}"
        )
    print(f"full / reference pages per second: {ratio:.2f} wall, {cpu_ratio:.2f} CPU (goal >= 0.9)")
    print(
        f"the same content with a bare stylesheet: {bare_ratio:.2f} of the reference's pages per second; "
        f"the portal's template and print stylesheet take {template_cost:.2f}x its time"
    )
    print(
        f"\nworker memory, {args.worker_report} report, one pool process; recycling: max "
        f"{settings.CELERY_WORKER_MAX_TASKS_PER_CHILD} tasks or "
        f"{settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD // 1024} MiB per child"
    )
    print(f"{'':<16}{'after 10':>10}{f'after {args.renders}':>12}{'max':>8}{'ratio':>8}{'processes':>11}")
    for name, m in memory.items():
        print(
            f"{name.replace('_', ' '):<16}{m['after_10_mib']:>10.0f}{m[f'after_{args.renders}_mib']:>12.0f}"
            f"{m['max_mib']:>8.0f}{m['ratio']:>8.2f}{m['processes']:>11}"
        )
    print("goal: with recycling, after", args.renders, "within 1.5x of after 10 MiB")
    print(
        json.dumps(
            {
                "bench": "pdf_render",
                "short": cases["short"],
                "full": cases["full"],
                "reference": cases["reference"],
                "full_to_reference_ratio": ratio,
                "full_to_reference_cpu_ratio": cpu_ratio,
                "full_bare": cases["full-bare"],
                "full_bare_to_reference_ratio": bare_ratio,
                "full_to_full_bare_seconds": template_cost,
                "worker_report": args.worker_report,
                "worker_renders": args.renders,
                "worker_memory": memory,
                "recycling": {
                    "max_tasks_per_child": settings.CELERY_WORKER_MAX_TASKS_PER_CHILD,
                    "max_memory_per_child_kib": settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD,
                },
                **languages,
            }
        )
    )


if __name__ == "__main__":
    main()
