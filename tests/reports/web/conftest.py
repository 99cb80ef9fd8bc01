"""Fixtures of the stakeholder pages' tests: an entity's owner and editor, the owner logged in."""

import pytest

from tests import factories


@pytest.fixture
def owner(entity):
    return factories.MembershipFactory.create(entity=entity, user__email="owner@example.org").user


@pytest.fixture
def colleague(entity):
    return factories.MembershipFactory.create(
        entity=entity, role="editor", user__email="colleague@example.org"
    ).user


@pytest.fixture
def member(client, owner):
    client.force_login(owner)
    return client
