import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0013_publishing"),
    ]

    operations = [
        # Cycles: the entity's report of an earlier cycle a report was started from.
        migrations.AddField(
            model_name="report",
            name="started_from",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="reports.report",
                verbose_name="started from",
            ),
        ),
    ]
