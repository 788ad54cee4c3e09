"""The shipped fixtures are taken once a session and put back by bulk insert (conftest's
`roles`). When the snapshot cannot be taken, every test that needs a user runs
`load_fixtures` again (about half a second each, a third of some directories' time), and
nothing else would tell."""

from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.meter_service.engine.models import ProcessVersion
from tests import reference_rows


def _rows() -> dict:
    return {
        "roles": {
            group.name: sorted(group.permissions.values_list("codename", flat=True))
            for group in Group.objects.all()
        },
        "active": list(
            ProcessVersion.objects.filter(is_active=True).values_list("process_id", "number")
        ),
    }


def test_the_snapshot_is_taken(_shipped_rows):
    assert _shipped_rows is not None, "load_fixtures changed rows it did not make"


def test_the_snapshot_gives_what_the_command_gives(db, _shipped_rows):
    reference_rows.put_back(_shipped_rows)
    from_snapshot = _rows()
    assert from_snapshot["roles"] and from_snapshot["active"]
    call_command("load_fixtures", verbosity=0)  # run again on top: it finds nothing to add
    assert _rows() == from_snapshot


def test_new_permission_keys_take_the_snapshot_again_once(db, _shipped_rows):
    # A transactional test's flush gives permissions new keys; here, one of them.
    permission = Permission.objects.order_by("pk").last()
    assert permission is not None
    Permission.objects.filter(pk=permission.pk).delete()
    permission.pk = None
    permission.save()
    with transaction.atomic():
        reference_rows.put_back(_shipped_rows)  # takes the snapshot again for the new keys
        transaction.set_rollback(True)
    with CaptureQueriesContext(connection) as queries:
        reference_rows.put_back(_shipped_rows)
    assert len(queries) < 60, f"{len(queries)} queries: load_fixtures ran again"
    assert _rows()["roles"]["service_manager"]


def test_the_session_snapshot_fits_a_fresh_test(db, _shipped_rows):
    assert reference_rows._permission_keys() == _shipped_rows.permission_keys
