"""Demo data: entities of every stakeholder type in every region, and reports in every
status, written with the real text of the WSIS source documents (``fixtures/demo_text.json``,
built from the seeds by ``fixtures/build_demo_text.py``).

Deterministic for a given seed: the same seed gives the same entities, texts and statuses.
Written with bulk inserts, so thousands of reports take seconds.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from action_lines.models import ActionLine

from .document import snapshot
from .models import (
    ActionLineProgress,
    Country,
    Entity,
    FollowUpContact,
    KeyIndicator,
    Membership,
    Region,
    Report,
    ReportingCycle,
    StakeholderType,
    Submission,
    SuccessStory,
)

DEMO_PASSWORD = "wsis-demo-2025"  # noqa: S105  (printed for the local demo; never used in production)
# The demo secretariat's authenticator app key (base32), printed with the logins so that a person
# can add it to an app: the embedded default only (``demo_seed(staff_credentials=False)`` elsewhere).
DEMO_TOTP_SECRET = "WSISDEMOSECRETARIATTOTPKEY234567"  # noqa: S105
STAKEHOLDER_EMAIL = "stakeholder@example.org"
SECRETARIAT_EMAIL = "secretariat@example.org"
DEMO_CYCLE_SLUG = "wsis20-demo"
REFERENCE_FIXTURES = ("regions", "countries", "action_lines", "cycles")

# Share of reports per status (drafts are the partly filled ones).
STATUS_WEIGHTS = {
    Report.Status.DRAFT: 25,
    Report.Status.SUBMITTED: 25,
    Report.Status.UNDER_REVIEW: 15,
    Report.Status.CHANGES_REQUESTED: 10,
    Report.Status.ACCEPTED: 15,
    Report.Status.PUBLISHED: 10,
}

NAME_PATTERNS = {
    StakeholderType.GOVERNMENT: [
        ("Ministry of Communications and Digital Economy of {country}", "MCDE"),
        ("National Telecommunications Regulatory Authority of {country}", "NTRA"),
        ("Office of Digital Government, {country}", "ODG"),
        ("Ministry of Information and Communication Technologies, {country}", "MICT"),
    ],
    StakeholderType.PRIVATE_SECTOR: [
        ("{word} Telecom {country}", ""),
        ("{word} Networks Ltd ({country})", ""),
        ("{word} Digital Services, {country}", ""),
        ("{word} Satellite Communications ({country})", ""),
    ],
    StakeholderType.CIVIL_SOCIETY: [
        ("Digital Rights Foundation of {country}", "DRF"),
        ("Community Networks Association, {country}", "CNA"),
        ("Women in ICT Network, {country}", "WICT"),
        ("Youth for Digital Inclusion, {country}", "Y4DI"),
    ],
    StakeholderType.ACADEMIA: [
        ("{country} Institute of Technology", "IT"),
        ("Centre for Internet and Society Studies, {country}", "CISS"),
        ("National University of {country}, Faculty of Computing", "NU"),
        ("{country} School of Public Policy and Technology", "SPPT"),
    ],
    StakeholderType.TECHNICAL_COMMUNITY: [
        ("{country} Internet Exchange Point Association", "IXPA"),
        ("Network Information Centre of {country}", "NIC"),
        ("{country} Chapter of the Internet Technical Community", "ITC"),
        ("Computer Emergency Response Team of {country}", "CERT"),
    ],
    StakeholderType.INTERNATIONAL_ORGANIZATION: [
        ("{region} Digital Cooperation Organization", "DCO"),
        ("{region} Telecommunications Union", "TU"),
        ("Intergovernmental Council for the Information Society, {region}", "ICIS"),
        ("{region} Development Bank, Digital Division", "DB"),
    ],
}
COMPANY_WORDS = [
    "Horizon",
    "Meridian",
    "Baobab",
    "Andes",
    "Cedar",
    "Lotus",
    "Aurora",
    "Atlas",
    "Nile",
    "Condor",
    "Zenith",
    "Orion",
    "Sahel",
    "Pacifica",
    "Boreal",
    "Harbour",
    "Savanna",
    "Summit",
    "Delta",
    "Coral",
]
INDICATOR_ROWS = [
    ("Percentage of the population using the Internet", "%", "ITU World Telecommunication/ICT Indicators"),
    ("Mobile-cellular subscriptions per 100 inhabitants", "per 100", "National regulator"),
    ("Government services available online", "%", "UN E-Government Survey"),
    ("Fixed broadband connections", "connections", "National statistics office"),
    ("Cybersecurity initiatives launched", "initiatives", "National CERT"),
    ("People trained in digital skills", "people", "Ministry of Education"),
    ("Digital governance frameworks adopted", "frameworks", "Official gazette"),
    ("Schools connected to the Internet", "%", "Giga school connectivity mapping"),
]
FIRST_NAMES = [
    "Amina",
    "Carlos",
    "Li",
    "Olga",
    "Fatima",
    "John",
    "Priya",
    "Kwame",
    "Sofia",
    "Ahmed",
    "Mei",
    "Lucas",
]
LAST_NAMES = [
    "Diallo",
    "García",
    "Wang",
    "Ivanova",
    "Haddad",
    "Smith",
    "Sharma",
    "Mensah",
    "Rossi",
    "Khan",
    "Chen",
]
POSITIONS = [
    "Director of Digital Policy",
    "Head of International Cooperation",
    "WSIS Focal Point",
    "Senior Adviser",
]


@dataclass
class DemoResult:
    entities: int
    reports: int
    submissions: int
    stakeholder_email: str
    secretariat_email: str
    password: str
    # The demo secretariat's app key and its otpauth:// address; None when staff_credentials=False.
    totp_secret: str | None = None
    totp_uri: str | None = None


def reference_data_load(*, force: bool = False) -> bool:
    """Load the reference fixtures (regions, countries, Action Lines, the 2025 cycle) if missing."""
    if not force and ActionLine.objects.exists() and Country.objects.exists() and Region.objects.exists():
        return False
    call_command("loaddata", *REFERENCE_FIXTURES, verbosity=0)
    return True


def load_demo_text() -> dict:
    with open(settings.BASE_DIR / "fixtures" / "demo_text.json", encoding="utf-8") as fh:
        return json.load(fh)


def demo_cycle_ensure(*, today=None) -> ReportingCycle:
    """An open cycle whose deadline lies in the future (the 2025 one is long closed)."""
    today = today or timezone.now().date()
    opens = datetime.combine(today - timedelta(days=30), time(0, 0), tzinfo=UTC)
    deadline = datetime.combine(today + timedelta(days=60), time(21, 59, 59), tzinfo=UTC)
    cycle, _created = ReportingCycle.objects.update_or_create(
        slug=DEMO_CYCLE_SLUG,
        defaults={
            "name": "WSIS+20 review — demo cycle",
            "opens_at": opens,
            "deadline": deadline,
            "late_policy": ReportingCycle.LatePolicy.ACCEPT,
            "secretariat_email": settings.SECRETARIAT_EMAIL,
            "secretariat_address": "WSIS Secretariat\nInternational Telecommunication Union\n"
            "Place des Nations\n1211 Geneva 20\nSwitzerland",
        },
    )
    return cycle


class _Writer:
    """Generates the text of one demo dataset from a seeded random generator."""

    def __init__(self, rng: random.Random, text: dict) -> None:
        self.rng = rng
        self.text = text
        self.pool = text["paragraphs_en"]
        self.recommendations = text["recommendations"]
        self.titles = text["session_titles"]

    def paragraphs(self, low: int, high: int) -> str:
        return "\n\n".join(self.rng.sample(self.pool, self.rng.randint(low, high)))

    def bullets(self, items: list[str], extra: int = 1) -> str:
        chosen = list(items) + self.rng.sample(self.recommendations, extra)
        return "\n".join(f"- {item}" for item in chosen)


def _pick_status(rng: random.Random, index: int) -> str:
    statuses = list(STATUS_WEIGHTS)
    if index < len(statuses):  # the first reports cover every status
        return statuses[index]
    return rng.choices(statuses, weights=list(STATUS_WEIGHTS.values()))[0]


@transaction.atomic
def demo_seed(
    *, reports: int = 60, seed: int = 2025, today=None, staff_credentials: bool = True
) -> DemoResult:
    """Create the demo logins, a demo cycle, ``reports`` entities and one report each.

    ``staff_credentials``: the demo secretariat account logs in with the demo password and the
    authenticator app key ``DEMO_TOTP_SECRET`` (the embedded default). Without, it has no usable
    password and no app: nobody logs in with known credentials as staff (an operator sets a
    password with ``manage.py changepassword`` and the person sets up their own app)."""
    reference_data_load()
    rng = random.Random(seed)
    writer = _Writer(rng, load_demo_text())
    cycle = demo_cycle_ensure(today=today)
    lines = list(ActionLine.objects.in_template_order())
    regions = list(Region.objects.order_by("order"))
    countries_by_region: dict[str, list[Country]] = {r.code: [] for r in regions}
    for country in Country.objects.select_related("region").order_by("code"):
        countries_by_region[country.region_id].append(country)
    types = list(StakeholderType)

    User = get_user_model()
    password_hash = make_password(DEMO_PASSWORD)
    stakeholder = _user_ensure(User, STAKEHOLDER_EMAIL, password_hash, first="Demo", last="Stakeholder")
    secretariat = _user_ensure(
        User,
        SECRETARIAT_EMAIL,
        password_hash if staff_credentials else make_password(None),
        first="Demo",
        last="Secretariat",
        staff=True,
    )
    totp_uri = demo_staff_app_ensure() if staff_credentials else None
    if not staff_credentials and secretariat.check_password(DEMO_PASSWORD):
        secretariat.set_unusable_password()  # seeded once with DEBUG on: the known password goes
        secretariat.save(update_fields=["password"])
    group = Group.objects.filter(name="Secretariat").first()
    if group:
        secretariat.groups.add(group)

    start_index = Entity.objects.count()
    used_names = {(n.lower(), c) for n, c in Entity.objects.values_list("name", "country_id")}
    entities: list[Entity] = []
    for i in range(start_index, start_index + reports):
        stype = types[i % len(types)]
        region = regions[(i // len(types)) % len(regions)]
        country = rng.choice(countries_by_region[region.code])
        pattern, acronym = rng.choice(NAME_PATTERNS[stype])
        name = pattern.format(country=country.name, region=region.name, word=rng.choice(COMPANY_WORDS))
        if (name.lower(), country.code) in used_names:
            name = f"{name} — office {i}"
        used_names.add((name.lower(), country.code))
        entities.append(
            Entity(
                name=name,
                acronym=(acronym + country.code) if acronym else "",
                stakeholder_type=stype,
                country=country,
                website=f"https://www.example.org/{country.code.lower()}/{i}",
            )
        )
    Entity.objects.bulk_create(entities, batch_size=500)

    owners = [
        User(
            username=f"demo-owner-{e.pk}",
            email=f"owner{e.pk}@example.org",
            password=password_hash,
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
        )
        for e in entities
    ]
    User.objects.bulk_create(owners, batch_size=500)
    memberships = [
        Membership(user=u, entity=e, role=Membership.Role.OWNER)
        for u, e in zip(owners, entities, strict=True)
    ]
    if entities and not Membership.objects.filter(user=stakeholder).exists():
        memberships.append(Membership(user=stakeholder, entity=entities[0], role=Membership.Role.OWNER))
    Membership.objects.bulk_create(memberships, batch_size=500)

    now = timezone.now()
    report_objs: list[Report] = []
    full_reports: set[int] = set()
    for n, entity in enumerate(entities):
        status = _pick_status(rng, n)
        if n == 0:
            status = Report.Status.DRAFT  # the demo stakeholder's own report is work in progress
        full = status != Report.Status.DRAFT or rng.random() < 0.3
        submitted = status != Report.Status.DRAFT
        span = max((min(cycle.deadline, now) - cycle.opens_at).total_seconds(), 3600)
        submitted_at = cycle.opens_at + timedelta(seconds=rng.uniform(0, span)) if submitted else None
        report = Report(
            entity=entity,
            cycle=cycle,
            status=status,
            language="en",
            executive_summary=writer.paragraphs(2, 3),
            digital_strategy=writer.paragraphs(1, 2) if full else "",
            strategic_documents=writer.bullets([], extra=3) if full else "",
            wsis_mandates=writer.paragraphs(1, 2) if full else "",
            indicators_narrative=writer.paragraphs(1, 1) if full else "",
            challenges_gaps=writer.paragraphs(1, 2) if full else "",
            future_vision=writer.bullets(rng.sample(writer.text["vision"], 3), extra=1) if full else "",
            submitted_at=submitted_at,
            submitted_by=owners[n] if submitted else None,
            submission_count=1 if submitted else 0,
            changes_requested_message=(
                "Please complete the success stories for C7 and add the sources of your indicators."
                if status == Report.Status.CHANGES_REQUESTED
                else ""
            ),
        )
        if full:
            full_reports.add(n)
        report_objs.append(report)
    Report.objects.bulk_create(report_objs, batch_size=200)

    progress: list[ActionLineProgress] = []
    stories: list[SuccessStory] = []
    indicators: list[KeyIndicator] = []
    contacts: list[FollowUpContact] = []
    parts: dict[int, dict[str, list]] = {}
    for n, (report, owner) in enumerate(zip(report_objs, owners, strict=True)):
        full = n in full_reports
        mine = parts.setdefault(report.pk, {"progress": [], "stories": [], "indicators": []})
        covered = 0
        line_budget = len(lines) if full else rng.randint(2, 6)
        for line in lines[:line_budget]:
            seed_text = writer.text["action_lines"].get(line.code, {"achievements": [], "challenges": []})
            not_applicable = line.parent_id is not None and rng.random() < 0.12
            row = ActionLineProgress(
                report=report,
                action_line=line,
                not_applicable=not_applicable,
                achievements="" if not_applicable else writer.bullets(seed_text["achievements"], extra=1),
                challenges="" if not_applicable else writer.bullets(seed_text["challenges"], extra=1),
                future_priorities="" if not_applicable else writer.bullets([], extra=2),
            )
            covered += 0 if not_applicable else 1
            progress.append(row)
            mine["progress"].append(row)
            if not not_applicable and rng.random() < 0.3:
                story = SuccessStory(
                    report=report,
                    action_line=line,
                    title=rng.choice(writer.titles)[:300],
                    description=writer.paragraphs(1, 1),
                    url=rng.choice(["", "https://www.example.org/stories/" + line.slug]),
                    year=rng.randint(2005, 2025),
                    order=0,
                )
                stories.append(story)
                mine["stories"].append(story)
        report.lines_covered = covered
        for order, (name, unit, source) in enumerate(rng.sample(INDICATOR_ROWS, rng.randint(3, 6))):
            value = f"{rng.uniform(5, 99):.1f}" if unit in {"%", "per 100"} else f"{rng.randint(3, 250000):,}"
            indicator = KeyIndicator(
                report=report,
                indicator=name,
                value=value,
                unit=unit,
                year=rng.randint(2015, 2025),
                source=source,
                note="",
                order=order,
            )
            indicators.append(indicator)
            mine["indicators"].append(indicator)
        contacts.append(
            FollowUpContact(
                report=report,
                name=f"{owner.first_name} {owner.last_name}",
                position=rng.choice(POSITIONS),
                unit="International Relations" if full else "",
                email=owner.email,
                phone=f"+41 22 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                address=f"{report.entity.name}\n{report.entity.country.name}",
            )
        )
    ActionLineProgress.objects.bulk_create(progress, batch_size=1000)
    SuccessStory.objects.bulk_create(stories, batch_size=1000)
    KeyIndicator.objects.bulk_create(indicators, batch_size=1000)
    FollowUpContact.objects.bulk_create(contacts, batch_size=1000)
    Report.objects.bulk_update(report_objs, ["lines_covered"], batch_size=500)

    contact_by_report = {c.report_id: c for c in contacts}
    submissions = [
        Submission(
            report=r,
            number=1,
            submitted_at=r.submitted_at,
            submitted_by=r.submitted_by,
            is_late=False,
            content=snapshot.document_build(
                report=r,
                action_lines=lines,
                progress=parts[r.pk]["progress"],
                stories=parts[r.pk]["stories"],
                indicators=parts[r.pk]["indicators"],
                contact=contact_by_report[r.pk],
            ),
        )
        for r in report_objs
        if r.submitted_at is not None  # every report but the drafts
    ]
    Submission.objects.bulk_create(submissions, batch_size=200)
    return DemoResult(
        entities=len(entities),
        reports=len(report_objs),
        submissions=len(submissions),
        stakeholder_email=STAKEHOLDER_EMAIL,
        secretariat_email=SECRETARIAT_EMAIL,
        password=DEMO_PASSWORD,
        totp_secret=DEMO_TOTP_SECRET if totp_uri else None,
        totp_uri=totp_uri,
    )


def demo_staff_app_ensure() -> str | None:
    """The demo secretariat account's authenticator app, with the key ``DEMO_TOTP_SECRET``
    (embedded default only); the ``otpauth://`` address an app reads, or None without the account."""
    secretariat = get_user_model().objects.filter(username=SECRETARIAT_EMAIL, is_staff=True).first()
    if secretariat is None:
        return None
    Authenticator.objects.get_or_create(
        user=secretariat,
        type=Authenticator.Type.TOTP,
        defaults={"data": {"secret": encrypt(DEMO_TOTP_SECRET)}},
    )
    return mfa_adapter().build_totp_url(secretariat, DEMO_TOTP_SECRET)


def _user_ensure(User, email: str, password_hash: str, *, first: str, last: str, staff: bool = False):
    user, created = User.objects.get_or_create(
        username=email,
        defaults={
            "email": email,
            "password": password_hash,
            "first_name": first,
            "last_name": last,
            "is_staff": staff,
        },
    )
    if not created and not user.has_usable_password():
        user.password = password_hash
        user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user
