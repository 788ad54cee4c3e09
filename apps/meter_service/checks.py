"""System checks for a site's configuration."""

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning


def check_site_config(app_configs, **kwargs) -> list:
    """Warn about production settings that would lose data or leak secrets."""
    problems: list[CheckMessage] = []
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine.endswith("mysql"):
        charset = settings.DATABASES["default"].get("OPTIONS", {}).get("charset")
        if charset != "utf8mb4":
            problems.append(
                Error("MariaDB must use utf8mb4 for Persian text.", id="meter_service.E001")
            )
    if settings.METER_JOBS_ASYNC and not settings.REDIS_URL:
        problems.append(Warning("Async jobs need a Redis URL.", id="meter_service.W001"))
    local = settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage")
    if settings.METER_FILES_SENDFILE and not local:
        # The proxy reads the file from the disk; an object store has none to hand over.
        problems.append(
            Error(
                "files_sendfile needs files_backend local; on an object store leave it out "
                "(files_presigned_seconds redirects to the store instead).",
                id="meter_service.E002",
            )
        )
    mail_in = getattr(settings, "METER_MAIL_IN", {})
    if mail_in.get("REQUIRE_AUTHENTICATED") and not str(mail_in.get("AUTHSERV_ID") or "").strip():
        # Without it a sender's own "spf=pass" header would count.
        problems.append(
            Error(
                "mail_in REQUIRE_AUTHENTICATED needs AUTHSERV_ID, the receiving mail server's "
                "name in its Authentication-Results headers.",
                id="meter_service.E003",
            )
        )
    return problems


def check_rule_settings(app_configs, **kwargs) -> list:
    """Name the rule settings a site still sets under deprecated names (read translated)."""
    return [
        Warning(note, id="meter_service.W002")
        for note in getattr(settings, "METER_SERVICE_DEPRECATIONS", [])
    ]
