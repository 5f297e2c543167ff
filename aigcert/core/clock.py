"""One place to ask for the time, so rules that depend on it can be tested at any instant."""

from datetime import date, datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def today() -> date:
    return timezone.localdate()
