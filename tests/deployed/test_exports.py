"""The Secretariat's ZIP of the PDFs of a filter, as production serves it: streamed by gunicorn
through the TLS proxy, the PDF read from the deployment's storage, the session behind the admin's
second factor."""

from __future__ import annotations

import http.cookiejar
import io
import zipfile

from pypdf import PdfReader

RENDER_ONE = (
    "from reports.models import Submission\n"
    "from reports.delivery.submission_pdf import submission_pdf_ensure\n"
    "s = Submission.objects.filter(report__status='published').order_by('pk').first()\n"
    "submission_pdf_ensure(submission=s)\n"
    "print(s.report.entity.name)\n"
)


def test_the_pdfs_of_a_filter_come_as_one_streamed_zip(deployment):
    rendered = deployment.manage("shell", "-c", RENDER_ONE).strip().splitlines()[-1]
    jar = http.cookiejar.CookieJar()
    deployment.staff_login(jar)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)

    answer = deployment.get(
        "/admin/reports/report/export-pdfs/?status__exact=published", headers={"Cookie": cookie}
    )
    assert answer.status == 200, (answer.status, answer.text[:500], deployment.logs()[-3000:])
    assert answer.headers["Content-Type"] == "application/zip"
    assert "Content-Length" not in answer.headers  # sent as it is built
    archive = zipfile.ZipFile(io.BytesIO(answer.body))
    assert archive.testzip() is None
    [pdf] = [name for name in archive.namelist() if name.endswith(".pdf")]
    cover = " ".join(PdfReader(io.BytesIO(archive.read(pdf))).pages[0].extract_text().split())
    assert " ".join(rendered.split()) in cover  # the name may wrap on the cover
    # The other published reports have no PDF yet: named, not silently left out.
    assert "have no PDF yet" in archive.read("missing.txt").decode()

    # Without the Secretariat's session: the admin's login, never the archive.
    anonymous = deployment.get("/admin/reports/report/export-pdfs/")
    assert anonymous.status == 302
    assert "/login/" in anonymous.headers["Location"]
