"""The bulk downloads: one ZIP per cycle with CSV, JSON, XLSX, README, licence and schema; published
reports only, never the contact; rebuilt when something is published; served at /data/."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from openpyxl import load_workbook

from reports import opendata, services
from reports.models import Entity, Report

from .conftest import CONTACT_EMAIL, CONTACT_NAME, CONTACT_PHONE, SECRET_TEXT

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def stored_zip(slug: str) -> zipfile.ZipFile:
    with default_storage.open(opendata.archive_path(slug), "rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def every_text(archive: zipfile.ZipFile) -> str:
    """Every member's text, the workbook's inner XML files included."""
    texts = []
    for name in archive.namelist():
        data = archive.read(name)
        if name.endswith(".xlsx"):
            texts.append(every_text(zipfile.ZipFile(io.BytesIO(data))))
        else:
            texts.append(data.decode("utf-8-sig"))
    return "\n".join(texts)


def rows(archive: zipfile.ZipFile, table: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(f"csv/{table}.csv").decode("utf-8-sig"))))


def test_the_archive_holds_every_format_a_readme_the_licence_and_the_schema(reports):
    info = opendata.archive_build(cycle=reports.cycle)
    archive = stored_zip("wsis20-api")
    assert info.path == "opendata/wsis20-api/wsis-reports-wsis20-api.zip"
    assert sorted(archive.namelist()) == [
        "LICENSE.txt",
        "README.md",
        "csv/action_lines.csv",
        "csv/indicators.csv",
        "csv/reports.csv",
        "csv/success_stories.csv",
        "datapackage.json",
        "reports.json",
        "wsis-reports-wsis20-api.xlsx",
    ]
    assert info.counts == {"reports": 2, "action_lines": 5, "success_stories": 2, "indicators": 2}
    readme = archive.read("README.md").decode()
    assert f"Generated: {info.generated_at}" in readme
    assert "| `csv/action_lines.csv` |" in readme
    assert "| 5 |" in readme
    assert "Published reports: 2" in readme
    licence = archive.read("LICENSE.txt").decode()
    assert "Creative Commons Attribution 4.0 International Public License" in licence
    assert "Section 8 – Interpretation." in licence
    package = json.loads(archive.read("datapackage.json"))
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert package["created"] == info.generated_at
    resources = {r["name"]: r for r in package["resources"]}
    assert resources["reports"]["rows"] == 2
    for table in opendata.TABLES:  # the schema names exactly the CSV's columns, in order
        header = next(csv.reader(io.StringIO(archive.read(f"csv/{table.name}.csv").decode("utf-8-sig"))))
        assert header == [f["name"] for f in resources[table.name]["schema"]["fields"]]


def test_the_archive_holds_the_published_content(reports):
    opendata.archive_build(cycle=reports.cycle)
    archive = stored_zip("wsis20-api")
    by_id = {int(r["report_id"]): r for r in rows(archive, "reports")}
    assert set(by_id) == {reports.kenya.pk, reports.egypt.pk}
    assert by_id[reports.egypt.pk]["executive_summary"] == "تحقيق التحول الرقمي الشامل"
    assert by_id[reports.egypt.pk]["country"] == "EG"
    assert by_id[reports.kenya.pk]["stakeholder_type_name"] == "Government"
    lines = {(int(r["report_id"]), r["action_line"]): r for r in rows(archive, "action_lines")}
    assert lines[(reports.kenya.pk, "C7.GOV")]["achievements"] == "E-citizen portal with 5,000 services."
    assert lines[(reports.kenya.pk, "C5")]["not_applicable"] == "true"
    [story] = [s for s in rows(archive, "success_stories") if int(s["report_id"]) == reports.kenya.pk]
    assert (story["description"], story["url"], story["year"]) == (
        "Community networks in forty villages.",
        "https://example.org/story",
        "2021",
    )
    documents = json.loads(archive.read("reports.json"))
    assert documents["cycle"] == "wsis20-api"
    kenya = next(d for d in documents["reports"] if d["report_id"] == reports.kenya.pk)
    assert [line["action_line"] for line in kenya["action_lines"]] == ["C2", "C5", "C7.GOV"]
    assert kenya["success_stories"][0]["year"] == 2021
    assert kenya["indicators"][0]["value"] == "67.4"
    # A formula stays text: behind ' in the CSV, exact in JSON and in the workbook.
    assert by_id[reports.kenya.pk]["challenges_gaps"] == "'=SUM(A1:A9) rural connectivity"
    assert kenya["challenges_gaps"] == "=SUM(A1:A9) rural connectivity"
    workbook = load_workbook(io.BytesIO(archive.read("wsis-reports-wsis20-api.xlsx")), read_only=True)
    assert workbook.sheetnames == ["reports", "action_lines", "success_stories", "indicators"]
    sheet_rows = list(workbook["reports"].values)
    assert len(sheet_rows) == 3
    column = sheet_rows[0].index("challenges_gaps")
    assert {row[column] for row in sheet_rows[1:]} == {"=SUM(A1:A9) rural connectivity"}


def test_nothing_unpublished_and_no_contact_is_in_the_archive(reports):
    opendata.archive_build(cycle=reports.cycle)
    text = every_text(stored_zip("wsis20-api"))
    assert "Kenya Ministry of ICT" in text  # the scan reads the files
    for hidden in (SECRET_TEXT, "Draft Entity", "Accepted Entity", "Reviewed Entity"):
        assert hidden not in text
    for personal in (CONTACT_EMAIL, CONTACT_NAME, CONTACT_PHONE):
        assert personal not in text


def test_publishing_and_withdrawing_rebuild_the_cycle_archive(reports, django_capture_on_commit_callbacks):
    staff = User.objects.create(username="reviewer@example.org", email="reviewer@example.org", is_staff=True)
    assert opendata.archive_info(cycle=reports.cycle) is None
    with django_capture_on_commit_callbacks(execute=True):  # the worker's task runs inline (eager)
        services.report_transition(report=reports.accepted, to_status=Report.Status.PUBLISHED, actor=staff)
    info = opendata.archive_info(cycle=reports.cycle)
    assert info is not None
    assert info.counts["reports"] == 3
    assert "Accepted Entity" in every_text(stored_zip("wsis20-api"))
    with django_capture_on_commit_callbacks(execute=True):
        services.report_transition(report=reports.accepted, to_status=Report.Status.ACCEPTED, actor=staff)
    info = opendata.archive_info(cycle=reports.cycle)
    assert info is not None
    assert info.counts["reports"] == 2
    assert "Accepted Entity" not in every_text(stored_zip("wsis20-api"))
    assert sorted(default_storage.listdir("opendata/wsis20-api")[1]) == (
        ["manifest.json", "wsis-reports-wsis20-api.zip"]
    )


def test_a_refresh_rebuilds_only_what_changed(reports):
    assert opendata.archive_refresh(cycle_id=reports.cycle.pk) is True
    assert opendata.archive_refresh(cycle_id=reports.cycle.pk) is False
    assert opendata.archives_refresh() == 0
    entity = Entity.objects.get(pk=reports.kenya.entity_id)
    entity.name = "Kenya Ministry of Information, Communications and the Digital Economy"
    entity.save()
    assert opendata.archives_refresh() == 1
    assert "the Digital Economy" in every_text(stored_zip("wsis20-api"))


def test_a_cycle_without_published_reports_gets_no_archive(reference_data):
    from tests import factories  # noqa: PLC0415 (only this test needs a bare cycle)

    cycle = factories.CycleFactory.create(slug="empty-cycle")
    assert opendata.archive_refresh(cycle_id=cycle.pk) is False
    assert not default_storage.exists(opendata.archive_path("empty-cycle"))


def test_the_data_page_lists_each_cycle_with_its_download(client, reports):
    page = client.get("/data/")
    assert page.status_code == 200
    assert "WSIS+20 review (API)" in page.content.decode()
    assert "Being prepared" in page.content.decode()
    opendata.archive_build(cycle=reports.cycle)
    page = client.get("/data/").content.decode()
    assert 'href="/data/wsis20-api/wsis-reports-wsis20-api.zip"' in page
    assert "2 reports in the file" in page
    assert "CC BY 4.0" in page
    assert 'href="/api/v1/openapi.json"' in page


def test_the_download_streams_the_zip_with_etag_and_last_modified(client, reports):
    info = opendata.archive_build(cycle=reports.cycle)
    response = client.get("/data/wsis20-api/wsis-reports-wsis20-api.zip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert 'filename="wsis-reports-wsis20-api.zip"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert len(body) == info.size
    assert zipfile.ZipFile(io.BytesIO(body)).testzip() is None
    assert response["ETag"] == f'"{info.sha256}"'
    again = client.get("/data/wsis20-api/wsis-reports-wsis20-api.zip", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    since = client.get(
        "/data/wsis20-api/wsis-reports-wsis20-api.zip", HTTP_IF_MODIFIED_SINCE=response["Last-Modified"]
    )
    assert since.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/data/wsis20-api/other.zip",
        "/data/no-such-cycle/wsis-reports-no-such-cycle.zip",
        "/data/wsis20-api/wsis-reports-wsis20-api.zip",
    ],
)
def test_a_download_that_does_not_exist_answers_404(client, reports, path):
    assert client.get(path).status_code == 404  # the archive of wsis20-api is not built yet either
