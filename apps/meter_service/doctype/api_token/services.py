"""Issue, check and revoke API tokens; the key itself is never stored."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.meter_service.audit.events import record_event
from apps.meter_service.core.queries import unique_or_none
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.api_token.events import ApiTokenEvents
from apps.meter_service.doctype.api_token.models import ApiToken
from apps.meter_service.doctype.rule_setting.selectors import rule_value

PREFIX_LENGTH = 8
# last_used_at is written at most this often per token: a busy IVR calls many times a minute.
LAST_USED_EVERY = datetime.timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """A new token and its key, which exists only here: show it once and forget it."""

    token: ApiToken
    key: str


def key_hash(key: str) -> str:
    """Return the stored form of a key (SHA-256; the key is long and random, so no salt or
    slow hash is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def token_days() -> int:
    return int(rule_value("API_TOKEN_DAYS"))


def token_create(*, user: User, actor: Actor = None, days: int | None = None) -> IssuedToken:
    """Make a new token for the user (any account: the caller checks the role) and audit it."""
    key = secrets.token_urlsafe(32)  # 256 random bits
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        prefix=key[:PREFIX_LENGTH],
        key_hash=key_hash(key),
        created_at=now,
        expires_at=now + datetime.timedelta(days=token_days() if days is None else days),
    )
    record_event(
        document=user,
        event_type=ApiTokenEvents.API_TOKEN_ISSUED,
        actor=actor,
        parameters={"prefix": token.prefix, "expires_at": token.expires_at},
    )
    return IssuedToken(token=token, key=key)


def token_find(key: str) -> ApiToken | None:
    """Return the token with this key (revoked and expired ones too), or None."""
    return unique_or_none(ApiToken.objects.select_related("user").filter(key_hash=key_hash(key)))


def token_touch(token: ApiToken) -> None:
    """Record that the token was used now, at most once a LAST_USED_EVERY."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return
    # One conditional UPDATE: of many requests at once, one writes.
    stale = now - LAST_USED_EVERY
    ApiToken.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale), pk=token.pk
    ).update(last_used_at=now)
    token.last_used_at = now


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: Actor) -> bool:
    """Stop a token working from now on; return False when it was revoked already."""
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor if getattr(actor, "pk", None) else None
    )
    if updated:
        token.refresh_from_db()
        record_event(
            document=token.user,
            event_type=ApiTokenEvents.API_TOKEN_REVOKED,
            actor=actor,
            parameters={"prefix": token.prefix},
        )
    return bool(updated)


def tokens_revoke_all(*, user: User, actor: Actor, keep: ApiToken | None = None) -> int:
    """Revoke the user's active tokens but `keep`; return how many."""
    count = 0
    for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
        if keep is None or token.pk != keep.pk:
            count += token_revoke(token=token, actor=actor)
    return count
