"""Types the layers share, so a service's signature says what it takes.

An actor is whoever caused a change: a signed-in staff member or subscriber (``User``), the
anonymous visitor of a public form (``AnonymousUser``), or nobody (``None``: a job, a bank
callback, the demo loader). Services record it in the audit and never require it.
"""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser, User

Actor: TypeAlias = User | AnonymousUser | None
