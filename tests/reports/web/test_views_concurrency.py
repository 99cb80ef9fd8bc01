"""Two submit requests at the same moment (a double click, two tabs) make one submission."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from action_lines.models import ActionLine
from reports import services
from reports.models import Report, Submission
from tests import factories
from tests.conftest import fill_narratives

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_simultaneous_submit_posts_make_one_submission(reference_data):
    cycle = factories.CycleFactory.create()
    report = factories.ReportFactory.create(cycle=cycle)
    owner = factories.MembershipFactory.create(entity=report.entity).user
    for line in ActionLine.objects.all():
        services.report_save_section(
            report=report, key=f"line-{line.code}", data={"not_applicable": True}, base_version=0, user=owner
        )
    services.report_save_section(
        report=report, key="contact", data={"name": "A", "email": "a@example.org"}, base_version=0, user=owner
    )
    fill_narratives(report, owner)
    url = reverse("reports:submit", kwargs={"report_id": report.pk})
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(owner)
    start = threading.Barrier(len(clients))
    answers: list[str] = []

    def submit(client: Client) -> None:
        try:
            start.wait()
            response = client.post(url, {"confirm": "on"}, follow=True)
            answers.append(response.content.decode())
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Submission.objects.filter(report=report).count() == 1
    assert Report.objects.get(pk=report.pk).submission_count == 1
    assert len(answers) == 2
    assert sum("Your report is submitted" in a for a in answers) == 1
    assert sum("already" in a for a in answers) == 1
    assert all("Submission no. 1" in a for a in answers)
