"""The staff desk: one admin site, django-unfold themed, for company staff only."""

from __future__ import annotations

from django import forms
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from unfold.forms import AuthenticationForm
from unfold.sites import UnfoldAdminSite
from unfold.widgets import UnfoldAdminTextInputWidget

from apps.meter_service import login_limits, permissions, two_factor
from apps.meter_service.core.display import local_digits
from apps.meter_service.core.error_codes import SiteErrorCode

LOCKED_MESSAGE = _(
    "Too many wrong passwords for this account or from this address; try again in "
    "%(minutes)s minutes."
)
WRONG_CODE_MESSAGE = _("The code is not right, or was used already. Try the next code.")


def _locked_error() -> ValidationError:
    return ValidationError(
        LOCKED_MESSAGE,
        code=SiteErrorCode.LOCKED,
        params={"minutes": local_digits(login_limits.lockout_minutes())},
    )


class LimitedAuthenticationForm(AuthenticationForm):
    """The desk's sign-in, limited per account and per address (login_limits.py)."""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if self.request is not None and login_limits.is_locked(self.request, username):
            # The password is not even checked while the account or address waits.
            raise _locked_error()
        try:
            cleaned = super().clean()
        except ValidationError as error:
            if self.request is not None and self.user_cache is None:
                login_limits.record_failure(self.request, username)
            raise error
        # With a second factor still to come the count stays: a right password must not
        # clear the wrong codes guessed after it (two_factor.py).
        if self.request is not None and not two_factor.needs_second_factor(self.user_cache):
            login_limits.record_success(self.request, username)
        return cleaned


class CodeForm(forms.Form):
    """The 6-digit code of an authenticator app, or a backup code; Persian digits too."""

    code = forms.CharField(
        label=_("Code"),
        max_length=24,
        widget=UnfoldAdminTextInputWidget(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "dir": "ltr",
            }
        ),
    )


class DeskLoginView(LoginView):
    """Django's sign-in, except that a user who needs a second factor is not signed in yet:
    the session remembers the right password and the code (or enrolment) step follows."""

    admin_site: MeterServiceAdminSite | None = None

    def form_valid(self, form):
        user = form.get_user()
        if not two_factor.needs_second_factor(user):
            return super().form_valid(form)
        two_factor.start_pending(self.request, user, next_url=self.get_success_url())
        step = "desk_two_factor_code" if two_factor.confirmed_device(user) else "desk_two_factor"
        assert self.admin_site is not None  # given by MeterServiceAdminSite.login
        return HttpResponseRedirect(reverse(f"admin:{step}", current_app=self.admin_site.name))


class MeterServiceAdminSite(UnfoldAdminSite):
    site_title = _("Meter test service")
    site_header = _("Meter test service")
    index_title = _("Desk")
    login_form = LimitedAuthenticationForm

    def has_permission(self, request) -> bool:
        """Let in active company staff only; subscribers and agencies use portal and API.

        A user who needs a second factor must have given it in this session."""
        user = request.user
        return (
            user.is_active and permissions.can_use_desk(user) and two_factor.is_satisfied(request)
        )

    def get_urls(self):
        return [
            path("login/code/", self.two_factor_code, name="desk_two_factor_code"),
            path("two-factor/", self.two_factor_enrol, name="desk_two_factor"),
            *super().get_urls(),
        ]

    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        """The admin's sign-in page, through DeskLoginView (see AdminSite.login)."""
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        context = {
            **self.each_context(request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=self.name)
        context.update(extra_context or {})
        request.current_app = self.name
        return DeskLoginView.as_view(
            extra_context=context,
            authentication_form=self.login_form,
            template_name=self.login_template or "admin/login.html",
            admin_site=self,
        )(request)

    def _next_url(self, request, state: dict) -> str:
        url = state.get("next") or ""
        if url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return url
        return reverse("admin:index", current_app=self.name)

    @method_decorator(sensitive_post_parameters("code"))
    @method_decorator(csrf_protect)
    @method_decorator(never_cache)
    def two_factor_code(self, request):
        """The second step of the sign-in: the code of the user whose password was right."""
        found = two_factor.pending(request)
        if found is None or two_factor.confirmed_device(found[0]) is None:
            return HttpResponseRedirect(reverse("admin:login", current_app=self.name))
        user, state = found
        form = CodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if login_limits.is_locked(request, user.get_username()):
                form.add_error(None, _locked_error())
            else:
                device = two_factor.verify_code(user, form.cleaned_data["code"])
                if device is not None:
                    login_limits.record_success(request, user.get_username())
                    two_factor.finish_sign_in(
                        request, user, backend=state["backend"], device=device
                    )
                    return HttpResponseRedirect(self._next_url(request, state))
                login_limits.record_failure(request, user.get_username())
                form.add_error("code", WRONG_CODE_MESSAGE)
        request.current_app = self.name
        context = {
            **self.each_context(request),
            "title": _("Sign-in code"),
            "form": form,
            "pending_user": user,
        }
        return TemplateResponse(request, "meter_service/desk/two_factor_code.html", context)

    @method_decorator(sensitive_post_parameters("code"))
    @method_decorator(csrf_protect)
    @method_decorator(never_cache)
    def two_factor_enrol(self, request):
        """Enrol an authenticator app: the secret and its QR code, confirmed with a code.

        For a desk user who has given the second factor (or needs none), and for a user whose
        role requires one and who has none yet, between the password and the desk."""
        user, state = self._enrolling_user(request)
        if user is None:
            return HttpResponseRedirect(reverse("admin:login", current_app=self.name))
        device = two_factor.enrolment_device(user)
        form = CodeForm(request.POST or None)
        backup_codes = None
        if request.method == "POST" and form.is_valid():
            if login_limits.is_locked(request, user.get_username()):
                form.add_error(None, _locked_error())
            else:
                backup_codes = two_factor.enrolment_confirm(
                    user=user, device=device, code=form.cleaned_data["code"], actor=user
                )
                if backup_codes is None:
                    login_limits.record_failure(request, user.get_username())
                    form.add_error("code", WRONG_CODE_MESSAGE)
                elif state is not None:
                    login_limits.record_success(request, user.get_username())
                    two_factor.finish_sign_in(
                        request, user, backend=state["backend"], device=device
                    )
                else:
                    from django_otp import login as otp_login

                    otp_login(request, device)  # this session stays verified
        request.current_app = self.name
        context = {
            **self.each_context(request),
            "title": _("Two-factor sign-in"),
            "form": form,
            "backup_codes": backup_codes,
            "secret": two_factor.secret_text(device),
            "qr_svg": two_factor.qr_svg(device),
            "required": two_factor.required_for(user),
            "has_device": two_factor.confirmed_device(user) is not None and not backup_codes,
            "signed_in": state is None,
            "next_url": self._next_url(request, state or {}),
        }
        return TemplateResponse(request, "meter_service/desk/two_factor_enrol.html", context)

    def _enrolling_user(self, request):
        """Return (user, pending state) of who may enrol here, or (None, None)."""
        if request.user.is_authenticated:
            # Signed in: only with the second factor shown (or none needed), so a stolen
            # password-only session cannot swap the device. A session from before enrolment
            # was required, or whose device was reset, signs in again with the password.
            return (request.user, None) if self.has_permission(request) else (None, None)
        found = two_factor.pending(request)
        if found is None or two_factor.confirmed_device(found[0]) is not None:
            return None, None
        return found


# The name stays "admin" so the admin: URLs named in the UNFOLD settings reverse.
staff_site = MeterServiceAdminSite(name="admin")
