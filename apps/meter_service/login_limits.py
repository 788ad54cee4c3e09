"""Failed sign-ins with a password (desk and counter offices), limited per account and per
address, so passwords cannot be guessed (50 wrong ones, then the right one, used to work).

Failures are counted per account and per client address (client_address.client_ip, the
visitor's own address behind the proxy) for LOGIN_LOCKOUT_MINUTES: past
LOGIN_FAILURES_PER_ACCOUNT for the account, or LOGIN_FAILURES_PER_ADDRESS from the address,
the password is not even checked until the window passes. A success clears the account's
count. The counts are kept in the database (limits/services.py), so a Redis outage or
restart does not lift them.
"""

from __future__ import annotations

from apps.meter_service.core.client_address import client_ip
from apps.meter_service.core.rule_reader import rule_in_force
from apps.meter_service.limits.services import rate_count_clear, rate_count_hit, rate_counts


def _keys(request, username: str) -> tuple[str, str]:
    account = (username or "").strip().lower()
    return f"meter:login:address:{client_ip(request)}", f"meter:login:account:{account}"


def _limits() -> tuple[int, int, int]:
    return (
        int(rule_in_force("LOGIN_FAILURES_PER_ADDRESS")),
        int(rule_in_force("LOGIN_FAILURES_PER_ACCOUNT")),
        int(rule_in_force("LOGIN_LOCKOUT_MINUTES")) * 60,
    )


def is_locked(request, username: str) -> bool:
    address_key, account_key = _keys(request, username)
    per_address, per_account, _window = _limits()
    counts = rate_counts(keys=[address_key, account_key])
    return counts.get(address_key, 0) >= per_address or counts.get(account_key, 0) >= per_account


def record_failure(request, username: str) -> None:
    window = _limits()[2]
    for key in _keys(request, username):
        rate_count_hit(key=key, window_seconds=window)


def record_success(request, username: str) -> None:
    rate_count_clear(key=_keys(request, username)[1])


def lockout_minutes() -> int:
    return _limits()[2] // 60
