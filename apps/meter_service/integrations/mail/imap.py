"""Client of the support mailbox, speaking IMAP4 (imaplib; SSL or plain per the site).

The poller asks the mailbox for its UNSEEN messages, hands each one's raw RFC 822 bytes to
the caller and marks it \\Seen only once the caller has taken it: a message whose handling
failed stays unseen (logged) and is fetched again next time (the Message-ID log makes that
safe). Fetching with BODY.PEEK leaves the flags alone until then.

Settings are read when a client is made, never at import: settings.METER_MAIL_IN =
{"HOST", "PORT", "USER", "PASSWORD", "MAILBOX", "SSL", "TIMEOUT", "ADDRESS",
"INBOUND_SECRET", "AUTHSERV_ID", "REQUIRE_AUTHENTICATED", "CA_FILE"}, from site_config.json
"mail_in". Over SSL the server's certificate and name are verified (imaplib's own default
verifies neither, which would hand the mailbox password to whoever sits in the middle);
CA_FILE names the authority of a mail server with a private certificate.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
from collections.abc import Callable
from typing import Any

from django.conf import settings

logger = logging.getLogger("meter_service.mail")

DEFAULTS: dict[str, Any] = {
    "HOST": "",
    "PORT": 993,
    "USER": "",
    "PASSWORD": "",
    "MAILBOX": "INBOX",
    "SSL": True,
    # A PEM file of the authority that signed the mail server's certificate, when it is not
    # one the system trusts.
    "CA_FILE": "",
    "TIMEOUT": 30,
    # The support mailbox's address: the Reply-To of every email to a complainant.
    "ADDRESS": "",
    # The token a mail provider that pushes mail sends in X-Meter-Mail-Token.
    "INBOUND_SECRET": "",
    # The receiving mail server's authserv-id: only its Authentication-Results headers count
    # (empty: every such header counts, which can only make a message fail, never pass).
    "AUTHSERV_ID": "",
    # Refuse a reply unless SPF or DKIM passed at that server (for a server that checks both).
    "REQUIRE_AUTHENTICATED": False,
}


def mail_in_config() -> dict[str, Any]:
    """settings.METER_MAIL_IN over the defaults, read now (tests change it per test)."""
    return {**DEFAULTS, **getattr(settings, "METER_MAIL_IN", {})}


def imap_configured(config: dict[str, Any] | None = None) -> bool:
    config = mail_in_config() if config is None else config
    return bool(str(config.get("HOST") or "").strip() and config.get("USER"))


class MailboxError(Exception):
    """The mailbox could not be read (connection, login, a refused command)."""


def _connect(config: dict[str, Any]) -> imaplib.IMAP4:
    host, port, timeout = str(config["HOST"]), int(config["PORT"]), float(config["TIMEOUT"])
    if config.get("SSL"):
        context = ssl.create_default_context(cafile=str(config.get("CA_FILE") or "") or None)
        return imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
    return imaplib.IMAP4(host, port, timeout=timeout)


def _ok(answer: tuple[str, Any], what: str) -> Any:
    status, data = answer
    if status != "OK":
        raise MailboxError(f"IMAP {what} refused")
    return data


def poll_unseen(
    take: Callable[[bytes], object], *, limit: int = 50, config: dict[str, Any] | None = None
) -> int:
    """Hand each UNSEEN message (at most `limit`) to `take`, then mark it seen; return how
    many were taken. A message `take` raises on is logged and left unseen."""
    config = mail_in_config() if config is None else config
    try:
        client = _connect(config)
    except (OSError, imaplib.IMAP4.error) as error:
        raise MailboxError(f"cannot reach the mailbox: {type(error).__name__}") from error
    taken = 0
    try:
        try:
            _ok(client.login(str(config["USER"]), str(config["PASSWORD"])), "LOGIN")
            _ok(client.select(str(config["MAILBOX"] or "INBOX")), "SELECT")
            uids = _ok(client.uid("SEARCH", "UNSEEN"), "SEARCH")
        except imaplib.IMAP4.error as error:
            raise MailboxError(f"IMAP refused: {type(error).__name__}") from error
        for uid in (uids[0] or b"").decode("ascii").split()[:limit]:
            data = _ok(client.uid("FETCH", uid, "(BODY.PEEK[])"), "FETCH")
            raw = next((part[1] for part in data if isinstance(part, tuple)), None)
            if raw is None:
                continue
            try:
                take(bytes(raw))
            except Exception:
                # One message that cannot be taken must not hold up the others: it stays
                # unseen (tried again next time) and the log says so.
                logger.exception("a mailbox message could not be taken", extra={"uid": uid})
                continue
            _ok(client.uid("STORE", uid, "+FLAGS", "(\\Seen)"), "STORE")
            taken += 1
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()  # the messages taken are marked already
    return taken
