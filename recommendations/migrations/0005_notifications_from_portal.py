"""Notifications and deadline reminders follow the workflow they tell about: they
move here from the portal app. Only Django's record of the models moves; the tables
stay as they are, under their old names (db_table), with every row. Their content
types follow, so that permissions and audit entries keep pointing at them."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_types(apps, schema_editor, old="portal", new="recommendations"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(
        app_label=old, model__in=["notification", "reminder"]
    ).update(app_label=new)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, old="recommendations", new="portal")


class Migration(migrations.Migration):

    dependencies = [
        ('recommendations', '0004_current_cycle'),
        ('portal', '0007_drop_drf_authtoken'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Reminder',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('days_before', models.PositiveSmallIntegerField(verbose_name='days before the deadline')),
                        ('deadline', models.DateTimeField(verbose_name='deadline reminded of')),
                        ('missing', models.JSONField(blank=True, default=list, help_text='Numbers of the recommendations without a submitted update, or, for the digest, the states that had not reported.', verbose_name='what had not been reported')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                        ('cycle', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to='recommendations.reportingcycle', verbose_name='reporting cycle')),
                        ('member_state', models.ForeignKey(blank=True, help_text='Empty for the digest sent to the Secretariat.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='reminders', to='recommendations.memberstate', verbose_name='member state')),
                    ],
                    options={
                        'verbose_name': 'deadline reminder',
                        'verbose_name_plural': 'deadline reminders',
                        'db_table': 'portal_reminder',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('email', models.EmailField(blank=True, max_length=254, verbose_name='sent to')),
                        ('language', models.CharField(default='en', max_length=8, verbose_name='language')),
                        ('kind', models.CharField(choices=[('update_submitted', 'Update submitted for review'), ('update_returned', 'Update returned'), ('update_accepted', 'Update accepted'), ('deadline_reminder', 'Deadline reminder'), ('reminder_digest', 'States yet to report')], max_length=24, verbose_name='kind')),
                        ('subject', models.CharField(max_length=300, verbose_name='subject')),
                        ('body', models.TextField(verbose_name='message')),
                        ('link', models.CharField(blank=True, max_length=500, verbose_name='link')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                        ('attempted_at', models.DateTimeField(blank=True, null=True, verbose_name='sending started')),
                        ('sent_at', models.DateTimeField(blank=True, null=True, verbose_name='sent')),
                        ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                        ('error', models.TextField(blank=True, verbose_name='last error')),
                        ('event', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='recommendations.updateevent', verbose_name='workflow step')),
                        ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL, verbose_name='recipient')),
                        ('update', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='recommendations.progressupdate', verbose_name='progress update')),
                        ('reminder', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='recommendations.reminder', verbose_name='deadline reminder')),
                    ],
                    options={
                        'verbose_name': 'notification',
                        'verbose_name_plural': 'notifications',
                        'db_table': 'portal_notification',
                        'ordering': ['-created_at', '-pk'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='reminder',
                    constraint=models.UniqueConstraint(condition=models.Q(('member_state__isnull', False)), fields=('cycle', 'member_state', 'days_before'), name='one_reminder_per_state_and_step'),
                ),
                migrations.AddConstraint(
                    model_name='reminder',
                    constraint=models.UniqueConstraint(condition=models.Q(('member_state__isnull', True)), fields=('cycle', 'days_before'), name='one_digest_per_step'),
                ),
                migrations.AddIndex(
                    model_name='notification',
                    index=models.Index(fields=['recipient', '-created_at'], name='portal_noti_recipie_33a400_idx'),
                ),
                migrations.AddIndex(
                    model_name='notification',
                    index=models.Index(fields=['sent_at', 'attempted_at'], name='portal_noti_sent_at_1cde06_idx'),
                ),
                migrations.AddConstraint(
                    model_name='notification',
                    constraint=models.UniqueConstraint(condition=models.Q(('event__isnull', False)), fields=('recipient', 'event'), name='one_notification_per_step_and_recipient'),
                ),
                migrations.AddConstraint(
                    model_name='notification',
                    constraint=models.UniqueConstraint(condition=models.Q(('reminder__isnull', False)), fields=('recipient', 'reminder'), name='one_notification_per_reminder_and_recipient'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
