from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0012_section_review"),
    ]

    operations = []
