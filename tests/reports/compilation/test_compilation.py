"""Compiled PDF reports: order, outline, table of contents, filters, attribution, scripts."""

import re
import subprocess
from io import StringIO
from pathlib import Path
from typing import Any, cast

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from reports import services
from reports.compilation import build as compilation
from reports.delivery import runner as delivery
from reports.delivery.submission_pdf import edition_file
from reports.models import Compilation, Report, Submission
from tests import factories
from tests.conftest import ARABIC, CHINESE

pytestmark = pytest.mark.django_db


def pages_text(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(path).pages]


def outline_titles(
    reader: PdfReader, items: list[Any] | None = None, level: int = 1
) -> list[tuple[int, str, int]]:
    result: list[tuple[int, str, int]] = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            result.extend(outline_titles(reader, item, level + 1))
        else:
            result.append((level, str(item.title), cast(int, reader.get_destination_page_number(item))))
    return result


def layout_text(path: Path) -> list[str]:
    """Each page's text as laid out (poppler's pdftotext -layout): what sits on one line of the
    page comes out on one line, as a reader sees it."""
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return out.stdout.split("\f")


def toc_entries(texts: list[str]) -> list[tuple[str, int]]:
    """(title, page) pairs from the table-of-contents pages."""
    entries: list[tuple[str, int]] = []
    for text in texts:
        if "Table of contents" not in text and not entries:
            continue
        for line in text.splitlines():
            match = re.match(r"^(.*\S)\s+(\d+)$", line.strip())
            if match and not re.fullmatch(r"[\d\s]+", line.strip()):
                entries.append((match.group(1), int(match.group(2))))
        if entries and "Table of contents" not in text:
            break
    return entries


def test_full_layout_groups_by_stakeholder_type_with_a_true_table_of_contents(corpus, tmp_path):
    cycle, _subs = corpus
    out = tmp_path / "full.pdf"
    selection = compilation.Selection(cycle=cycle.slug, layout="full", grouping="stakeholder_type")
    built = compilation.compilation_build(selection, out)
    texts = pages_text(out)
    assert built.reports == 3
    assert built.pages == len(texts)
    assert "disclaimer" in "".join(texts[:3]).lower()
    assert "Stakeholder type distribution" in "".join(texts[:4])

    # Groups in the order of the stakeholder types; each report after its group divider.
    reader = PdfReader(out)
    outline = outline_titles(reader)
    titles = [t for _lvl, t, _p in outline]
    assert titles.index("Government") < titles.index("Civil Society") < titles.index("Academia")
    gov = titles.index("Government")
    assert titles[gov + 1].startswith("Alpha Ministry of ICT — Government, Egypt")

    # Every TOC entry's page number is the page where that part starts, as the outline says.
    entries = toc_entries(layout_text(out))
    assert len(entries) == 1 + 3 + 3, entries  # key figures, three groups, three reports
    outline_pages = {t: p for _l, t, p in outline}
    for title, page in entries:
        key = title if title in outline_pages else title.split(" — ")[0]
        assert outline_pages[key] == page - 1, (title, page)
        assert key.split(" — ")[0] in texts[page - 1]


def test_by_action_line_layout_attributes_every_contribution_and_keeps_the_scripts(corpus, tmp_path):
    cycle, _subs = corpus
    out = tmp_path / "lines.pdf"
    built = compilation.compilation_build(compilation.Selection(cycle=cycle.slug), out)
    text = "\n".join(pages_text(out))
    reader = PdfReader(out)
    outline = outline_titles(reader)
    titles = [t for _l, t, _p in outline]
    # Lines in template order, C7's sub-lines nested under C7; contributions under their line.
    c2, c7, health, c8 = (
        titles.index(t)
        for t in (
            "C2: Information and communication infrastructure",
            "C7: ICT applications: E-government, e-business, e-learning, e-health, etc.",
            "C7. E-Health",
            "C8: Cultural diversity and identity, linguistic diversity, and local content",
        )
    )
    assert c2 < c7 < health < c8
    levels = {t: lvl for lvl, t, _p in outline}
    assert levels["C7. E-Health"] == 2
    under_c2 = [t for t in titles[c2 + 1 : titles.index("C3: Access to information and knowledge")]]
    assert under_c2 == [
        "Alpha Ministry of ICT — Government, Egypt",
        "Zeta Digital Rights Foundation — Civil Society, Kenya",
    ]
    under_health = titles[health + 1 : titles.index("C7. E-Employment")]
    assert under_health == [
        "Zeta Digital Rights Foundation — Civil Society, Kenya",
        "Beta Institute of Technology — Academia, China",
    ]
    # Every page taken from a report names its entity, stakeholder type and country.
    pages = pages_text(out)
    alpha_c2 = pages[next(p for _l, t, p in outline if t.startswith("Alpha Ministry of ICT"))]
    assert "Alpha Ministry of ICT · Government · Egypt" in alpha_c2
    assert "C2: Information and communication infrastructure" in alpha_c2
    # Real glyphs for Arabic and Chinese, read back from the compiled file.
    assert CHINESE in text
    assert ARABIC in text
    assert "Community networks in 40 villages." in text
    # A line marked not applicable by everyone still has its divider, with no contributions.
    assert "C9: Media" in titles
    assert levels["C9: Media"] == 1
    assert built.reports == 3


def test_filters_are_respected(corpus, tmp_path):
    cycle, _subs = corpus
    out = tmp_path / "africa.pdf"
    selection = compilation.Selection(cycle=cycle.slug, layout="full", regions=("africa",))
    built = compilation.compilation_build(selection, out)
    text = "\n".join(pages_text(out))
    assert built.reports == 1
    assert "Zeta Digital Rights Foundation" in text
    assert "Alpha Ministry" not in text
    only_c5 = compilation.Selection(cycle=cycle.slug, action_lines=("C5",))
    assert [s.entity_name for s in compilation.selection_submissions(only_c5)] == ["Alpha Ministry of ICT"]
    c7 = compilation.Selection(cycle=cycle.slug, action_lines=("C7",))  # C7 covers its sub-lines
    assert {s.entity_name for s in compilation.selection_submissions(c7)} == {
        "Zeta Digital Rights Foundation",
        "Beta Institute of Technology",
    }
    with pytest.raises(compilation.EmptySelection):
        compilation.compilation_build(
            compilation.Selection(cycle=cycle.slug, regions=("cis",)), tmp_path / "x.pdf"
        )


def test_a_job_reuses_the_stored_result_for_unchanged_data_and_emails_the_link(
    corpus, mailbox, django_capture_on_commit_callbacks
):
    cycle, subs = corpus
    staff = factories.UserFactory.create(is_staff=True, email="compiler@example.org")
    selection = compilation.Selection(cycle=cycle.slug, layout="full")
    with django_capture_on_commit_callbacks(execute=True):
        job = compilation.compilation_request(user=staff, selection=selection)
    job.refresh_from_db()
    assert job.status == Compilation.Status.DONE
    assert job.page_count > 0
    assert job.file
    [mail] = mailbox.to("compiler@example.org")
    assert f"/admin/reports/compilation/{job.pk}/download/" in mail.text
    again = compilation.compilation_request(user=staff, selection=selection)
    assert again.pk == job.pk
    assert again.reused
    # A resubmission changes the data: a new job.
    report = subs[0].report
    staff2 = factories.UserFactory.create(is_staff=True)
    services.report_request_changes(report=report, actor=staff2, message="Add a C4 answer.")
    report.refresh_from_db()
    owner = report.entity.memberships.first().user
    services.report_save_section(
        report=report, key="line-C4", data={"achievements": "Skills"}, base_version=1, user=owner
    )
    new_sub = services.report_submit(report=report, user=owner)
    delivery.submission_pdf_ensure(submission=new_sub)
    fresh = compilation.compilation_request(user=staff, selection=selection)
    assert fresh.pk != job.pk
    assert not fresh.reused


def test_a_failed_job_is_marked_with_its_reason_and_can_be_retried(
    corpus, django_capture_on_commit_callbacks
):
    cycle, subs = corpus
    staff = factories.UserFactory.create(is_staff=True)
    edition = edition_file(subs[0]).path
    Path(edition).unlink()  # the stored compilation edition vanished from the disk
    with django_capture_on_commit_callbacks(execute=True):
        job = compilation.compilation_request(
            user=staff, selection=compilation.Selection(cycle=cycle.slug, layout="full")
        )
    job.refresh_from_db()
    assert job.status == Compilation.Status.FAILED
    assert job.last_error == f"FileNotFoundError: [Errno 2] No such file or directory: '{edition}'"
    delivery.submission_pdf_ensure(submission=subs[0], force=True)
    with django_capture_on_commit_callbacks(execute=True):
        compilation.compilation_retry(compilation=job)
    job.refresh_from_db()
    assert job.status == Compilation.Status.DONE


def test_the_command_writes_the_file_and_refuses_an_empty_selection(corpus, tmp_path):
    cycle, subs = corpus
    # A submission whose PDF was never rendered (a broker outage, say) is rendered on the way.
    Submission.objects.filter(pk=subs[0].pk).update(pdf="", pdf_pages=None, pdf_page_map={})
    out = tmp_path / "cmd.pdf"
    stdout = StringIO()
    call_command(
        "compile_reports",
        "--output",
        str(out),
        "--cycle",
        cycle.slug,
        "--layout",
        "action-line",
        "--action-line",
        "C2",
        stdout=stdout,
        stderr=StringIO(),
    )
    assert "2 reports" in stdout.getvalue()
    assert out.exists()
    with pytest.raises(CommandError, match="nothing to compile"):
        call_command(
            "compile_reports",
            "--output",
            str(tmp_path / "none.pdf"),
            "--cycle",
            cycle.slug,
            "--stakeholder-type",
            "private_sector",
            stdout=StringIO(),
            stderr=StringIO(),
        )
    assert Report.objects.filter(cycle=cycle).count() == 3
