"""The one way the platform tells a person something: an inbox message, plus an e-mail copy when they have one."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django_tasks import task

from aigcert.core.clock import now
from aigcert.core.models import Notification


@task()
def email_send(*, to: str, subject: str, body: str) -> bool:
    send_mail(subject, body, None, [to])
    return True


def notify(*, user_id: int, language: str, email: str | None, kind: str, subject, body,
           params: dict | None = None, link: str = "") -> Notification:
    """Render `subject` and `body` (lazy strings, `body` %-formatted with `params`) in the person's language."""
    with translation.override(language):
        subject_text = str(subject) % (params or {}) if params else str(subject)
        body_text = str(body) % (params or {}) if params else str(body)
    message = Notification.objects.create(
        user_id=user_id, kind=kind, subject=subject_text[:200], body=body_text, link=link
    )
    if email:
        # After commit: a rolled-back booking must not have sent its confirmation.
        transaction.on_commit(lambda: email_send.enqueue(to=email, subject=subject_text, body=body_text))
    return message


def inbox(user_id: int, *, limit: int = 50) -> list[Notification]:
    return list(Notification.objects.filter(user_id=user_id)[:limit])


def inbox_unread_count(user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


def inbox_mark_read(user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).update(read_at=now())
