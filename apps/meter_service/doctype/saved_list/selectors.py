"""Reads of saved lists and scheduled reports."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from apps.meter_service.doctype.saved_list.models import SavedList, ScheduledReport
from apps.meter_service.permissions import Role, roles_of


def saved_lists_for(user: User, *, app_label: str, model_name: str) -> QuerySet[SavedList]:
    """The views of one list the user may apply: their own and those shared with a role
    they hold."""
    return saved_lists_usable(user).filter(app_label=app_label, model_name=model_name)


def saved_lists_usable(user: User) -> QuerySet[SavedList]:
    """Every view the user may apply: their own and those shared with a role they hold."""
    return SavedList.objects.filter(Q(owner=user) | Q(shared_role__in=sorted(roles_of(user))))


def saved_list_visible(user: User, pk: int) -> SavedList | None:
    """One view the user may apply, or None."""
    return saved_lists_usable(user).filter(pk=pk).first()


def report_recipients(report: ScheduledReport) -> list[User]:
    """The active users a report goes to, each once, with an email address."""
    users: dict[int, User] = {}
    if report.to_managers:
        for user in User.objects.filter(
            groups__name=Role.SERVICE_MANAGER, is_active=True
        ).distinct():
            users[user.pk] = user
    for user in report.recipients.filter(is_active=True):
        users[user.pk] = user
    return [u for _pk, u in sorted(users.items()) if u.email]
