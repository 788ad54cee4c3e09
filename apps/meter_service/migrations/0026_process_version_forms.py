"""The user tasks' forms become form-js schemas kept with each process version, and a claim
keeps the answers to the process's claim form.

Every stored version gets the schemas of its BPMN's Camunda formData (labels in English
from the file, in Persian from the catalogue); the BPMN itself is left as it is, so its
checksum and the running claims' states stay valid.
"""

from django.db import migrations, models

from apps.meter_service.engine.form_schema import schemas_from_bpmn


def forms_from_form_data(apps, schema_editor):
    ProcessVersion = apps.get_model("meter_service", "ProcessVersion")
    for version in ProcessVersion.objects.all().only("pk", "bpmn", "forms"):
        forms = {**schemas_from_bpmn(version.bpmn), **(version.forms or {})}
        if forms != version.forms:
            ProcessVersion.objects.filter(pk=version.pk).update(forms=forms)


class Migration(migrations.Migration):
    dependencies = [
        ("meter_service", "0025_custom_fields"),
    ]

    operations = [
        migrations.AddField(
            model_name="processversion",
            name="forms",
            field=models.JSONField(blank=True, default=dict, verbose_name="forms"),
        ),
        migrations.RunPython(forms_from_form_data, migrations.RunPython.noop),
        migrations.AddField(
            model_name="claim",
            name="extra_fields",
            field=models.JSONField(blank=True, default=dict, verbose_name="more details"),
        ),
    ]
