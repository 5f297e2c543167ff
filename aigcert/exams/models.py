from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aigcert.core.api import BaseModel, Translated, now
from aigcert.exams import rules


class Session(BaseModel):
    """One sitting of a program's formal exam: a date, a start time, a number of seats and a booking window."""

    class State(models.TextChoices):
        SCHEDULED = rules.SCHEDULED, _("Scheduled")
        OPEN = rules.OPEN, _("Open for booking")
        CLOSED = rules.CLOSED, _("Booking closed")
        IN_PROGRESS = rules.IN_PROGRESS, _("In progress")
        FINISHED = rules.FINISHED, _("Finished")
        CANCELLED = rules.CANCELLED, _("Cancelled")

    program_code = models.SlugField(_("program code"), max_length=60, db_index=True)
    sitting_code = models.SlugField(_("sitting"), max_length=20)
    sitting_label_zh = models.CharField(_("sitting label (Chinese)"), max_length=40)
    sitting_label_en = models.CharField(_("sitting label (English)"), max_length=40, blank=True)
    start_at = models.DateTimeField(_("starts at"), db_index=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    capacity = models.PositiveIntegerField(_("seats"))
    booking_opens_at = models.DateTimeField(_("booking opens"))
    booking_closes_at = models.DateTimeField(_("booking closes"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    replacement = models.ForeignKey("self", verbose_name=_("replacement session"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="replaces")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    sitting_label = Translated()

    class Meta:
        verbose_name = _("exam session")
        verbose_name_plural = _("exam sessions")
        ordering = ["start_at", "program_code"]
        constraints = [
            models.UniqueConstraint(fields=["program_code", "start_at", "sitting_code"],
                                    condition=Q(cancelled_at__isnull=True), name="session_unique_live"),
            models.CheckConstraint(condition=Q(booking_closes_at__lte=models.F("start_at")),
                                   name="session_booking_closes_before_start"),
        ]

    def __str__(self) -> str:
        return f"{self.program_code} {self.start_at:%Y-%m-%d %H:%M} {self.sitting_code}"

    @property
    def times(self) -> rules.SessionTimes:
        return rules.SessionTimes(start_at=self.start_at, duration_minutes=self.duration_minutes,
                                  booking_opens_at=self.booking_opens_at, booking_closes_at=self.booking_closes_at,
                                  cancelled=self.cancelled_at is not None)

    @property
    def state(self) -> str:
        return rules.session_state(self.times, now())

    def get_state_display(self) -> str:
        return str(self.State(self.state).label)
