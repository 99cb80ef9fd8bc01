"""The portal in its six languages: complete catalogues, and pages that speak the reader's language."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from reports.web.forms import EntityForm
from tests import factories

ROOT = Path(settings.BASE_DIR)
LOCALES = {"fr": "fr", "es": "es", "ar": "ar", "zh-hans": "zh_Hans", "ru": "ru"}


def _messages(mo_file) -> dict:
    """A compiled catalogue's messages (gettext has no public way to list them)."""
    return gettext.GNUTranslations(mo_file)._catalog  # type: ignore[attr-defined]  # noqa: SLF001


def po_file(directory: str) -> Path:
    return ROOT / "locale" / directory / "LC_MESSAGES" / "django.po"


def msgfmt() -> str:
    path = shutil.which("msgfmt")
    assert path, "msgfmt (Debian package gettext) is needed: scripts/install-system-packages.sh installs it"
    return path


def test_every_language_of_the_switcher_has_a_catalogue():
    assert {code for code, _name in settings.LANGUAGES} == {"en", *LOCALES}


@pytest.mark.parametrize("directory", LOCALES.values())
def test_each_catalogue_is_complete_valid_and_compiled(directory, tmp_path):
    po = po_file(directory)
    checked = subprocess.run(
        [msgfmt(), "--check", "--statistics", "-o", str(tmp_path / "django.mo"), str(po)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    # "770 translated messages." and nothing fuzzy or untranslated.
    assert re.fullmatch(r"\d+ translated messages\.\s*", checked.stderr), checked.stderr
    # The committed .mo (what Django reads) says what the .po says.
    with open(tmp_path / "django.mo", "rb") as fresh, open(po.with_suffix(".mo"), "rb") as committed:
        assert _messages(committed) == _messages(fresh), (
            f"{po.with_suffix('.mo')} is older than its .po: run `make messages`"
        )


def test_every_string_marked_in_the_code_is_in_the_catalogues(tmp_path):
    """makemessages over a copy of the project finds no string the catalogues lack: a string added
    to the code without its five translations fails here (`make messages`, then translate)."""
    copy = tmp_path / "project"
    ignore = shutil.ignore_patterns(
        ".venv", "var", ".git", "__pycache__", "*.mo", "wsis_portal.egg-info", "node_modules", ".pytest_cache"
    )
    shutil.copytree(ROOT, copy, ignore=ignore)
    found = re.search(r"^MAKEMESSAGES_ARGS \?= (.*)$", (ROOT / "Makefile").read_text(), re.M)
    assert found, "Makefile: no MAKEMESSAGES_ARGS"
    args = found.group(1).split()
    languages = [arg for directory in LOCALES.values() for arg in ("-l", directory)]
    env = {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "wsis_portal.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "makemessages", *languages, *args],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr

    def msgids(path: Path) -> set[str]:
        compiled = tmp_path / f"{path.parent.parent.name}.mo"
        subprocess.run([msgfmt(), "-o", str(compiled), str(path)], check=True)
        with open(compiled, "rb") as fh:
            return {key if isinstance(key, str) else key[0] for key in _messages(fh)}

    for directory in LOCALES.values():
        new = msgids(copy / "locale" / directory / "LC_MESSAGES" / "django.po")
        missing = {
            msgid
            for msgid in new - msgids(po_file(directory))
            if msgid  # the header
        }
        assert not missing, f"{directory}: strings without a translation: {sorted(missing)[:10]}"


HOME = {
    "fr": ("Date limite\u00a0: 21 janvier 2027", "ltr"),
    "es": ("Plazo: 21 de enero de 2027", "ltr"),
    "ar": ("الموعد النهائي: 21 يناير، 2027", "rtl"),
    "zh-hans": ("截止日期：2027年1月21日", "ltr"),
    "ru": ("Крайний срок: 21 января 2027 г.", "ltr"),
    "en": ("Deadline: 21 January 2027", "ltr"),
}


@pytest.fixture
def cycle_ending_21_january(cycle):
    cycle.deadline = datetime(2027, 1, 21, 23, 59, tzinfo=ZoneInfo("Europe/Zurich"))
    cycle.save()
    return cycle


@pytest.mark.django_db
@pytest.mark.parametrize("language", HOME)
def test_the_home_page_speaks_the_browsers_language_with_its_dates_and_direction(
    client, cycle_ending_21_january, language
):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    expected, direction = HOME[language]
    assert f'<html lang="{language}" dir="{direction}">' in page
    assert expected in page


@pytest.mark.django_db
def test_the_language_switcher_keeps_the_choice_for_the_next_pages(client, cycle_ending_21_january):
    choice = {"language": "fr", "next": "/"}
    response = client.post(reverse("set_language"), choice, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Date limite\u00a0: 21 janvier 2027" in page
    assert '<option value="fr" lang="fr" selected>Français</option>' in page


def member_speaking(client, report, language: str):
    """The client logged in as a member of ``report``'s entity who chose ``language``."""
    client.force_login(factories.MembershipFactory.create(entity=report.entity).user)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    return client


@pytest.mark.django_db
def test_a_french_stakeholder_fills_the_report_in_french_and_errors_are_french(client, report):
    member_speaking(client, report, "fr")
    url = reverse("reports:section", kwargs={"report_id": report.pk, "key": "line-C2"})
    page = client.get(url).content.decode()
    assert "Enregistrer" in page
    assert "Réalisations" in page
    response = client.post(
        url,
        {
            "base_version": 0,
            "achievements": "Trois cents écoles connectées.",
            "stories-TOTAL_FORMS": "1",
            "stories-INITIAL_FORMS": "0",
            "stories-MIN_NUM_FORMS": "0",
            "stories-MAX_NUM_FORMS": "20",
            "stories-0-description": "Une description sans titre.",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Donnez un titre à cet exemple de réussite." in page
    assert "Trois cents écoles connectées." in page


@pytest.mark.django_db
def test_an_arabic_workspace_is_laid_out_right_to_left(client, report):
    member_speaking(client, report, "ar")
    page = client.get(reverse("reports:workspace", kwargs={"report_id": report.pk})).content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert "الموجز التنفيذي" in page  # Executive Summary


@pytest.mark.django_db
def test_the_entity_form_lists_countries_and_regions_in_the_readers_language_and_order(reference_data):

    def labels() -> list[str]:
        field = EntityForm().fields["country"]
        assert isinstance(field, forms.ChoiceField)
        return [str(label) for value, label in field.widget.choices if value]

    with translation.override("en"):
        english = labels()
    assert "South Africa — Africa" in english
    assert "Türkiye — Europe" in english
    with translation.override("fr"):
        french = labels()
    assert "Afrique du Sud — Afrique" in french
    # Alphabetical in French, accents aside: Allemagne … Éthiopie … France.
    in_order = ("Allemagne — Europe", "Éthiopie — Afrique", "France — Europe")
    positions = [french.index(label) for label in in_order]
    assert positions == sorted(positions)
    with translation.override("ru"):
        assert "Кения — Африка" in labels()
