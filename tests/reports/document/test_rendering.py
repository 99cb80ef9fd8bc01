"""The one document template renders a report document in template order, user text as text."""

import pytest
from django.template.loader import render_to_string

from reports import annex, services
from reports.document import snapshot
from reports.document.rendering import document_context
from tests import factories

pytestmark = pytest.mark.django_db


def test_every_heading_in_template_order_and_hostile_text_stays_text(report):
    user = factories.MembershipFactory.create(entity=report.entity).user
    services.report_save_section(
        report=report,
        key="executive-summary",
        data={"executive_summary": "<script>alert(1)</script> & more"},
        base_version=0,
        user=user,
    )
    services.report_save_section(
        report=report, key="line-C7.HEALTH", data={"achievements": "Telemedicine"}, base_version=0, user=user
    )
    html = render_to_string(
        "reports/document/report.html", document_context(snapshot.document_for_report(report))
    )
    positions = [html.index(str(s.heading)) for s in annex.SECTIONS]
    assert positions == sorted(positions)
    assert (
        html.index("C7: ICT applications") < html.index("C7. E-Health") < html.index("C8: Cultural diversity")
    )
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "Telemedicine" in html
