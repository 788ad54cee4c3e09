"""The process's fixtures: a paid claim, the staff of each lane, completing steps."""

from tests.engine.conftest import paid_claim, staff, step  # noqa: F401
from tests.integrations.sms_fake import fake_sms, sms_fake_server  # noqa: F401
