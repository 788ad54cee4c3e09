from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeterServiceConfig(AppConfig):
    name = "apps.meter_service"
    label = "meter_service"
    verbose_name = _("Meter test service")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.models import User
        from django.core import checks

        from apps.meter_service import checks as meter_checks
        from apps.meter_service import permissions, record_rules, reference_data, registries
        from apps.meter_service.core import rule_reader
        from apps.meter_service.core.display import person_name
        from apps.meter_service.dashboards import rollup
        from apps.meter_service.doctype.complaint import services as complaint_services
        from apps.meter_service.doctype.notification import inbound
        from apps.meter_service.doctype.notification import subscriptions as notification_events
        from apps.meter_service.doctype.payment import subscriptions as payment_events
        from apps.meter_service.doctype.rule_setting.selectors import rule_value
        from apps.meter_service.engine import steps

        # Wherever the desk shows a user (who filed, recorded, uploaded, completed: the
        # read-only fields, lists and messages), it shows the person's name, not a login.
        User.__str__ = person_name  # type: ignore[method-assign]  # on purpose, see above

        record_rules.install()
        registries.register()  # event types, error codes, the timeline's staff-only events
        permissions.connect_access_signals()
        reference_data.connect_reference_signals()
        # Rules read below the doctypes (permissions, privacy, sign-in, core) take the
        # desk's changes too.
        rule_reader.register(rule_value)
        steps.register()  # the engine behind the doctypes' process port
        # Domain events (core/domain_events.py) and who acts on them.
        payment_events.register()
        notification_events.register()
        # A lone digit 1-5 from a mobile asked to rate a closed complaint is its rating.
        inbound.register_reader(complaint_services.complaint_rating_from_sms)
        rollup.connect_signals()

        checks.register(meter_checks.check_site_config, checks.Tags.database)
        # Not a database check: runserver, check and every command show it.
        checks.register(meter_checks.check_rule_settings)
