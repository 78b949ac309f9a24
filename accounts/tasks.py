from celery import shared_task
from django.utils import translation

from accounts import services


@shared_task(
    name="portal.send_password_reset",
    autoretry_for=(OSError,),  # the mail server is down (smtplib's errors)
    retry_backoff=60,
    max_retries=4,
)
def send_password_reset(email: str, language: str) -> int:
    """The reset link of the accounts with this address, in the asker's language."""
    with translation.override(language):
        return services.password_reset_send(email=email)
