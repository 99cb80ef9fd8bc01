"""Demo data: entities of every stakeholder type in every region, and reports in every
status, written with the real text of the WSIS source documents (``fixtures/demo_text.json``,
built from the seeds by ``fixtures/build_demo_text.py``).

Deterministic for a given seed: the same seed gives the same entities, texts and statuses.
Written with bulk inserts, so thousands of reports take seconds.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

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

from .annex import NARRATIVE_FIELDS
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
# The closed cycle of the reference data: a share of the demo entities reported in it (published), so
# that "start from our report for WSIS+20 review 2025" and the comparisons can be shown.
PREVIOUS_CYCLE_SLUG = "wsis20-2025"
PREVIOUS_SHARE = 4  # one demo report in four is a previous cycle's
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

# Entity names per stakeholder type: (pattern, whether the acronym is used). Acronyms are the initials
# of the name before its comma ("Ministry of Communications and Digital Economy, Kenya" → MCDE).
NAME_PATTERNS: dict[str, list[tuple[str, bool]]] = {
    StakeholderType.GOVERNMENT: [
        ("Ministry of Communications and Digital Economy, {country}", True),
        ("National Telecommunications Regulatory Authority, {country}", True),
        ("National Digital Transformation Agency, {country}", True),
        ("Ministry of Information and Communication Technologies, {country}", True),
        ("Office of the Government Chief Information Officer, {country}", True),
    ],
    StakeholderType.PRIVATE_SECTOR: [
        ("{word} Telecom {country}", False),
        ("{word} Networks Ltd, {country}", False),
        ("{word} Mobile Money Services, {country}", True),
        ("{word} Data Centres, {country}", False),
        ("{word} Satellite Broadband, {country}", False),
    ],
    StakeholderType.CIVIL_SOCIETY: [
        ("{country} Community Networks Association", True),
        ("Women in Technology Network, {country}", True),
        ("Youth for Digital Inclusion, {country}", True),
        ("Open Knowledge Society of {country}", True),
        ("Citizens' Digital Rights Forum, {country}", True),
    ],
    StakeholderType.ACADEMIA: [
        ("{country} Institute of Science and Technology", True),
        ("Centre for Internet and Society Studies, {country}", True),
        ("Faculty of Computing, National University of {country}", False),
        ("{country} School of Public Policy and Technology", True),
        ("Research Centre for Digital Health, {country}", True),
    ],
    StakeholderType.TECHNICAL_COMMUNITY: [
        ("{country} Internet Exchange Point Association", True),
        ("Network Information Centre, {country}", True),
        ("{country} Network Operators Group", True),
        ("Computer Emergency Response Team, {country}", True),
        ("{country} Internet Society Chapter", True),
    ],
    StakeholderType.INTERNATIONAL_ORGANIZATION: [
        ("{region} Broadband Partnership Secretariat", True),
        ("{region} Fund for Digital Inclusion", True),
        ("Intergovernmental Network for Digital Development, {region}", True),
        ("{region} Development Bank, Digital Economy Division", False),
        ("{region} Council of Telecommunication Regulators", True),
    ],
}
ACRONYM_SKIP = {"of", "and", "the", "for", "in", "de", "du", "la", "ltd"}
# Country names as an organisation's name uses them ("Tanzania", not "United Republic of Tanzania").
SHORT_COUNTRY = {
    "United Kingdom of Great Britain and Northern Ireland": "United Kingdom",
    "United States of America": "United States",
    "United Republic of Tanzania": "Tanzania",
    "Democratic Republic of the Congo": "DR Congo",
    "Lao People's Democratic Republic": "Lao PDR",
    "Democratic People's Republic of Korea": "DPR Korea",
    "Korea (Republic of)": "Korea",
    "Russian Federation": "Russia",
    "Syrian Arab Republic": "Syria",
    "Viet Nam": "Viet Nam",
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

# How likely an entity of each type is to report on a line (C7 is its sub-lines' parent): so the
# coverage chart shows what each kind of stakeholder works on, not a flat line.
LINE_FOCUS: dict[str, dict[str, float]] = {
    StakeholderType.GOVERNMENT: {
        "C1": 0.95,
        "C2": 0.9,
        "C3": 0.65,
        "C4": 0.75,
        "C5": 0.85,
        "C6": 0.9,
        "C7": 0.6,
        "C7.GOV": 0.95,
        "C7.BUS": 0.45,
        "C7.LEARN": 0.6,
        "C7.HEALTH": 0.65,
        "C7.EMP": 0.3,
        "C7.ENV": 0.35,
        "C7.AGRI": 0.45,
        "C7.SCI": 0.25,
        "C8": 0.4,
        "C9": 0.4,
        "C10": 0.3,
        "C11": 0.8,
    },
    StakeholderType.PRIVATE_SECTOR: {
        "C1": 0.35,
        "C2": 0.95,
        "C3": 0.3,
        "C4": 0.6,
        "C5": 0.7,
        "C6": 0.55,
        "C7": 0.5,
        "C7.GOV": 0.2,
        "C7.BUS": 0.9,
        "C7.LEARN": 0.25,
        "C7.HEALTH": 0.25,
        "C7.EMP": 0.45,
        "C7.ENV": 0.4,
        "C7.AGRI": 0.3,
        "C7.SCI": 0.1,
        "C8": 0.1,
        "C9": 0.15,
        "C10": 0.15,
        "C11": 0.25,
    },
    StakeholderType.CIVIL_SOCIETY: {
        "C1": 0.5,
        "C2": 0.35,
        "C3": 0.8,
        "C4": 0.9,
        "C5": 0.4,
        "C6": 0.3,
        "C7": 0.35,
        "C7.GOV": 0.3,
        "C7.BUS": 0.1,
        "C7.LEARN": 0.55,
        "C7.HEALTH": 0.3,
        "C7.EMP": 0.4,
        "C7.ENV": 0.3,
        "C7.AGRI": 0.3,
        "C7.SCI": 0.05,
        "C8": 0.75,
        "C9": 0.7,
        "C10": 0.85,
        "C11": 0.3,
    },
    StakeholderType.ACADEMIA: {
        "C1": 0.3,
        "C2": 0.25,
        "C3": 0.85,
        "C4": 0.9,
        "C5": 0.45,
        "C6": 0.2,
        "C7": 0.5,
        "C7.GOV": 0.15,
        "C7.BUS": 0.2,
        "C7.LEARN": 0.85,
        "C7.HEALTH": 0.45,
        "C7.EMP": 0.2,
        "C7.ENV": 0.45,
        "C7.AGRI": 0.4,
        "C7.SCI": 0.9,
        "C8": 0.5,
        "C9": 0.2,
        "C10": 0.6,
        "C11": 0.4,
    },
    StakeholderType.TECHNICAL_COMMUNITY: {
        "C1": 0.4,
        "C2": 0.9,
        "C3": 0.5,
        "C4": 0.7,
        "C5": 0.9,
        "C6": 0.7,
        "C7": 0.25,
        "C7.GOV": 0.15,
        "C7.BUS": 0.2,
        "C7.LEARN": 0.2,
        "C7.HEALTH": 0.05,
        "C7.EMP": 0.05,
        "C7.ENV": 0.15,
        "C7.AGRI": 0.05,
        "C7.SCI": 0.35,
        "C8": 0.35,
        "C9": 0.1,
        "C10": 0.3,
        "C11": 0.6,
    },
    StakeholderType.INTERNATIONAL_ORGANIZATION: {
        "C1": 0.9,
        "C2": 0.6,
        "C3": 0.55,
        "C4": 0.85,
        "C5": 0.55,
        "C6": 0.75,
        "C7": 0.55,
        "C7.GOV": 0.5,
        "C7.BUS": 0.35,
        "C7.LEARN": 0.45,
        "C7.HEALTH": 0.5,
        "C7.EMP": 0.3,
        "C7.ENV": 0.55,
        "C7.AGRI": 0.45,
        "C7.SCI": 0.3,
        "C8": 0.4,
        "C9": 0.35,
        "C10": 0.45,
        "C11": 0.95,
    },
}

# Success stories, titled for their own line.
STORY_TITLES: dict[str, list[str]] = {
    "C1": [
        "A national digital agenda agreed with industry and civil society",
        "A multistakeholder ICT council that meets every quarter",
    ],
    "C2": [
        "Fibre backbone extended to {n} rural districts",
        "Shared mobile towers bring 4G to {n} villages",
        "Satellite connectivity for {n} remote health posts",
    ],
    "C3": [
        "An open data portal with {n} public datasets",
        "Community libraries as digital access points in {n} towns",
    ],
    "C4": [
        "Digital skills for {k:,} teachers",
        "Coding clubs for {k:,} girls and young women",
        "An ICT innovation hub for young entrepreneurs",
    ],
    "C5": [
        "A national computer incident response team",
        "Cyber hygiene campaign reaching {k:,} small businesses",
        "Child online protection guidelines adopted",
    ],
    "C6": [
        "Spectrum auction lowers mobile data prices",
        "A data protection law and its independent authority",
        "Universal service fund reformed to finance rural access",
    ],
    "C7": ["Shared digital public infrastructure for public and private services"],
    "C7.GOV": [
        "One portal for {n} government services",
        "Digital identity for {k:,} citizens",
        "Online tax returns now the norm",
    ],
    "C7.BUS": ["Mobile payments for {k:,} market traders", "E-commerce training for {k:,} small firms"],
    "C7.LEARN": ["Remote lessons for {k:,} pupils", "Open textbooks in local languages"],
    "C7.HEALTH": [
        "Telemedicine links {n} rural clinics to referral hospitals",
        "Electronic health records in {n} hospitals",
    ],
    "C7.EMP": [
        "An online job-matching platform for young graduates",
        "Remote-work skills for {k:,} job seekers",
    ],
    "C7.ENV": ["E-waste collection points in {n} cities", "Early-warning text messages for floods"],
    "C7.AGRI": [
        "Weather and market prices by SMS for {k:,} farmers",
        "Digital land registry for smallholders",
    ],
    "C7.SCI": [
        "A national research and education network",
        "Shared high-performance computing for {m} universities",
    ],
    "C8": [
        "Digitised archives of oral history in {m} languages",
        "Keyboard and voice tools for a minority language",
    ],
    "C9": [
        "Safety training for {n} local journalists",
        "Media and information literacy in secondary schools",
    ],
    "C10": [
        "Ethical guidelines for artificial intelligence in public services",
        "Accessible web standards for persons with disabilities",
    ],
    "C11": [
        "A regional broadband corridor with neighbouring countries",
        "South-South exchange on digital government",
    ],
}
STORY_DESCRIPTIONS = [
    "Started in {start} with {partners}, the programme reached {people:,} people by {end}. It is now funded "
    "from the "
    "regular budget and its lessons are shared with neighbouring countries.",
    "A pilot in {start} showed what worked; from {mid} it was scaled up with {partners}. By {end} it served "
    "{people:,} people, half of them in rural areas.",
    "Designed with {partners} and launched in {start}, the initiative was evaluated independently in {end}: "
    "{people:,} people benefit from it, and costs fell by a third.",
]
PARTNERS = [
    "the national regulator and two operators",
    "local authorities and community organisations",
    "universities and the private sector",
    "development partners and civil society",
]
LINE_PRIORITIES: dict[str, list[str]] = {
    "C1": [
        "Keep the national digital agenda under multistakeholder review.",
        "Measure progress against clear, public targets.",
    ],
    "C2": [
        "Affordable broadband for the last 10% of the population.",
        "Resilient networks: backup power and redundant routes.",
    ],
    "C3": [
        "Open more public data, in machine-readable formats.",
        "Public access points where households cannot afford a connection.",
    ],
    "C4": [
        "Digital skills in every teacher-training curriculum.",
        "Advanced skills: data, cybersecurity and artificial intelligence.",
    ],
    "C5": [
        "Cybersecurity capacity for small and medium enterprises.",
        "Regional cooperation between incident response teams.",
    ],
    "C6": ["Regulation that keeps pace with new services.", "Investment-friendly and competitive markets."],
    "C7": ["Interoperable digital public infrastructure."],
    "C7.GOV": [
        "Every public service online, with an offline alternative.",
        "Once-only principle: citizens give their data once.",
    ],
    "C7.BUS": ["Cross-border e-commerce for small firms.", "Consumer protection for digital payments."],
    "C7.LEARN": ["Connect every school.", "Learning content in national languages."],
    "C7.HEALTH": [
        "Interoperable health records with strong privacy safeguards.",
        "Telemedicine in every district.",
    ],
    "C7.EMP": ["Social protection for platform workers.", "Reskilling for jobs changed by automation."],
    "C7.ENV": ["Collect and recycle e-waste safely.", "Measure the sector's carbon footprint."],
    "C7.AGRI": [
        "Digital advisory services for smallholder farmers.",
        "Rural connectivity for agricultural value chains.",
    ],
    "C7.SCI": [
        "Open science infrastructure shared across institutions.",
        "Research data management and open access.",
    ],
    "C8": ["More local content in local languages.", "Preserve digital heritage for future generations."],
    "C9": ["Protect journalists online and offline.", "Media literacy against disinformation."],
    "C10": ["Human rights-based governance of artificial intelligence.", "Accessibility by design."],
    "C11": ["Pool resources with neighbouring countries.", "Share what works through the WSIS Stocktaking."],
}

# Indicators per stakeholder type: (indicator, unit, low, high, decimals, source). Values are drawn
# in these ranges, so a percentage stays below 100 and a count stays a plausible count.
INDICATORS: dict[str, list[tuple[str, str, float, float, int, str]]] = {
    StakeholderType.GOVERNMENT: [
        (
            "Individuals using the Internet",
            "% of population",
            25,
            95,
            1,
            "ITU World Telecommunication/ICT Indicators Database",
        ),
        ("Mobile-cellular subscriptions", "per 100 inhabitants", 60, 160, 1, "National regulator"),
        ("Fixed broadband subscriptions", "per 100 inhabitants", 0.5, 40, 1, "National regulator"),
        ("Government services available online", "% of services", 30, 95, 0, "National e-government portal"),
        ("National cybersecurity exercises held", "exercises per year", 1, 6, 0, "National CERT"),
        (
            "Public servants trained in digital skills",
            "people",
            2_000,
            60_000,
            -2,
            "Civil service commission",
        ),
    ],
    StakeholderType.PRIVATE_SECTOR: [
        ("Population covered by a 4G network", "% of population", 45, 99, 1, "Company annual report"),
        ("Sites upgraded to 5G", "sites", 50, 3_000, 0, "Company annual report"),
        ("Merchants accepting mobile payments", "merchants", 1_000, 90_000, -2, "Company records"),
        ("Investment in network infrastructure", "USD million", 5, 800, 1, "Audited accounts"),
    ],
    StakeholderType.CIVIL_SOCIETY: [
        ("People trained in digital literacy", "people", 500, 25_000, -1, "Programme records"),
        ("Community networks supported", "networks", 2, 35, 0, "Programme records"),
        ("Women and girls trained in coding", "participants", 100, 5_000, 0, "Programme records"),
        ("Digital rights cases documented", "cases", 10, 300, 0, "Annual monitoring report"),
    ],
    StakeholderType.ACADEMIA: [
        ("Students enrolled in ICT degrees", "students", 300, 12_000, 0, "University registry"),
        (
            "Peer-reviewed publications on ICT for development",
            "publications",
            10,
            400,
            0,
            "Institutional repository",
        ),
        ("Research partnerships with industry", "partnerships", 3, 60, 0, "Research office"),
        ("Open online courses published", "courses", 5, 200, 0, "University e-learning platform"),
    ],
    StakeholderType.TECHNICAL_COMMUNITY: [
        ("Peak traffic exchanged at the IXP", "Gbit/s", 1, 400, 1, "IXP traffic statistics"),
        ("IPv6 adoption", "% of users", 1, 65, 1, "Measurements of the regional Internet registry"),
        (
            "Domain names registered under the country-code domain",
            "domains",
            5_000,
            900_000,
            -2,
            "Registry records",
        ),
        ("Security incidents handled", "incidents", 100, 9_000, 0, "CERT annual report"),
    ],
    StakeholderType.INTERNATIONAL_ORGANIZATION: [
        ("Member States given policy advice", "countries", 3, 60, 0, "Annual report"),
        ("Capacity-building workshops held", "workshops", 5, 120, 0, "Annual report"),
        ("Digital development projects funded", "projects", 4, 90, 0, "Project portfolio"),
        ("Participants in training programmes", "participants", 500, 40_000, -2, "Training records"),
    ],
}

# The narrative sections, written for each kind of stakeholder; seed text from the source documents
# goes only where it fits (the Action Lines' achievements and challenges, the vision beyond 2025).
SUMMARIES: dict[str, list[str]] = {
    StakeholderType.GOVERNMENT: [
        "Since the Tunis phase of the Summit, {name} has led {country}'s policy for the information society. "
        "Twenty years on, most of the population is online and the main public services can be used from a "
        "phone.",
        "Our work concentrated on {lines}. Connectivity came first; services, skills and trust followed.",
        "Gaps remain between urban and rural areas, and between women and men, and they guide our "
        "priorities for the years beyond 2025.",
    ],
    StakeholderType.PRIVATE_SECTOR: [
        "{name} builds and runs networks and digital services in {country}. Since 2005 our investments have "
        "helped bring mobile broadband from the capital to every province.",
        "This report covers {lines}, where our business and the WSIS goals meet.",
        "Affordability and rural coverage remain the main challenges; we work on them with the regulator "
        "and local communities.",
    ],
    StakeholderType.CIVIL_SOCIETY: [
        "{name} works so that every person in {country} can use the Internet safely and on their own terms.",
        "Our programmes address {lines}, with volunteers and partners in towns and villages.",
        "Twenty years after the Summit, we see real progress, and people who are still left out: older "
        "people, persons with disabilities and rural women.",
    ],
    StakeholderType.ACADEMIA: [
        "{name} teaches and researches the information society in {country}.",
        "Our contribution to the WSIS goals is in {lines}: graduates, research and advice to policy makers.",
        "We share our research openly and work with government, industry and civil society on evidence for "
        "policy.",
    ],
    StakeholderType.TECHNICAL_COMMUNITY: [
        "{name} keeps the Internet in {country} running, open and secure.",
        "This report covers {lines}: the infrastructure, the standards and the people who operate them.",
        "Our community is open to all; its work depends on volunteers, on cooperation between operators and "
        "on trust.",
    ],
    StakeholderType.INTERNATIONAL_ORGANIZATION: [
        "{name} supports its members in the {region} region in building inclusive information societies.",
        "Our work concentrated on {lines}, through policy advice, financing and capacity building.",
        "We will keep aligning our programmes with the WSIS Action Lines and the Global Digital Compact.",
    ],
}
STRATEGIES: dict[str, Any] = {
    "digital_strategy": {
        StakeholderType.GOVERNMENT: (
            "The National Digital Strategy {start}–{end}, adopted by the cabinet, "
            "sets targets for connectivity, digital government, skills and cybersecurity, and is reviewed "
            "every two years with industry and civil society."
        ),
        StakeholderType.PRIVATE_SECTOR: (
            "Our network plan {start}–{end} commits investment to rural "
            "coverage and to 5G in the main cities, in line with the national broadband plan."
        ),
        StakeholderType.CIVIL_SOCIETY: (
            "Our strategy {start}–{end} puts digital inclusion and rights at the "
            "centre: skills, community access and advocacy."
        ),
        StakeholderType.ACADEMIA: (
            "The university's digital strategy {start}–{end} covers teaching, "
            "research and open access to knowledge."
        ),
        StakeholderType.TECHNICAL_COMMUNITY: (
            "Our strategic plan {start}–{end} covers resilient "
            "interconnection, IPv6, routing security and community training."
        ),
        StakeholderType.INTERNATIONAL_ORGANIZATION: (
            "Our digital development strategy {start}–{end} guides "
            "policy advice, financing and regional cooperation for our members."
        ),
    },
    "strategic_documents": [
        "- National broadband plan",
        "- Cybersecurity strategy and its action plan",
        "- Data protection law and its regulations",
        "- Digital skills framework",
        "- Annual report on the information society",
        "- Open data policy",
    ],
    "wsis_mandates": {
        StakeholderType.GOVERNMENT: (
            "The WSIS Action Lines are part of the national development plan; each "
            "ministry reports on the lines it leads, and the results feed the voluntary national review of "
            "the Sustainable Development Goals."
        ),
        StakeholderType.PRIVATE_SECTOR: (
            "We map our sustainability reporting to the WSIS Action Lines and "
            "the Sustainable Development Goals."
        ),
        StakeholderType.CIVIL_SOCIETY: (
            "We take part in the national WSIS follow-up and the Internet "
            "Governance Forum, and report our projects to the WSIS Stocktaking."
        ),
        StakeholderType.ACADEMIA: (
            "Our research programmes refer to the WSIS Action Lines; our students "
            "take part in the WSIS Forum."
        ),
        StakeholderType.TECHNICAL_COMMUNITY: (
            "We contribute to the WSIS follow-up through the Internet "
            "Governance Forum and regional technical meetings."
        ),
        StakeholderType.INTERNATIONAL_ORGANIZATION: (
            "The WSIS Action Lines frame our programmes; we report "
            "on them every year to our governing bodies."
        ),
    },
}
INDICATORS_NARRATIVE = (
    "The table below gives our main indicators with their sources. Figures are for the latest year "
    "available; "
    "earlier years are in our annual reports."
)
CHALLENGES_LEAD: dict[str, str] = {
    StakeholderType.GOVERNMENT: (
        "Funding, coordination across ministries and keeping regulation up to date are our main barriers."
    ),
    StakeholderType.PRIVATE_SECTOR: (
        "The cost of rolling out networks in sparsely populated areas, spectrum "
        "prices and taxes on devices slow us down."
    ),
    StakeholderType.CIVIL_SOCIETY: "Short-term project funding makes it hard to keep programmes running.",
    StakeholderType.ACADEMIA: (
        "Research funding and keeping staff who are in demand in industry are our main barriers."
    ),
    StakeholderType.TECHNICAL_COMMUNITY: (
        "Our work depends on volunteers and on operators' willingness to cooperate."
    ),
    StakeholderType.INTERNATIONAL_ORGANIZATION: (
        "Fragmented funding and overlapping initiatives reduce the impact of our programmes."
    ),
}
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


def short_country(name: str) -> str:
    return SHORT_COUNTRY.get(name) or name.split(" (")[0]


def acronym_for(name: str) -> str:
    """The initials of the name before its comma, e.g. "National Digital Transformation Agency" → NDTA."""
    words = name.split(",")[0].replace("'", "").replace("-", " ").split()
    return "".join(w[0].upper() for w in words if w.lower() not in ACRONYM_SKIP and w[0].isalpha())[:6]


@dataclass
class _Lines:
    """One report's Section II: per line, (not applicable, achievements, challenges, priorities)."""

    rows: dict[str, tuple[bool, str, str, str]]
    stories: dict[str, list[dict]]


class _Writer:
    """Writes one demo report's text from a seeded random generator: text written for the entity's
    kind and country, with the source documents' own words where they fit."""

    def __init__(self, rng: random.Random, text: dict, lines: list[ActionLine]) -> None:
        self.rng = rng
        self.text = text
        self.lines = lines
        self.titles = {line.code: line.short_title or line.title for line in lines}

    def bullets(self, items: list[str]) -> str:
        return "\n".join(f"- {item.strip().rstrip('.')}." for item in items)

    def line_rows(self, stype: str, *, full: bool, year: int) -> _Lines:
        """Which lines the entity reports on (by its kind's focus), and what it says."""
        focus = LINE_FOCUS[stype]
        chosen = [line.code for line in self.lines if self.rng.random() < focus.get(line.code, 0.3)]
        if len(chosen) < 3:  # everyone reports on their three main lines at least
            chosen = sorted(focus, key=lambda code: -focus[code])[:3]
        budget = len(self.lines) if full else self.rng.randint(3, 8)
        rows: dict[str, tuple[bool, str, str, str]] = {}
        stories: dict[str, list[dict]] = {}
        for line in self.lines[:budget]:
            if line.code not in chosen:
                if full:  # a complete report marks the lines it does not work on
                    rows[line.code] = (True, "", "", "")
                continue
            seed = self.text["action_lines"].get(line.code, {"achievements": [], "challenges": []})
            achievements = self.rng.sample(seed["achievements"], min(2, len(seed["achievements"])))
            challenges = self.rng.sample(seed["challenges"], min(2, len(seed["challenges"])))
            priorities = LINE_PRIORITIES.get(line.code, [])
            rows[line.code] = (
                False,
                self.bullets(achievements),
                self.bullets(challenges),
                self.bullets(self.rng.sample(priorities, min(len(priorities), self.rng.randint(1, 2)))),
            )
            if self.rng.random() < 0.35:
                stories[line.code] = [self.story(line.code, year)]
        return _Lines(rows, stories)

    def story(self, code: str, year: int) -> dict:
        # Places (districts, clinics …), people (teachers, farmers …) and a few (languages, universities).
        title = self.rng.choice(STORY_TITLES[code]).format(
            n=self.rng.choice([12, 18, 24, 35, 48, 60, 120, 250]),
            k=self.rng.randrange(1_200, 60_000, 100),
            m=self.rng.randint(3, 12),
        )
        start = self.rng.randint(2008, year - 4)
        return {
            "title": title,
            "description": self.rng.choice(STORY_DESCRIPTIONS).format(
                start=start,
                mid=start + 2,
                end=min(start + self.rng.randint(3, 8), year - 1),
                partners=self.rng.choice(PARTNERS),
                people=self.rng.randrange(2_000, 400_000, 500),
            ),
            "url": self.rng.choice(["", f"https://www.example.org/stories/{code.lower().replace('.', '-')}"]),
            "year": self.rng.randint(start + 1, year - 1),
        }

    def narrative(
        self, entity: Entity, stype: str, lines: _Lines, *, full: bool, year: int
    ) -> dict[str, str]:
        addressed = [code for code, row in lines.rows.items() if not row[0]][:3]
        named = ", ".join(f"{code} ({self.titles[code]})" for code in addressed)
        facts = {
            "name": entity.acronym or entity.name,
            "country": short_country(entity.country.name),
            "region": entity.country.region.name,
            "lines": named or "several Action Lines",
        }
        summary = "\n\n".join(part.format(**facts) for part in SUMMARIES[stype])
        if not full:
            return {"executive_summary": summary}
        challenges = [
            item
            for code in addressed
            for item in self.text["action_lines"].get(code, {}).get("challenges", [])[:1]
        ]
        span = {"start": year - 3, "end": year + 4}
        return {
            "executive_summary": summary,
            "digital_strategy": STRATEGIES["digital_strategy"][stype].format(**span),
            "strategic_documents": "\n".join(self.rng.sample(STRATEGIES["strategic_documents"], 3)),
            "wsis_mandates": STRATEGIES["wsis_mandates"][stype],
            "indicators_narrative": INDICATORS_NARRATIVE,
            "challenges_gaps": CHALLENGES_LEAD[stype] + "\n" + self.bullets(challenges),
            "future_vision": self.bullets(self.rng.sample(self.text["vision"], 3)),
        }

    def indicators(self, stype: str, *, year: int) -> list[dict]:
        rows = []
        for name, unit, low, high, decimals, source in self.rng.sample(
            INDICATORS[stype], self.rng.randint(2, 4)
        ):
            value = round(self.rng.uniform(low, high), decimals)
            text = f"{value:,.{decimals}f}" if decimals > 0 else f"{int(value):,}"
            rows.append(
                {
                    "indicator": name,
                    "value": text,
                    "unit": unit,
                    "year": self.rng.randint(year - 3, year - 1),
                    "source": source,
                    "note": "",
                }
            )
        return rows


def _pick_status(rng: random.Random, index: int) -> str:
    statuses = list(STATUS_WEIGHTS)
    if index < len(statuses):  # the first reports cover every status
        return statuses[index]
    return rng.choices(statuses, weights=list(STATUS_WEIGHTS.values()))[0]


def _previous_cycle(cycle: ReportingCycle) -> ReportingCycle | None:
    """The closed 2025 cycle of the reference data, when it is there and ended before ``cycle``."""
    return ReportingCycle.objects.filter(slug=PREVIOUS_CYCLE_SLUG, deadline__lt=cycle.opens_at).first()


@dataclass
class _Draft:
    """One report to write: its row and its parts, kept to build the submission's snapshot."""

    report: Report
    lines: _Lines
    indicators: list[dict]
    contact: FollowUpContact | None
    parts: dict[str, list] = field(default_factory=dict)


def _evolve(
    rng: random.Random, writer: _Writer, before: _Draft, stype: str, year: int
) -> tuple[dict, _Lines, list]:
    """The next cycle's text of an entity that reported before: most answers kept, some updated, a few
    lines new; indicators a year or two on."""
    narrative = {name: getattr(before.report, name) for name in NARRATIVE_FIELDS}
    fresh = writer.narrative(
        before.report.entity, stype, writer.line_rows(stype, full=True, year=year), full=True, year=year
    )
    for name in NARRATIVE_FIELDS:
        if rng.random() < 0.35:
            narrative[name] = fresh[name]
    rows = dict(before.lines.rows)
    stories = {code: list(items) for code, items in before.lines.stories.items()}
    for code, (na, achievements, challenges, priorities) in list(rows.items()):
        if not na and rng.random() < 0.3:
            rows[code] = (
                na,
                achievements
                + "\n- "
                + rng.choice(LINE_PRIORITIES.get(code, ["Work continues."])).rstrip(".")
                + ": under way.",
                challenges,
                priorities,
            )
    for code, (na, *_rest) in list(rows.items()):
        if na and rng.random() < 0.15:  # a line taken up since the last cycle
            seed = writer.text["action_lines"].get(code, {"achievements": [], "challenges": []})
            rows[code] = (
                False,
                writer.bullets(seed["achievements"][:2]),
                writer.bullets(seed["challenges"][:1]),
                writer.bullets(LINE_PRIORITIES.get(code, [])[:1]),
            )
            if rng.random() < 0.5:
                stories[code] = [writer.story(code, year)]
    indicators = []
    for row in before.indicators:
        updated = dict(row, year=min(year - 1, (row["year"] or year - 2) + rng.randint(1, 2)))
        indicators.append(updated)
    return narrative, _Lines(rows, stories), indicators


@transaction.atomic
def demo_seed(
    *, reports: int = 60, seed: int = 2025, today=None, staff_credentials: bool = True
) -> DemoResult:
    """Create the demo logins, a demo cycle and ``reports`` reports: one in four in the closed 2025
    cycle (published; the demo stakeholder's entity among them) and the rest in the current demo cycle,
    one entity each. The demo stakeholder's report in the current cycle is an empty draft, so that
    "Start from our report for WSIS+20 review 2025" is offered; other entities that reported in 2025
    started from that report and changed some of it.

    ``staff_credentials``: the demo secretariat account logs in with the demo password and the
    authenticator app key ``DEMO_TOTP_SECRET`` (the embedded default). Without, it has no usable
    password and no app: nobody logs in with known credentials as staff (an operator sets a
    password with ``manage.py changepassword`` and the person sets up their own app)."""
    reference_data_load()
    rng = random.Random(seed)
    lines = list(ActionLine.objects.in_template_order())
    writer = _Writer(rng, load_demo_text(), lines)
    cycle = demo_cycle_ensure(today=today)
    previous = _previous_cycle(cycle)
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

    n_previous = reports // PREVIOUS_SHARE if previous else 0
    n_current = reports - n_previous
    start_index = Entity.objects.count()
    used_names = {(n.lower(), c) for n, c in Entity.objects.values_list("name", "country_id")}
    entities: list[Entity] = []
    for i in range(start_index, start_index + n_current):
        stype: str = types[i % len(types)]
        region = regions[(i // len(types)) % len(regions)]
        country = rng.choice(countries_by_region[region.code])
        pattern, with_acronym = rng.choice(NAME_PATTERNS[stype])
        name = pattern.format(
            country=short_country(country.name), region=region.name, word=rng.choice(COMPANY_WORDS)
        )
        if (name.lower(), country.code) in used_names:
            name = f"{name} ({country.code}-{i})"
        used_names.add((name.lower(), country.code))
        entities.append(
            Entity(
                name=name,
                acronym=acronym_for(name) if with_acronym else "",
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
    stakeholder_joins = entities and not Membership.objects.filter(user=stakeholder).exists()
    if stakeholder_joins:
        memberships.append(Membership(user=stakeholder, entity=entities[0], role=Membership.Role.OWNER))
    Membership.objects.bulk_create(memberships, batch_size=500)

    def contact_for(report: Report, owner, *, full: bool) -> FollowUpContact:
        return FollowUpContact(
            report=report,
            name=f"{owner.first_name} {owner.last_name}",
            position=rng.choice(POSITIONS),
            unit="International Relations" if full else "",
            email=owner.email,
            phone=" ".join(
                ["+" + str(rng.randint(20, 998)), str(rng.randint(10, 99)), str(rng.randint(100, 9999))]
            ),
            address=f"{report.entity.name}\n{report.entity.country.name}",
        )

    year = (today or timezone.now().date()).year
    drafts: list[_Draft] = []
    # The 2025 cycle: published reports of the first entities (the demo stakeholder's among them).
    before: dict[int, _Draft] = {}
    if previous is not None:
        for n, entity in enumerate(entities[:n_previous]):
            stype = entity.stakeholder_type
            rows = writer.line_rows(stype, full=True, year=2025)
            text = writer.narrative(entity, stype, rows, full=True, year=2025)
            at = previous.opens_at + timedelta(
                seconds=rng.uniform(0, (previous.deadline - previous.opens_at).total_seconds())
            )
            report = Report(
                entity=entity,
                cycle=previous,
                status=Report.Status.PUBLISHED,
                language="en",
                submitted_at=at,
                submitted_by=owners[n],
                submission_count=1,
                **text,
            )
            draft = _Draft(report, rows, writer.indicators(stype, year=2025), None)
            draft.contact = contact_for(report, owners[n], full=True)
            drafts.append(draft)
            before[entity.pk] = draft

    now = timezone.now()
    span = max((min(cycle.deadline, now) - cycle.opens_at).total_seconds(), 3600)
    for n, entity in enumerate(entities):
        stype = entity.stakeholder_type
        status = Report.Status.DRAFT if n == 0 else _pick_status(rng, n)
        submitted = status != Report.Status.DRAFT
        full = submitted or rng.random() < 0.3
        started_from = before.get(entity.pk)
        if n == 0 and started_from is not None:
            # The demo stakeholder: an empty draft, so that "start from our report" is offered.
            report = Report(entity=entity, cycle=cycle, status=status, language="en")
            drafts.append(_Draft(report, _Lines({}, {}), [], None))
            continue
        if started_from is not None:
            text, rows, indicators = _evolve(rng, writer, started_from, stype, year)
            if not full:
                text = {k: v for k, v in text.items() if k == "executive_summary"}
        else:
            rows = writer.line_rows(stype, full=full, year=year)
            text = writer.narrative(entity, stype, rows, full=full, year=year)
            indicators = writer.indicators(stype, year=year)
        report = Report(
            entity=entity,
            cycle=cycle,
            status=status,
            language="en",
            submitted_at=cycle.opens_at + timedelta(seconds=rng.uniform(0, span)) if submitted else None,
            submitted_by=owners[n] if submitted else None,
            submission_count=1 if submitted else 0,
            started_from=started_from.report if started_from else None,
            changes_requested_message=(
                "Please add the sources of your indicators and a success story for your main Action Line."
                if status == Report.Status.CHANGES_REQUESTED
                else ""
            ),
            **text,
        )
        draft = _Draft(report, rows, indicators, None)
        draft.contact = contact_for(report, owners[n], full=full)
        drafts.append(draft)
    # Previous reports first: the current ones point at them.
    Report.objects.bulk_create([d.report for d in drafts if d.report.cycle_id != cycle.pk], batch_size=200)
    for d in drafts:
        if d.report.started_from is not None:
            d.report.started_from_id = d.report.started_from.pk
    Report.objects.bulk_create([d.report for d in drafts if d.report.cycle_id == cycle.pk], batch_size=200)

    line_by_code = {line.code: line for line in lines}
    progress: list[ActionLineProgress] = []
    stories: list[SuccessStory] = []
    indicators_rows: list[KeyIndicator] = []
    contacts: list[FollowUpContact] = []
    for d in drafts:
        report = d.report
        d.parts = {"progress": [], "stories": [], "indicators": []}
        covered = set()
        for code, (na, achievements, challenges, priorities) in d.lines.rows.items():
            line = line_by_code[code]
            row = ActionLineProgress(
                report=report,
                action_line=line,
                not_applicable=na,
                achievements=achievements,
                challenges=challenges,
                future_priorities=priorities,
            )
            progress.append(row)
            d.parts["progress"].append(row)
            if not na:
                covered.add(line.pk)
                if line.parent_id:
                    covered.add(line.parent_id)
            for order, item in enumerate(d.lines.stories.get(code, []) if not na else []):
                story = SuccessStory(report=report, action_line=line, order=order, **item)
                stories.append(story)
                d.parts["stories"].append(story)
        report.lines_covered = len(covered)
        for order, item in enumerate(d.indicators):
            indicator = KeyIndicator(report=report, order=order, **item)
            indicators_rows.append(indicator)
            d.parts["indicators"].append(indicator)
        if d.contact is not None:
            contacts.append(d.contact)
    ActionLineProgress.objects.bulk_create(progress, batch_size=1000)
    SuccessStory.objects.bulk_create(stories, batch_size=1000)
    KeyIndicator.objects.bulk_create(indicators_rows, batch_size=1000)
    FollowUpContact.objects.bulk_create(contacts, batch_size=1000)
    Report.objects.bulk_update([d.report for d in drafts], ["lines_covered"], batch_size=500)

    submissions = [
        Submission(
            report=d.report,
            number=1,
            submitted_at=d.report.submitted_at,
            submitted_by=d.report.submitted_by,
            is_late=False,
            content=snapshot.document_build(
                report=d.report,
                action_lines=lines,
                progress=d.parts["progress"],
                stories=d.parts["stories"],
                indicators=d.parts["indicators"],
                contact=d.contact,
            ),
        )
        for d in drafts
        if d.report.submitted_at is not None  # every report but the drafts
    ]
    Submission.objects.bulk_create(submissions, batch_size=200)
    return DemoResult(
        entities=len(entities),
        reports=len(drafts),
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
