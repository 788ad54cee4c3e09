"""Reads of counter offices."""

from django.db.models import QuerySet

from apps.meter_service import permissions
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.counter_office.models import CounterOffice


def office_list(*, user: Actor) -> QuerySet[CounterOffice]:
    return permissions.scope(user, CounterOffice.objects.all())
