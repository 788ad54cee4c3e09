from tests.integrations.sms_fake import fake_sms, sms_fake_server  # noqa: F401
