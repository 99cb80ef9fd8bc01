"""The admin's login is the portal's, with its failed-login limits; pages carry a Content-Security-Policy."""

import pytest
from django.core.cache import cache

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    yield
    cache.clear()


def admin_login(client, email, password):
    """The admin's login is the portal's: one form, one set of failed-login limits."""
    login = client.get("/admin/login/?next=/admin/")
    assert login.status_code == 302
    return client.post(login["Location"], {"login": email, "password": password})


def test_the_admin_login_locks_an_account_after_five_failures(client):
    staff = factories.UserFactory.create(is_staff=True, email="reviewer@wsis.example.org")
    for _ in range(5):
        response = admin_login(client, staff.email, "wrong password")
        assert response.status_code == 200
        assert "The email address and/or password you specified are not correct." in response.content.decode()
    response = admin_login(client, staff.email, factories.PASSWORD)
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    # Another account is not locked by these failures.
    other = factories.UserFactory.create(is_staff=True, email="other@wsis.example.org")
    assert admin_login(client, other.email, factories.PASSWORD).status_code == 302


def test_a_correct_admin_login_goes_on_to_the_second_factor(client):
    staff = factories.UserFactory.create(is_staff=True)
    response = admin_login(client, staff.email, factories.PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"  # no app yet: the admin then asks to set one up
    assert client.get("/admin/")["Location"] == "/accounts/2fa/totp/activate/"


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/admin/login/?next=/admin/"])
def test_pages_carry_a_content_security_policy_without_inline_scripts(client, path):
    header = client.get(path)["Content-Security-Policy"]
    policy = dict(directive.strip().split(" ", 1) for directive in header.split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert policy["form-action"] == "'self'"
