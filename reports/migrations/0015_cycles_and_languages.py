from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0014_compilation_book"),
    ]

    operations = []
