"""Types the layers share, so a service's signature says what it takes.

An actor is whoever caused a change: a signed-in staff member or subscriber (``User``), the
anonymous visitor of a public form (``AnonymousUser``), or nobody (``None``: a job, a bank
callback, the demo loader). Services record it in the audit and never require it.
"""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser, User
from django.utils import functional

Actor: TypeAlias = User | AnonymousUser | None

# Text a person reads: a str or a lazy translation (gettext_lazy), which the stubs type as
# _StrPromise, a Promise that behaves as a str. Only the type checker reads this string.
StrOrPromise: TypeAlias = "str | functional._StrPromise"
