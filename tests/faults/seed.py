"""Seed the fault-injection site: run as `python -m tests.faults.seed COUNT` with METER_SITE set.

Creates the fee tariffs, COUNT subscribers with a meter each and a mobile of their own (so
each claim's texts are told apart at the fake provider by their receptor), and an agency
with an API token; prints the JSON the scenarios file claims with.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
from decimal import Decimal

FIRST_NUMBER = 8_200_001
FIRST_MOBILE = 9_125_000_001  # 0912 500 0001, 0912 500 0002, ...


def walk_in_subscriber(number: str, *, mobile: str, serial_prefix: str) -> dict:
    """Create a subscriber with a meter installed; return what a walk-in files a claim with.
    (Shared with benchmarks/claims_api.py; call after django.setup().)"""
    from apps.meter_service.core import identifiers
    from apps.meter_service.doctype.meter.services import meter_create, meter_install
    from apps.meter_service.doctype.subscriber.services import subscriber_create

    nine = f"{(int(number) * 7919) % 10**9:09d}"
    national_id = nine + str(identifiers.national_id_check_digit(nine))
    bill_id = identifiers.build_bill_id(number, "281", 3)
    subscriber = subscriber_create(
        subscription_number=number,
        bill_id=bill_id,
        customer_type="g2c",
        national_id=national_id,
        name="مشترک آزمایشی",
        mobile=mobile,
        city="قزوین",
        address="خیابان آزمایش",
    )
    meter = meter_create(
        serial=f"{serial_prefix}-{number}", make="Test", model="G4", size="G4", accuracy_class="1.5"
    )
    meter_install(
        subscriber=subscriber,
        meter=meter,
        installed_on=datetime.date(2022, 3, 21),
        initial_reading=Decimal("100"),
    )
    return {
        "bill_id": bill_id,
        "national_id": national_id,
        "last_bill_id": bill_id,
        "last_payment_id": identifiers.build_payment_id(bill_id, 2_350_000, 5, 6),
    }


def seed(count: int) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sites.settings")
    django.setup()
    from django.contrib.auth.models import Group, User
    from django.db import transaction

    from apps.meter_service.api.auth import api_token_issue
    from apps.meter_service.doctype.agency.models import Agency
    from apps.meter_service.doctype.fee_tariff.services import fee_tariff_save
    from apps.meter_service.permissions import Role

    start = datetime.date(2024, 3, 20)
    fee_tariff_save(kind="meter_test", amount_rial=1_500_000, valid_from=start)
    fee_tariff_save(kind="counter_office", amount_rial=109_000, valid_from=start)
    walk_ins = []
    with transaction.atomic():
        for offset in range(count):
            mobile = f"0{FIRST_MOBILE + offset}"
            walk_in = walk_in_subscriber(
                str(FIRST_NUMBER + offset), mobile=mobile, serial_prefix="FAULT"
            )
            walk_ins.append({**walk_in, "contact_mobile": mobile})
        user = User.objects.create_user("faults-agency", password=None)
        user.groups.add(Group.objects.get(name=Role.AGENCY_CLIENT))
        agency = Agency.objects.create(code="faults", name="Fault-injection agency")
        agency.users.add(user)
        token = api_token_issue(user=user).key
    return {"token": token, "walk_ins": walk_ins}


if __name__ == "__main__":
    print(json.dumps(seed(int(sys.argv[1]))))
