"""The roll-up's state may be a build still going on (built_at empty): the scheduler's job
builds it over several runs, each within its time budget, and the pages read live until
it is done."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("meter_service", "0028_complaint_mail_knowledge_articles"),
    ]

    operations = [
        migrations.AlterField(
            model_name="dashboardrollup",
            name="built_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="built at"),
        ),
    ]
