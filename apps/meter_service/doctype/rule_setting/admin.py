"""The desk's rule settings: every rule with its value in force, its meaning and its future
changes; a rule's page with the change form and its history; all changes.

Who: the service manager and the system administrator view and change them
(permissions.may_change_rule_settings); other staff do not see them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.widgets import (
    UnfoldAdminSelectWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from apps.meter_service import permissions
from apps.meter_service.admin_base import LogAdmin
from apps.meter_service.core.desk_widgets import JalaliDateInput
from apps.meter_service.core.forms import DigitNormalizingForm, ServiceErrorsMixin
from apps.meter_service.core.jalali import JalaliDateField
from apps.meter_service.core.rule_settings import RULES
from apps.meter_service.doctype.rule_setting import rules
from apps.meter_service.doctype.rule_setting.models import RuleSettingChange
from apps.meter_service.doctype.rule_setting.selectors import (
    rule_history,
    rule_value,
    rules_overview,
)
from apps.meter_service.doctype.rule_setting.services import rule_setting_change
from apps.meter_service.sites import staff_site

TEXT_ATTRS = {"dir": "ltr", "autocomplete": "off"}


class RuleChangeForm(ServiceErrorsMixin, DigitNormalizingForm):
    """A new value of one rule, the date it takes effect and why (the service checks all
    three, so the desk, a command or a test refuse the same input with the same words)."""

    value = forms.CharField(label=_("new value"), required=False, strip=False)
    effective_from = JalaliDateField(
        label=_("effective from"),
        required=False,
        widget=JalaliDateInput(),
        help_text=_("Today or a later date; left empty, today."),
    )
    reason = forms.CharField(
        label=_("reason"), required=False, widget=UnfoldAdminTextareaWidget(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = rules.rule_type(name)
        field = self.fields["value"]
        if kind.kind == rules.Kind.BOOLEAN:
            field.widget = UnfoldAdminSelectWidget(
                choices=[("true", gettext("Yes")), ("false", gettext("No"))]
            )
        elif kind.kind == rules.Kind.CHOICE:
            field.widget = UnfoldAdminSelectWidget(choices=[(c, c) for c in kind.choices])
        elif kind.kind in (rules.Kind.ROLES, rules.Kind.LANES, rules.Kind.BANDS):
            field.widget = UnfoldAdminTextareaWidget(attrs={**TEXT_ATTRS, "rows": 8})
            if kind.kind == rules.Kind.ROLES:
                field.help_text = gettext("One role code a line, such as service_manager.")
        else:
            field.widget = UnfoldAdminTextInputWidget(attrs=TEXT_ATTRS)


@admin.register(RuleSettingChange, site=staff_site)
class RuleSettingAdmin(LogAdmin):
    """The list page is the rules' overview; changes are made on a rule's page, never edited
    or deleted (the history is the record)."""

    def get_urls(self) -> list[URLPattern]:
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("rule/<str:name>/", view(self.rule_view), name=f"{info}_rule"),
            path("changes/", view(self.changes_view), name=f"{info}_changes"),
            *super().get_urls(),
        ]

    def _check_view(self, request: HttpRequest) -> None:
        if not self.has_view_permission(request):
            raise PermissionDenied

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._check_view(request)
        context = self.page_context(
            request,
            title=gettext("Rule settings"),
            rows=rules_overview(),
            may_change=permissions.may_change_rule_settings(request.user),
        )
        context["rows"] = [(row, self.page_url("rule", row.name)) for row in context["rows"]]
        context["changes_url"] = self.page_url("changes")
        return TemplateResponse(request, "meter_service/desk/rule_settings.html", context)

    def changes_view(self, request: HttpRequest) -> HttpResponse:
        self._check_view(request)
        context = self.page_context(
            request,
            title=gettext("Rule setting changes"),
            changes=_history_rows(rule_history()[:500]),
            show_name=True,
        )
        return TemplateResponse(request, "meter_service/desk/rule_setting_changes.html", context)

    def rule_view(self, request: HttpRequest, name: str) -> HttpResponse:
        if name not in RULES:
            raise Http404
        self._check_view(request)
        may_change = permissions.may_change_rule_settings(request.user) and rules.editable(name)
        if request.method == "POST":
            if not may_change:
                raise PermissionDenied
            form = RuleChangeForm(request.POST, name=name)
            if form.is_valid():
                try:
                    change = rule_setting_change(
                        name=name,
                        value=form.cleaned_data["value"],
                        effective_from=form.cleaned_data["effective_from"],
                        reason=form.cleaned_data["reason"],
                        actor=request.user,
                    )
                except ValidationError as exc:
                    form.add_service_errors(exc)
                else:
                    messages.success(
                        request,
                        gettext("%(name)s is %(value)s from %(date)s.")
                        % {
                            "name": name,
                            "value": rules.value_display(name, change.value),
                            "date": JalaliDateField().prepare_value(change.effective_from),
                        },
                    )
                    return redirect(self.page_url("rule", name))
        else:
            form = RuleChangeForm(
                name=name, initial={"value": rules.value_text(name, rule_value(name))}
            )
        row = next(row for row in rules_overview() if row.name == name)
        context = self.page_context(
            request,
            title=name,
            row=row,
            form=form if may_change else None,
            site_only=not rules.editable(name),
            default=rules.value_display(name, RULES[name].default),
            changes=_history_rows(rule_history(name)),
            show_name=False,
            overview_url=self.page_url("changelist"),
        )
        return TemplateResponse(request, "meter_service/desk/rule_setting.html", context)


def _history_rows(changes: Any) -> list[dict[str, Any]]:
    return [
        {
            "change": change,
            "old": rules.value_display(change.name, change.previous_value),
            "new": rules.value_display(change.name, change.value),
        }
        for change in changes
    ]
