"""The Action Lines' titles as translatable strings: the database holds them in English (fixtures/
action_lines.json), ``ActionLine.display_title`` shows them in the reader's language. Listed here so that
``make messages`` collects them; tests/action_lines/test_reference_data.py checks the list against the
fixture."""

from django.utils.translation import gettext_noop

TITLES = (
    gettext_noop("The role of governments and all stakeholders in the promotion of ICTs for development"),
    gettext_noop("ICTs for development"),
    gettext_noop("Information and communication infrastructure"),
    gettext_noop("Infrastructure"),
    gettext_noop("Access to information and knowledge"),
    gettext_noop("Capacity building"),
    gettext_noop("Building confidence and security in the use of ICTs"),
    gettext_noop("Confidence and security"),
    gettext_noop("Enabling environment"),
    gettext_noop("ICT applications: E-government, e-business, e-learning, e-health, etc."),
    gettext_noop("ICT applications"),
    gettext_noop("ICT applications: E-Government"),
    gettext_noop("E-Government"),
    gettext_noop("ICT applications: E-Business"),
    gettext_noop("E-Business"),
    gettext_noop("ICT applications: E-Learning"),
    gettext_noop("E-Learning"),
    gettext_noop("ICT applications: E-Health"),
    gettext_noop("E-Health"),
    gettext_noop("ICT applications: E-Employment"),
    gettext_noop("E-Employment"),
    gettext_noop("ICT applications: E-Environment"),
    gettext_noop("E-Environment"),
    gettext_noop("ICT applications: E-Agriculture"),
    gettext_noop("E-Agriculture"),
    gettext_noop("ICT applications: E-Science"),
    gettext_noop("E-Science"),
    gettext_noop("Cultural diversity and identity, linguistic diversity, and local content"),
    gettext_noop("Cultural and linguistic diversity, local content"),
    gettext_noop("Media"),
    gettext_noop("Ethical dimensions of the Information Society"),
    gettext_noop("Ethical dimensions"),
    gettext_noop("International and regional cooperation"),
)
