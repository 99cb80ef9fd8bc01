"""Action Line titles are shown in the reader's language wherever a stakeholder meets them: the
workspace's navigation, the Section II list and a line's own page; in Arabic the code stays a
left-to-right island so that its colon or full stop does not jump to the other end."""

from html import escape

import pytest
from django.urls import reverse
from django.utils import translation

from action_lines.models import ActionLine
from tests import factories

pytestmark = pytest.mark.django_db

# The title of C2 and of the sub-line E-Health in each language, as the catalogues give them.
C2 = {
    "fr": "Infrastructure de l'information et de la communication",
    "es": "Infraestructura de la información y la comunicación",
    "ar": "البنية التحتية للمعلومات والاتصالات",
    "zh-hans": "信息和通信基础设施",
    "ru": "Информационная и коммуникационная инфраструктура",
}
E_HEALTH = {
    "fr": "Cybersanté",
    "es": "Cibersalud",
    "ar": "الصحة الإلكترونية",
    "zh-hans": "电子卫生",
    "ru": "Электронное здравоохранение",
}


def speaking(client, report, language: str):
    client.force_login(factories.MembershipFactory.create(entity=report.entity).user)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    return client


@pytest.mark.parametrize("language", C2)
def test_the_workspace_and_the_section_ii_list_name_the_lines_in_the_readers_language(
    client, report, language
):
    speaking(client, report, language)
    workspace = client.get(reverse("reports:workspace", kwargs={"report_id": report.pk})).content.decode()
    lines = client.get(reverse("reports:section", kwargs={"report_id": report.pk, "key": "action-lines"}))
    section_ii = lines.content.decode()
    for page, name in ((workspace, "workspace"), (section_ii, "Section II list")):
        assert escape(C2[language]) in page, f"{language} {name}: C2's title is not translated"
        assert escape(E_HEALTH[language]) in page, f"{language} {name}: E-Health is not translated"
        assert "Information and communication infrastructure" not in page, f"{language} {name}: English title"


def test_in_arabic_the_code_is_isolated_and_its_punctuation_stays_beside_it(reference_data):
    c2 = ActionLine.objects.get(code="C2")
    e_health = ActionLine.objects.get(code="C7.HEALTH")
    with translation.override("ar"):
        assert c2.label == "\u2066C2\u2069: " + C2["ar"]
        assert e_health.label == "\u2066C7\u2069. " + E_HEALTH["ar"]
    with translation.override("fr"):
        assert c2.label == "C2: " + C2["fr"]
