from django.core.mail import send_mail
from django_tasks import task


@task()
def email_send(*, subject: str, body: str, to: list[str]) -> int:
    """Send one plain-text email through the configured backend (console by default, SMTP by settings)."""
    return send_mail(subject, body, None, to)
