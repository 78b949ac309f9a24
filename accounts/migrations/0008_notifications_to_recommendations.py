"""Notifications and reminders now belong to recommendations (its migration 0005):
the portal app forgets its record of them. No table is touched."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0007_drop_drf_authtoken'),
        ('recommendations', '0005_notifications_from_portal'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='reminder',
                    name='cycle',
                ),
                migrations.RemoveField(
                    model_name='reminder',
                    name='member_state',
                ),
                migrations.DeleteModel(
                    name='Notification',
                ),
                migrations.DeleteModel(
                    name='Reminder',
                ),
            ],
            database_operations=[],
        ),
    ]
