from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

ROLES = ("admin", "planner", "commander", "dispatcher", "responder")


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("cim", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_roles, migrations.RunPython.noop),
    ]
