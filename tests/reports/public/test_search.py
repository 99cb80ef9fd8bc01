"""The search and filters of /published/: ranked full-text search with snippets on PostgreSQL
(each language's configuration), a plain word match on SQLite, counts per filter value, pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reports import published
from reports.published import PublicFilters, public_search

from .conftest import make_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(cycle, publish):
    return {
        "kenya": publish(
            make_report(
                cycle=cycle,
                name="Kenya Broadband Office",
                summary="We connected 300 rural schools to broadband networks.",
                lines={"C2": "Fibre backbone to every county."},
            )
        ),
        "france": publish(
            make_report(
                cycle=cycle,
                name="Agence du numérique",
                country="FR",
                language="fr",
                stakeholder_type="civil_society",
                summary="Nous avons connecté les écoles rurales et formé les enseignants.",
                lines={"C4": "Formation des enseignants au numérique."},
            )
        ),
        "russia": publish(
            make_report(
                cycle=cycle,
                name="Digital Skills Foundation",
                country="RU",
                language="ru",
                stakeholder_type="academia",
                summary="Мы подключили школы к интернету.",
            )
        ),
    }


def names(response) -> str:
    return response.content.decode()


def test_search_finds_words_in_the_report_text_and_marks_them(client, library):
    body = names(client.get(reverse("public:reports"), {"q": "rural schools"}))
    assert "Kenya Broadband Office" in body
    assert "Digital Skills Foundation" not in body
    assert "<mark>" in body


def test_search_by_entity_name_part(client, library):
    body = names(client.get(reverse("public:reports"), {"q": "Broadband Off"}))
    assert "Kenya Broadband Office" in body
    assert "Agence du numérique" not in body


@pytest.mark.postgres
def test_postgres_search_uses_each_languages_stemming(library):
    # French stemming: "enseignant" finds "enseignants"; Russian: "школа" finds "школы".
    french = public_search(filters=PublicFilters(q="enseignant"))
    assert [hit.report.entity.name for hit in french.hits] == ["Agence du numérique"]
    russian = public_search(filters=PublicFilters(q="школа"))
    assert [hit.report.entity.name for hit in russian.hits] == ["Digital Skills Foundation"]
    english = public_search(filters=PublicFilters(q="connecting school"))
    assert [hit.report.entity.name for hit in english.hits] == ["Kenya Broadband Office"]
    assert english.ranked
    assert "<mark>" in str(english.hits[0].snippet)


@pytest.mark.postgres
def test_postgres_ranks_the_better_match_first(cycle, publish):
    publish(
        make_report(cycle=cycle, name="Passing Mention", summary="Some broadband, among many other things.")
    )
    publish(
        make_report(
            cycle=cycle,
            name="Broadband Commission Office",
            summary="Broadband. Broadband for all. Broadband targets.",
        )
    )
    result = public_search(filters=PublicFilters(q="broadband"))
    assert [hit.report.entity.name for hit in result.hits] == [
        "Broadband Commission Office",
        "Passing Mention",
    ]


def test_fallback_search_matches_every_word(library, monkeypatch):
    """The embedded default's search (SQLite): every word somewhere in the text or the name.
    Forced here so that it is checked whatever database the suite runs on."""
    monkeypatch.setattr(published, "_is_postgres", lambda: False)
    assert [h.report.entity.name for h in public_search(filters=PublicFilters(q="rural teachers")).hits] == []
    result = public_search(filters=PublicFilters(q="rural SCHOOLS"))
    assert [h.report.entity.name for h in result.hits] == ["Kenya Broadband Office"]
    assert not result.ranked
    assert "<mark>schools</mark>" in str(result.hits[0].snippet)


def test_filters_and_counts_per_value(client, library):
    result = public_search(filters=PublicFilters(stakeholder_type="government"))
    assert [hit.report.entity.name for hit in result.hits] == ["Kenya Broadband Office"]
    # The stakeholder-type counts leave their own filter out, so the other values stay visible.
    assert result.facets["stakeholder_type"] == {"government": 1, "civil_society": 1, "academia": 1}
    assert result.facets["country"] == {"KE": 1}
    assert result.facets["action_line"] == {"C2": 1}
    body = names(client.get(reverse("public:reports"), {"region": "europe"}))
    assert "Agence du numérique" in body
    assert "Kenya Broadband Office" not in body
    assert "Europe (1)" in body
    assert "Commonwealth of Independent States (1)" in body  # the counts leave the region filter out


def test_action_line_filter_counts_sub_lines_for_c7(cycle, publish):
    publish(
        make_report(cycle=cycle, name="Health Ministry", summary="x", lines={"C7.HEALTH": "Telemedicine."})
    )
    publish(make_report(cycle=cycle, name="Roads Agency", summary="x", lines={"C2": "Roads and fibre."}))
    result = public_search(filters=PublicFilters(action_line="C7"))
    assert [hit.report.entity.name for hit in result.hits] == ["Health Ministry"]
    assert result.facets["action_line"]["C7"] == 1
    assert result.facets["action_line"]["C7.HEALTH"] == 1


def test_a_bad_filter_value_is_named_and_the_rest_still_applies(client, library):
    response = client.get(reverse("public:reports"), {"q": "broadband", "region": "atlantis"})
    body = names(response)
    assert response.status_code == 200
    assert "This value is not one of the choices: the filter was left out." in body
    assert "Kenya Broadband Office" in body
    assert 'value="broadband"' in body


def test_a_too_long_search_is_explained_and_kept_in_the_box(client, library):
    long_query = "broadband " * 30
    body = names(client.get(reverse("public:reports"), {"q": long_query}))
    assert "Search with at most 200 characters" in body
    assert long_query.strip() in body


def test_pages(client, cycle, publish):
    for n in range(23):
        publish(make_report(cycle=cycle, name=f"Entity number {n:02d}", summary="Same text."))
    first = names(client.get(reverse("public:reports")))
    assert "23 published reports" in first
    assert first.count('class="public-result"') == 20
    second = names(client.get(reverse("public:reports"), {"page": 2}))
    assert second.count('class="public-result"') == 3
    assert "Entity number 00" in second  # newest first: the first published is last
