"""Pure session-calendar rules: states from the clock, booking windows, generated dates. No ORM."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

SCHEDULED, OPEN, CLOSED, IN_PROGRESS, FINISHED, CANCELLED = (
    "scheduled", "open", "closed", "in_progress", "finished", "cancelled")


@dataclass(frozen=True)
class SessionTimes:
    start_at: datetime
    duration_minutes: int
    booking_opens_at: datetime
    booking_closes_at: datetime
    cancelled: bool = False

    @property
    def end_at(self) -> datetime:
        return self.start_at + timedelta(minutes=self.duration_minutes)


def session_state(times: SessionTimes, moment: datetime) -> str:
    """Only cancellation is stored; every other state follows from the clock, so nothing has to flip it."""
    if times.cancelled:
        return CANCELLED
    if moment >= times.end_at:
        return FINISHED
    if moment >= times.start_at:
        return IN_PROGRESS
    if moment >= times.booking_closes_at:
        return CLOSED
    if moment >= times.booking_opens_at:
        return OPEN
    return SCHEDULED


def booking_closes_at(start_at: datetime, days_before: int) -> datetime:
    """Booking closes at midnight local time, `days_before` whole days before the exam day."""
    closes_day = start_at.date() - timedelta(days=days_before)
    return start_at.replace(year=closes_day.year, month=closes_day.month, day=closes_day.day,
                            hour=0, minute=0, second=0, microsecond=0)


def default_exam_day(year: int, month: int) -> date:
    """The third Saturday: late enough in the month to book into, early enough to publish results in it."""
    saturdays = [day for day in calendar.Calendar().itermonthdates(year, month)
                 if day.month == month and day.weekday() == calendar.SATURDAY]
    return saturdays[2]


def within_horizon(start_day: date, today: date, horizon_months: int) -> bool:
    """Bookable up to the end of the month `horizon_months` after this one (1 → this month's and next month's
    sessions), so a candidate never finds every session either closed or out of reach."""
    index = today.month - 1 + horizon_months
    year, month = today.year + index // 12, index % 12 + 1
    return today <= start_day <= date(year, month, calendar.monthrange(year, month)[1])


def combine(day: date, hhmm: str, tz) -> datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=tz)
