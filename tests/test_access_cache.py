"""Roles and memberships kept in the shared cache between requests (METER_ROLES_CACHE):
read once, and forgotten at once when anyone's roles, a role's permissions, or an office's
or agency's users change."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import cache

from apps.meter_service import permissions
from apps.meter_service.doctype.agency.models import Agency
from apps.meter_service.doctype.counter_office.services import office_set_operators
from apps.meter_service.permissions import Role


@pytest.fixture
def shared_cache(settings):
    settings.METER_ROLES_CACHE = True
    cache.delete(permissions.ACCESS_GENERATION_KEY)


def _fresh(user: User) -> User:
    """The user as the next request loads it (nothing kept on the object)."""
    return User.objects.get(pk=user.pk)


def test_roles_are_read_from_the_cache_after_the_first_request(
    shared_cache, make_user, django_assert_num_queries
):
    user = make_user(Role.SERVICE_DESK_CLERK)
    fresh = _fresh(user)
    with django_assert_num_queries(1):
        assert permissions.roles_of(fresh) == {Role.SERVICE_DESK_CLERK}
    fresh = _fresh(user)
    with django_assert_num_queries(0):
        assert permissions.roles_of(fresh) == {Role.SERVICE_DESK_CLERK}
        assert fresh.has_perm("meter_service.view_claim")


def test_a_new_or_removed_role_is_seen_by_the_next_request(shared_cache, make_user, roles):
    user = make_user(Role.SERVICE_DESK_CLERK)
    assert permissions.roles_of(_fresh(user)) == {Role.SERVICE_DESK_CLERK}
    user.groups.add(roles[Role.BILLING_OFFICER])
    assert permissions.roles_of(_fresh(user)) == {Role.SERVICE_DESK_CLERK, Role.BILLING_OFFICER}
    user.groups.remove(roles[Role.SERVICE_DESK_CLERK])
    assert permissions.roles_of(_fresh(user)) == {Role.BILLING_OFFICER}
    roles[Role.BILLING_OFFICER].user_set.clear()  # from the role's side
    assert permissions.roles_of(_fresh(user)) == frozenset()


def test_a_roles_new_permission_is_seen_by_the_next_request(shared_cache, make_user, roles):
    user = make_user(Role.TECHNICIAN)
    assert not _fresh(user).has_perm("meter_service.delete_claim")
    roles[Role.TECHNICIAN].permissions.add(Permission.objects.get(codename="delete_claim"))
    assert _fresh(user).has_perm("meter_service.delete_claim")


def test_office_and_agency_membership_changes_are_seen_by_the_next_request(
    shared_cache, make_user, make_office
):
    operator = make_user(Role.COUNTER_OFFICE_OPERATOR)
    office, other = make_office(), make_office()
    office_set_operators(office=office, users=[operator])
    assert permissions.memberships(_fresh(operator)).offices == (office.pk,)
    office_set_operators(office=office, users=[])
    office_set_operators(office=other, users=[operator])
    assert permissions.memberships(_fresh(operator)).offices == (other.pk,)

    client = make_user(Role.AGENCY_CLIENT)
    agency = Agency.objects.create(code="g2g", name="Agency")
    assert permissions.memberships(_fresh(client)).agencies == ()
    agency.users.add(client)
    assert permissions.memberships(_fresh(client)).agencies == (agency.pk,)
    agency.delete()
    assert permissions.memberships(_fresh(client)).agencies == ()


def test_what_a_request_cached_during_a_change_is_forgotten_when_it_commits(
    shared_cache, make_user, roles, django_capture_on_commit_callbacks
):
    user = make_user(Role.SERVICE_DESK_CLERK)
    permissions.roles_of(_fresh(user))
    with django_capture_on_commit_callbacks(execute=True):
        user.groups.remove(roles[Role.SERVICE_DESK_CLERK])
        # Another worker reads the roles before the change commits, and caches them under
        # the generation the change has already replaced once.
        key = permissions._access_key(user, "roles")
        generation = cache.get(permissions.ACCESS_GENERATION_KEY)
        cache.set(key, (generation, (frozenset({Role.SERVICE_DESK_CLERK}), frozenset())))
        assert permissions.roles_of(_fresh(user)) == {Role.SERVICE_DESK_CLERK}
    assert permissions.roles_of(_fresh(user)) == frozenset()


def test_without_the_setting_nothing_is_cached(settings, make_user, django_assert_num_queries):
    settings.METER_ROLES_CACHE = False
    user = make_user(Role.SERVICE_DESK_CLERK)
    permissions.roles_of(_fresh(user))
    fresh = _fresh(user)
    with django_assert_num_queries(1):
        permissions.roles_of(fresh)


def test_cached_entries_hold_built_in_types_only(shared_cache, make_user, make_office):
    """An entry must read back in a release whose classes differ (after a deploy)."""
    operator = make_user(Role.COUNTER_OFFICE_OPERATOR)
    office = make_office()
    office_set_operators(office=office, users=[operator])
    assert permissions.memberships(_fresh(operator)).offices == (office.pk,)
    roles = cache.get(permissions._access_key(operator, "roles"))
    members = cache.get(permissions._access_key(operator, "members"))
    assert members[1] == ((office.pk,), ())
    for value in (*roles[1], *members[1]):
        assert type(value) in {frozenset, tuple}
    with_cached = _fresh(operator)
    assert permissions.memberships(with_cached) == permissions.Memberships(offices=(office.pk,))
