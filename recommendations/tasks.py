"""Celery tasks of the notifications and the daily backup: thin, taking ids; the
worker finds them here."""

from celery import shared_task
from django.conf import settings

from recommendations import backup, notifications
from recommendations.models import Notification, UpdateEvent


@shared_task(name=notifications.NOTIFY_TASK)
def notify_update_event(event_id: int) -> int:
    """Write and queue the emails of one workflow step."""
    event = (
        UpdateEvent.objects.select_related(
            "actor", "update__member_state", "update__recommendation", "update__author"
        )
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return 0
    return len(notifications.update_event_notify(event=event))


@shared_task(bind=True, name=notifications.DELIVER_TASK)
def deliver_notification(self, notification_id: int) -> bool:
    """Send one email; retried with a growing delay while the mail server fails."""
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:
        return False
    try:
        return notifications.notification_deliver(notification=notification)
    except notifications.DeliveryError as error:
        raise self.retry(
            exc=error,
            countdown=60 * 2**self.request.retries,
            max_retries=settings.NOTIFICATION_MAX_ATTEMPTS - 1,
        ) from error


@shared_task(name="portal.send_deadline_reminders")
def send_deadline_reminders() -> int:
    """Beat, hourly: the reminders due now, each state, cycle and step once."""
    return len(notifications.reminders_send())


@shared_task(name="portal.sweep_notifications")
def sweep_notifications() -> int:
    """Beat, hourly: queue what the broker or the mail server dropped."""
    return notifications.notifications_sweep()


@shared_task(name="portal.backup_daily")
def backup_daily() -> str:
    """Beat, daily at BACKUP_HOUR: a backup, copied off the server if configured, and
    the oldest beyond BACKUP_KEEP removed."""
    return backup.backup_daily().name
