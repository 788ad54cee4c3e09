"""The shipped fixtures are taken once a session and put back by bulk insert (conftest's
`roles`). When the snapshot cannot be taken, every test that needs a user runs
`load_fixtures` again (about half a second each, a third of some directories' time), and
nothing else would tell."""

from django.contrib.auth.models import Group
from django.core.management import call_command

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
