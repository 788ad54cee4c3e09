"""The staff desk: one admin site, django-unfold themed, for company staff only."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from unfold.forms import AuthenticationForm
from unfold.sites import UnfoldAdminSite

from apps.meter_service import login_limits, permissions
from apps.meter_service.display import local_digits

LOCKED_MESSAGE = _(
    "Too many wrong passwords for this account or from this address; try again in "
    "%(minutes)s minutes."
)


class LimitedAuthenticationForm(AuthenticationForm):
    """The desk's sign-in, limited per account and per address (login_limits.py)."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if self.request is not None and login_limits.is_locked(self.request, username):
            # The password is not even checked while the account or address waits.
            raise ValidationError(
                LOCKED_MESSAGE,
                code="locked",
                params={"minutes": local_digits(login_limits.lockout_minutes())},
            )
        try:
            cleaned = super().clean()
        except ValidationError as error:
            if self.request is not None and self.user_cache is None:
                login_limits.record_failure(self.request, username)
            raise error
        if self.request is not None:
            login_limits.record_success(self.request, username)
        return cleaned


class MeterServiceAdminSite(UnfoldAdminSite):
    site_title = _("Meter test service")
    site_header = _("Meter test service")
    index_title = _("Desk")
    login_form = LimitedAuthenticationForm

    def has_permission(self, request) -> bool:
        """Let in active company staff only; subscribers and agencies use portal and API."""
        return request.user.is_active and permissions.can_use_desk(request.user)


# The name stays "admin" so the admin: URLs named in the UNFOLD settings reverse.
staff_site = MeterServiceAdminSite(name="admin")
