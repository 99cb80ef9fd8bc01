"""Files in an S3-compatible bucket (moto's server on loopback, as MinIO or AWS would serve it):
submission PDFs are stored there and nowhere on this host, downloads stream them after the
permission check, a compilation reads its sources from the bucket through a bounded per-job spool
and uploads its result, and a compilation too large for its spool fails with the reason."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from pypdf import PdfReader

from reports import storage
from reports.compilation import build as compilation
from reports.models import Compilation, StakeholderType, Submission
from tests import factories
from tests.accounts import staff_client
from tests.conftest import submitted

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def spools(tmp_path, monkeypatch):
    """This test's temporary folders in a folder of its own; ``spools()``: the compilation
    spools in it (other processes on the machine make their own elsewhere)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    made: list[storage.Spool] = []
    real_path = storage.Spool.path

    def path(self: storage.Spool, file):  # records which spools copied something
        made.append(self)
        return real_path(self, file)

    monkeypatch.setattr(storage.Spool, "path", path)
    return lambda: ({p.name for p in folder.glob("wsis-sources-*")}, made)


@pytest.fixture
def bucket_corpus(s3_storage, reference_data):
    """Two submitted reports whose PDFs were rendered straight into the bucket."""
    cycle = factories.CycleFactory.create(slug="wsis20-s3", name="WSIS+20 review (bucket)")
    subs = [
        submitted(
            cycle,
            name="Kilimo Digital Foundation",
            stype=StakeholderType.CIVIL_SOCIETY,
            country="KE",
            lines={"C2": "Community networks in 40 villages."},
        ),
        submitted(
            cycle,
            name="Ministry of Digital Economy",
            stype=StakeholderType.GOVERNMENT,
            country="EG",
            lines={"C5": "A national CERT."},
        ),
    ]
    return cycle, subs


def test_submission_pdfs_are_stored_in_the_bucket_not_on_this_host(bucket_corpus, s3_storage):
    _cycle, subs = bucket_corpus
    keys = s3_storage.stored()
    for sub in subs:
        assert sub.pdf.name in keys
        assert sub.pdf.name.startswith("submissions/")
        assert not (Path(settings.MEDIA_ROOT) / sub.pdf.name).exists()
        with pytest.raises(NotImplementedError):
            sub.pdf.path  # noqa: B018 (an object store has no local path: nothing may rely on one)
        with sub.pdf.open("rb") as fh:
            assert fh.read(5) == b"%PDF-"


def test_members_download_the_pdf_streamed_from_the_bucket_strangers_get_404(
    bucket_corpus, s3_storage, client
):
    _cycle, subs = bucket_corpus
    sub = subs[0]
    stored = s3_storage.server.client().get_object(Bucket=s3_storage.bucket, Key=sub.pdf.name)["Body"].read()
    url = reverse("reports:submission_pdf", args=[sub.pk])

    client.force_login(sub.report.entity.memberships.first().user)
    response = client.get(url)
    assert response.status_code == 200
    assert response.streaming  # sent as it is read, never held whole
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(stored))
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert b"".join(response.streaming_content) == stored

    client.force_login(factories.MembershipFactory.create().user)  # a member of another entity
    assert client.get(url).status_code == 404
    # The object gone from the bucket: a 404, not a server error.
    default_storage.delete(sub.pdf.name)
    client.force_login(sub.report.entity.memberships.first().user)
    assert client.get(url).status_code == 404


def test_a_compilation_reads_its_sources_from_the_bucket_and_uploads_its_result(
    bucket_corpus, s3_storage, client, django_capture_on_commit_callbacks, spools
):
    cycle, _subs = bucket_corpus
    staff = factories.UserFactory.create(is_staff=True, is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):  # the task runs inline (eager)
        job = compilation.compilation_request(
            user=staff, selection=compilation.Selection(cycle=cycle.slug, layout="action-line")
        )
    job.refresh_from_db()
    assert job.status == Compilation.Status.DONE, job.last_error
    assert job.report_count == 2
    assert job.file.name in s3_storage.stored()
    assert not (Path(settings.MEDIA_ROOT) / job.file.name).exists()
    left, used = spools()
    assert used  # the sources were copied into the job's spool ...
    assert all(spool.used > 0 for spool in used)
    assert left == set()  # ... which went with the job

    download = staff_client(client, staff).get(reverse("admin:reports_compilation_download", args=[job.pk]))
    assert download.status_code == 200
    assert download.streaming
    body = download.getvalue()
    assert int(download["Content-Length"]) == len(body) == job.file_size
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(body)
        fh.flush()
        reader = PdfReader(fh.name)
        assert len(reader.pages) == job.page_count
        text = "".join(page.extract_text() for page in reader.pages)
    assert "Kilimo Digital Foundation" in text
    assert "Community networks in 40 villages." in text
    assert "A national CERT." in text


def test_a_compilation_larger_than_its_spool_fails_with_the_reason(
    bucket_corpus, s3_storage, settings, django_capture_on_commit_callbacks, spools
):
    cycle, _subs = bucket_corpus
    settings.COMPILE_SPOOL_MAX_MB = 0  # not even one report's PDF fits
    staff = factories.UserFactory.create(is_staff=True, is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):
        job = compilation.compilation_request(
            user=staff, selection=compilation.Selection(cycle=cycle.slug, layout="full")
        )
    job.refresh_from_db()
    assert job.status == Compilation.Status.FAILED
    assert "temporary disk space" in job.last_error
    assert "COMPILE_SPOOL_MAX_MB" in job.last_error
    assert not job.file
    assert spools()[0] == set()


def test_local_path_copies_a_stored_file_for_the_block_and_removes_it(s3_storage):
    name = default_storage.save("submissions/test/probe.pdf", ContentFile(b"%PDF-1.7 probe"))
    sub = Submission(pdf=name)
    with storage.local_path(sub.pdf) as path:
        assert path.read_bytes() == b"%PDF-1.7 probe"
        assert not str(path).startswith(str(settings.MEDIA_ROOT))
    assert not path.exists()
    assert not path.parent.exists()


def test_on_the_local_disk_files_are_used_in_place(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path)
    name = default_storage.save("submissions/test/probe.pdf", ContentFile(b"%PDF-1.7 local"))
    sub = Submission(pdf=name)
    with storage.local_path(sub.pdf) as path:
        assert path == tmp_path / name
    assert path.exists()  # the stored file itself, not a copy
    with storage.spool(max_bytes=0) as job_spool:  # files in place cost no spool space
        assert storage.spooled_path(sub.pdf) == tmp_path / name
        assert job_spool.used == 0
    assert not job_spool.made  # no folder was even made
