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
from django.utils import timezone, translation
from django.utils.formats import date_format

from reports.admin.exports import line_export_header
from reports.models import FollowUpContact, JobStatus
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


# --- Terms and dates -------------------------------------------------------------------------

GLOSSARY = ROOT / "locale" / "GLOSSARY.md"


def checked_terms() -> list[tuple[str, dict[str, list[str]]]]:
    """The table "Checked terms" of locale/GLOSSARY.md: an English pattern, the forms per language."""
    text = GLOSSARY.read_text().split("## Checked terms", 1)[1]
    rows = [line.strip().strip("|").split("|") for line in text.splitlines() if line.startswith("| `")]
    header = ["fr", "es", "ar", "zh_Hans", "ru"]
    terms = []
    for cells in rows:
        assert len(cells) == 1 + len(header), f"GLOSSARY.md: a checked term needs {header}: {cells}"
        forms = {lang: cell.strip().split("/") for lang, cell in zip(header, cells[1:], strict=True)}
        terms.append((cells[0].strip().strip("`"), forms))
    return terms


def compiled(directory: str, tmp_path: Path) -> dict:
    mo = tmp_path / f"{directory}.mo"
    subprocess.run([msgfmt(), "-o", str(mo), str(po_file(directory))], check=True)
    with open(mo, "rb") as fh:
        return _messages(fh)


def test_the_glossary_lists_the_checked_terms():
    terms = dict(checked_terms())
    assert {r"WSIS\+20", r"(?i)facilitator", "Secretary-General", r"(?i)\bsecretariat\b"} <= terms.keys()
    assert terms[r"WSIS\+20"]["fr"] == ["SMSI+20"]


@pytest.mark.parametrize("directory", LOCALES.values())
def test_every_translation_uses_the_glossarys_terms(directory, tmp_path):
    messages = compiled(directory, tmp_path)
    wrong = []
    for pattern, agreed in checked_terms():
        for key, text in messages.items():
            msgid = (key[0] if isinstance(key, tuple) else key).split("\x04")[-1]
            if (
                msgid
                and re.search(pattern, msgid)
                and not any(f.lower() in text.lower() for f in agreed[directory])
            ):
                wrong.append(f"{pattern} → {'/'.join(agreed[directory])}: {msgid[:60]!r} = {text[:60]!r}")
    assert not wrong, f"{directory}: translations not using locale/GLOSSARY.md's terms:\n" + "\n".join(wrong)


@pytest.mark.parametrize("directory", LOCALES.values())
def test_no_translation_leaves_a_bare_wsis_or_an_english_plural_trick(directory, tmp_path):
    messages = compiled(directory, tmp_path)
    bare = [text for key, text in messages.items() if key and re.search(r"\bWSIS\b", text)]  # not the header
    assert not bare, f"{directory}: 'WSIS' left in English: {bare[:5]}"
    tricks = [key for key in messages if re.search(r"\w\(s\)", key if isinstance(key, str) else key[0])]
    assert not tricks, f"{directory}: use ngettext/blocktranslate count, not '(s)': {tricks[:5]}"


# 2 December 2026, 14:30: day before month in every language but Chinese (year first), never the
# American 12/02/2026.
LAST_SAVED = {
    "en": "2 Dec 2026, 14:30",
    "fr": "02/12/2026 14:30",
    "es": "02/12/2026 14:30",
    "ar": "02\u200f/12\u200f/2026 2:30 م",
    "zh-hans": "2026年12月2日 14:30",
    "ru": "02.12.2026 14:30",
}


@pytest.mark.parametrize("language", LAST_SAVED)
def test_short_dates_and_times_follow_each_languages_order(language):
    moment = datetime(2026, 12, 2, 14, 30, tzinfo=ZoneInfo("UTC"))
    with translation.override(language):
        assert date_format(moment, "SHORT_DATETIME_FORMAT") == LAST_SAVED[language]
        long = date_format(moment, "DATETIME_FORMAT")
    assert "12/02" not in long, f"{language}: American date {long!r}"
    assert "Dec. 2" not in long, f"{language}: American date {long!r}"


@pytest.mark.django_db
def test_an_arabic_section_says_when_it_was_last_saved_day_first(client, report):
    member_speaking(client, report, "ar")
    url = reverse("reports:section", kwargs={"report_id": report.pk, "key": "executive-summary"})
    saved = client.post(url, {"base_version": 0, "executive_summary": "ملخص."})
    assert saved.status_code in {200, 302}
    page = client.get(url).content.decode()
    found = re.search(r'id="save-status"[^>]*>([^<]*)<', page)
    assert found, "no save status on the page"
    status = found.group(1)
    day_month = re.search(r"\b(\d{2})\u200f/(\d{2})\u200f/\d{4} ", status)
    assert day_month, f"the Arabic save status is not written dd/mm/yyyy: {status!r}"
    today = timezone.localtime()
    assert (int(day_month.group(1)), int(day_month.group(2))) == (today.day, today.month), status


def test_one_english_word_with_two_meanings_has_two_translations():
    """Contexts (locale/GLOSSARY.md): an Action Line's answer state is not the report's status,
    a person's name is not an organisation's, a failed job is not a refused report."""
    with translation.override("es"):
        assert str(JobStatus.FAILED.label) == "Con error"
        assert "Situación" in line_export_header()
        assert translation.gettext("Status") == "Estado"
    with translation.override("zh-hans"):
        assert str(FollowUpContact._meta.get_field("name").verbose_name)  # noqa: SLF001 == "姓名"
        assert translation.gettext("name") == "名称"
    with translation.override("ru"):
        assert str(FollowUpContact._meta.get_field("name").verbose_name)  # noqa: SLF001 == "имя и фамилия"
        assert translation.gettext("name") == "название"


def test_a_refused_bulk_move_says_the_move_failed_not_that_the_reports_were_rejected():
    with translation.override("fr"):
        text = translation.ngettext(
            "%(n)d report could not be moved to “%(status)s”: ",
            "%(n)d reports could not be moved to “%(status)s”: ",
            3,
        ) % {"n": 3, "status": "Accepté"}
    assert text == "Le passage au statut «\u00a0Accepté\u00a0» a été refusé pour 3 rapports\u00a0: "
