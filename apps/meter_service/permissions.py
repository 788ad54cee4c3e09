"""Roles and record rules: the one place that says who sees which records.

The desk, the portals and the API all filter through `scope()` and fetch through `access()`.
Model permissions (what a role may do to a kind of document) live on the role's group, loaded
from fixtures/0001_roles.json; record rules (which documents of that kind) are registered
here by `record_rules.py` (above the document types, so this module imports none of them).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.rule_reader import rule_in_force

ModelT = TypeVar("ModelT", bound=models.Model)
Rule = Callable[[object, models.QuerySet], models.QuerySet]


class Role(models.TextChoices):
    """Every role of the service; the value is the name of the role's group."""

    SUBSCRIBER = "subscriber", _("Subscriber")
    COUNTER_OFFICE_OPERATOR = "counter_office_operator", _("Counter-office operator")
    SERVICE_DESK_CLERK = "service_desk_clerk", _("Service-desk clerk")
    CALL_CENTRE_OPERATOR = "call_centre_operator", _("Call-centre operator")
    TECHNICIAN = "technician", _("Meter technician")
    EMERGENCY_CREW = "emergency_crew", _("Emergency post crew")
    BILLING_OFFICER = "billing_officer", _("Billing officer")
    COMPLAINTS_OFFICER = "complaints_officer", _("Complaints officer")
    SERVICE_MANAGER = "service_manager", _("Service manager")
    AGENCY_CLIENT = "agency_client", _("Agency API client")
    IVR_CLIENT = "ivr_client", _("IVR status look-up")
    SYSTEM_ADMIN = "system_admin", _("System administrator")


def role_label(name: str) -> str:
    """Return a role's name as people read it (its group's name is a code such as
    counter_office_operator); a group that is no role keeps its name."""
    return str(Role(name).label) if name in Role.values else name


# Company staff work in the desk; subscribers, counter offices and agencies have their own
# portals or the API and never reach it.
DESK_ROLES = frozenset(
    {
        Role.SERVICE_DESK_CLERK,
        Role.CALL_CENTRE_OPERATOR,
        Role.TECHNICIAN,
        Role.EMERGENCY_CREW,
        Role.BILLING_OFFICER,
        Role.COMPLAINTS_OFFICER,
        Role.SERVICE_MANAGER,
        Role.SYSTEM_ADMIN,
    }
)


# --- what a user holds: roles, their permissions, offices and agencies ----------------------
ACCESS_GENERATION_KEY = "meter:access:generation"
ACCESS_CACHE_SECONDS = 600


@dataclass(frozen=True)
class Memberships:
    """The counter offices a user operates and the agencies whose API client they are."""

    offices: tuple[int, ...] = ()
    agencies: tuple[int, ...] = ()


def _access_cache_enabled() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "METER_ROLES_CACHE", False))


def _access_key(user, part: str) -> str:
    """The cache key of a user's roles or memberships.

    The entries hold built-in types only (frozensets, tuples of ids), so one written by an
    older release still reads back after a deploy. The join date tells apart two users
    given the same id (after a rollback, in tests).
    """
    joined = user.date_joined.timestamp() if getattr(user, "date_joined", None) else 0
    return f"meter:access:{part}:{user.pk}:{joined}"


def _query_roles_and_permissions(user) -> tuple[frozenset[str], frozenset[str]]:
    from django.contrib.auth.models import Group

    rows = Group.objects.filter(user=user).values_list(
        "name", "permissions__content_type__app_label", "permissions__codename"
    )
    roles, perms = set(), set()
    for name, app_label, codename in rows:
        roles.add(name)
        if codename:
            perms.add(f"{app_label}.{codename}")
    return frozenset(roles), frozenset(perms)


def _organisation_models() -> tuple[type[Any], type[Any]]:
    """The agency and counter office models, from the app registry: the document types sit
    above this module, which every one of them uses (so their classes cannot be named in
    its types either)."""
    from django.apps import apps

    return apps.get_model("meter_service", "Agency"), apps.get_model(
        "meter_service", "CounterOffice"
    )


def _query_memberships(user) -> Memberships:
    Agency, CounterOffice = _organisation_models()
    roles = roles_of(user)
    offices, agencies = (), ()
    if Role.COUNTER_OFFICE_OPERATOR in roles:
        offices = tuple(CounterOffice.objects.filter(users=user).values_list("pk", flat=True))
    if Role.AGENCY_CLIENT in roles:
        agencies = tuple(Agency.objects.filter(users=user).values_list("pk", flat=True))
    return Memberships(offices=offices, agencies=agencies)


def load_roles_and_permissions(user) -> tuple[frozenset[str], frozenset[str]]:
    """Return the user's role names and the permissions of those roles, from one query.

    Kept on the user object for the request and, with METER_ROLES_CACHE (a cache every
    worker shares), in the cache between requests, with the user's memberships (read in
    the same round trip). Each cached entry carries the access generation it was read
    under; any change of anyone's roles, a role's permissions, or an office's or agency's
    users replaces the generation (see forget_cached_access), so older entries are never
    used again. Permissions come from roles only: per-user permissions are not part of
    the model (see RoleBackend).
    """
    cached = getattr(user, "_meter_roles_perms", None)
    if cached is not None:
        return cached
    if not _access_cache_enabled():
        cached = _query_roles_and_permissions(user)
    else:
        from django.core.cache import cache

        roles_key, memberships_key = _access_key(user, "roles"), _access_key(user, "members")
        found = cache.get_many([ACCESS_GENERATION_KEY, roles_key, memberships_key])
        generation = found.get(ACCESS_GENERATION_KEY)
        if generation is None:
            cache.add(ACCESS_GENERATION_KEY, uuid.uuid4().hex, timeout=None)
            generation = cache.get(ACCESS_GENERATION_KEY)
        # The generation is read before the database: a change committed in between
        # replaces it, so what is read now is never taken for current afterwards.
        user._meter_access_generation = generation
        entry = found.get(roles_key)
        if entry is not None and entry[0] == generation:
            cached = entry[1]
        else:
            cached = _query_roles_and_permissions(user)
            cache.set(roles_key, (generation, cached), timeout=ACCESS_CACHE_SECONDS)
        entry = found.get(memberships_key)
        if entry is not None and entry[0] == generation:
            user._meter_memberships = Memberships(*entry[1])
    user._meter_roles_perms = cached
    return cached


def memberships(user) -> Memberships:
    """Return the ids of the offices the user operates and of the agencies they are a
    client of (only for the roles that have them), cached as the roles are."""
    cached = getattr(user, "_meter_memberships", None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False):
        return Memberships()
    load_roles_and_permissions(user)  # reads the generation (and a cached entry) first
    cached = getattr(user, "_meter_memberships", None)
    if cached is None:
        cached = _query_memberships(user)
        if _access_cache_enabled():
            from django.core.cache import cache

            cache.set(
                _access_key(user, "members"),
                (user._meter_access_generation, (cached.offices, cached.agencies)),
                timeout=ACCESS_CACHE_SECONDS,
            )
        user._meter_memberships = cached
    return cached


def forget_cached_access(action: str = "", **_kwargs) -> None:
    """Make every cached entry of roles and memberships stale: at once, and again once the
    change commits (a request between the two may have cached what the database held
    before it)."""
    from django.core.cache import cache
    from django.db import transaction

    if action.startswith("pre_") or not _access_cache_enabled():
        return

    def replace_generation() -> None:
        cache.set(ACCESS_GENERATION_KEY, uuid.uuid4().hex, timeout=None)

    replace_generation()
    transaction.on_commit(replace_generation)


def connect_access_signals() -> None:
    """Forget cached access when roles, a role's permissions, or an office's or agency's
    users change, and when a role, office or agency is saved or deleted."""
    from django.contrib.auth.models import Group, User
    from django.db.models.signals import m2m_changed, post_delete, post_save

    Agency, CounterOffice = _organisation_models()
    uid = "meter_service.forget_cached_access"
    for through in (
        User.groups.through,
        Group.permissions.through,
        Agency.users.through,
        CounterOffice.users.through,
    ):
        m2m_changed.connect(forget_cached_access, sender=through, dispatch_uid=f"{uid}.{through}")
    for model in (Group, Agency, CounterOffice):
        post_save.connect(forget_cached_access, sender=model, dispatch_uid=f"{uid}.save.{model}")
        post_delete.connect(forget_cached_access, sender=model, dispatch_uid=f"{uid}.del.{model}")


def client_agency_ids(user) -> tuple[int, ...]:
    """The agencies the user acts for: an API client's own (none for other roles)."""
    return memberships(user).agencies if has_role(user, Role.AGENCY_CLIENT) else ()


def roles_of(user) -> frozenset[str]:
    """Return the names of the user's roles."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    return load_roles_and_permissions(user)[0]


def has_role(user, *roles: str) -> bool:
    """Return True when the user holds any of the given roles."""
    return bool(roles_of(user).intersection(roles))


def is_company_staff(user) -> bool:
    """Return True for users who see every record of the kinds their role may view."""
    return bool(getattr(user, "is_superuser", False) and user.is_active) or bool(
        roles_of(user) & DESK_ROLES
    )


def can_use_desk(user) -> bool:
    """Return True when the user may enter the staff desk."""
    return bool(getattr(user, "is_staff", False)) and is_company_staff(user)


def can_view_dashboards(user) -> bool:
    """Return True when the user may see the service dashboards (desk and view_dashboard)."""
    return can_use_desk(user) and user.has_perm("meter_service.view_dashboard")


def may_edit_process(user) -> bool:
    """Return True when the user may draft, try and deploy the process in the studio: the
    service manager and the system administrator (as for activating an uploaded version)."""
    if not can_use_desk(user):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return has_role(user, Role.SERVICE_MANAGER, Role.SYSTEM_ADMIN)


def may_manage_scheduled_reports(user) -> bool:
    """Return True when the user may set up the reports mailed on a schedule: the service
    manager and the system administrator. (Every desk user saves views and exports.)"""
    if not can_use_desk(user):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return has_role(user, Role.SERVICE_MANAGER, Role.SYSTEM_ADMIN)


def may_change_rule_settings(user) -> bool:
    """Return True when the user may change rule settings in the desk: the service manager
    and the system administrator (who hold the add permission on rule setting changes).
    Other staff do not see them."""
    return can_use_desk(user) and user.has_perm("meter_service.add_rulesettingchange")


def may_define_custom_fields(user) -> bool:
    """Return True when the user may add and change custom field definitions in the desk:
    the service manager and the system administrator (the change permission on custom
    fields). Other staff do not see the definitions."""
    return can_use_desk(user) and user.has_perm("meter_service.change_customfield")


# Who fills a document's custom fields in the desk: whoever may change that kind of document
# (inspections are recorded by the process's lanes, so their testers and the manager).
CUSTOM_VALUE_PERMISSIONS = {
    "claim": "meter_service.change_claim",
    "complaint": "meter_service.change_complaint",
    "subscriber": "meter_service.change_subscriber",
}
CUSTOM_VALUE_INSPECTION_ROLES = (
    Role.TECHNICIAN,
    Role.EMERGENCY_CREW,
    Role.SERVICE_MANAGER,
    Role.SYSTEM_ADMIN,
)


def may_edit_custom_values(user, target: str) -> bool:
    """Return True when the user may fill the custom fields of documents of `target` in
    the desk (the record rules still decide which documents they see)."""
    if not can_use_desk(user):
        return False
    if target == "inspection":
        return getattr(user, "is_superuser", False) or has_role(
            user, *CUSTOM_VALUE_INSPECTION_ROLES
        )
    permission = CUSTOM_VALUE_PERMISSIONS.get(target)
    return bool(permission) and user.has_perm(permission)


def lane_roles() -> dict[str, list[str]]:
    """Which roles work each lane of the process (a lane is named by its role)."""
    return rule_in_force("PROCESS_LANE_ROLES")


def lanes_of(user) -> set[str]:
    """The process lanes whose steps the user may complete."""
    roles = roles_of(user)
    return {lane for lane, allowed in lane_roles().items() if roles.intersection(allowed)}


def may_work_lane(user, lane: str) -> bool:
    """Return True when the user holds a role of the process lane (and is active)."""
    return bool(getattr(user, "is_active", False)) and lane in lanes_of(user)


_RECORD_RULES: dict[type[models.Model], Rule] = {}


def record_rule(model: type[models.Model]) -> Callable[[Rule], Rule]:
    """Register the rule that narrows a model's queryset for users outside company staff."""

    def register(rule: Rule) -> Rule:
        _RECORD_RULES[model] = rule
        return rule

    return register


def scope(user, queryset: models.QuerySet[ModelT]) -> models.QuerySet[ModelT]:
    """Return the part of queryset the user may see: all of it for staff, else by rule.

    A model without a rule is visible to company staff only: the safe default for a model
    added later and forgotten here.
    """
    if is_company_staff(user):
        return queryset
    if not roles_of(user):
        return queryset.none()
    rule = _RECORD_RULES.get(queryset.model)
    if rule is None:
        return queryset.none()
    return rule(user, queryset)


def access(user, queryset: models.QuerySet[ModelT], pk: object) -> ModelT:
    """Return one record the user may see, or raise Http404 whether missing or forbidden."""
    try:
        return scope(user, queryset).get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404(_("No such record.")) from exc
