"""The closing SMS names the bill correction and the fee refund ({settlement}).

New templates (test_result, meter_replaced, ...) are created by load_fixtures, which leaves
existing ones alone; the closing message existed, so its shipped text is brought up to date
here, and only where staff have not rewritten it.
"""

from django.db import migrations

OLD = {
    "body_fa": "شرکت گاز: درخواست تست کنتور با کد رهگیری {tracking_code} در {date} بسته شد. "
    "نتیجه: {outcome}. جزئیات در درگاه مشترکین.",
    "body_en": "Gas company: meter test claim {tracking_code} was closed on {date}. "
    "Outcome: {outcome}. Details are in the subscriber portal.",
}
NEW = {
    "body_fa": "شرکت گاز: درخواست تست کنتور با کد رهگیری {tracking_code} در {date} بسته شد. "
    "نتیجه: {outcome}.{settlement}\nجزئیات در درگاه مشترکین.",
    "body_en": "Gas company: meter test claim {tracking_code} was closed on {date}. "
    "Outcome: {outcome}.{settlement}\nDetails are in the subscriber portal.",
}


def _swap(apps, before: dict, after: dict) -> None:
    MessageTemplate = apps.get_model("meter_service", "MessageTemplate")
    for field in ("body_fa", "body_en"):
        MessageTemplate.objects.filter(key="claim_closed", **{field: before[field]}).update(
            **{field: after[field]}
        )


def forwards(apps, schema_editor) -> None:
    _swap(apps, OLD, NEW)


def backwards(apps, schema_editor) -> None:
    _swap(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [("meter_service", "0013_correction_not_possible_and_unbilled_tail")]

    operations = [migrations.RunPython(forwards, backwards)]
