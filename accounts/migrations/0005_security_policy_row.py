from django.db import migrations


def create_policy(apps, schema_editor):
    SecurityPolicy = apps.get_model("portal", "SecurityPolicy")
    SecurityPolicy.objects.get_or_create(pk=1)


def remove_policy(apps, schema_editor):
    apps.get_model("portal", "SecurityPolicy").objects.filter(pk=1).delete()


class Migration(migrations.Migration):
    """The one row of the two-factor policy, requiring nothing until an admin says."""

    dependencies = [("portal", "0004_security")]

    operations = [migrations.RunPython(create_policy, remove_policy)]
