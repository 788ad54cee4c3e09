from tests.doctype.complaint.conftest import act, file_complaint, officer, topics  # noqa: F401
from tests.integrations.sms_fake import fake_sms, sms_fake_server  # noqa: F401
from tests.ops.conftest import redis_url, rq_queue  # noqa: F401
from tests.ops.test_backup import restored_site, server_url  # noqa: F401
