"""The permission backend reads in one statement what Django's ModelBackend reads in two: the
same permissions for every kind of user, and the admin still refuses what a user may not do."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from wsis_portal.auth_backends import PermissionBackend

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    """The user as the next request loads it: no permission cache."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def people(secretariat_user, staff_outsider):
    both = factories.UserFactory(email="both@wsis.example.org", is_staff=True)
    both.user_permissions.add(Permission.objects.get(codename="view_entity"))
    extra = Group.objects.create(name="Editors of countries")
    extra.permissions.add(Permission.objects.get(codename="change_country"))
    both.groups.add(extra, Group.objects.get(name=secretariat_user.groups.get().name))
    own_only = factories.UserFactory(email="own@wsis.example.org")
    own_only.user_permissions.add(Permission.objects.get(codename="view_region"))
    inactive = factories.UserFactory(email="gone@wsis.example.org", is_active=False)
    inactive.groups.add(extra)
    superuser = factories.UserFactory(email="root@wsis.example.org", is_superuser=True, is_staff=True)
    return {
        "secretariat": secretariat_user,
        "staff outside the group": staff_outsider,
        "own and two groups": both,
        "own only": own_only,
        "inactive": inactive,
        "superuser": superuser,
    }


def test_every_kind_of_user_gets_the_permissions_django_would_give(people):
    for who, user in people.items():
        expected = ModelBackend().get_all_permissions(fresh(user))
        assert PermissionBackend().get_all_permissions(fresh(user)) == expected, who
    assert "reports.review_report" in PermissionBackend().get_all_permissions(fresh(people["secretariat"]))
    both = PermissionBackend().get_all_permissions(fresh(people["own and two groups"]))
    assert {"reports.view_entity", "reports.change_country", "reports.review_report"} <= both
    assert PermissionBackend().get_all_permissions(fresh(people["inactive"])) == set()
    assert PermissionBackend().get_all_permissions(AnonymousUser()) == set()
    everything = PermissionBackend().get_all_permissions(fresh(people["superuser"]))
    assert len(everything) == Permission.objects.count()


def test_permissions_are_read_once_per_user_object_in_one_query(people):
    user = fresh(people["own and two groups"])
    with CaptureQueriesContext(connection) as captured:
        assert user.has_perm("reports.change_country")
        assert user.has_perm("reports.view_entity")
        assert not user.has_perm("reports.delete_report")
    assert len(captured) == 1


def test_a_revoked_group_permission_is_gone_on_the_next_request(people, client):
    user = people["own and two groups"]
    client.force_login(user)
    url = reverse("admin:reports_country_changelist")
    assert client.get(url).status_code == 200
    Group.objects.get(name="Editors of countries").permissions.clear()
    user.user_permissions.clear()
    user.groups.remove(Group.objects.get(name=people["secretariat"].groups.get().name))
    assert client.get(url).status_code == 403
