"""Results of formal sessions: one row per candidate and session, hidden from the candidate until released."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aigcert.core.api import BaseModel


class SessionResults(BaseModel):
    """A session's results as a whole: when they are due out, whether they are ready, and their release."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting for scoring and marking")
        READY = "ready", _("Ready, not released")
        RELEASED = "released", _("Results released")

    session_code = models.CharField(_("session"), max_length=40, unique=True)
    program_code = models.SlugField(_("program"), max_length=60)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.WAITING)
    release_at = models.DateTimeField(_("release due"))
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("released by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    release_reason = models.TextField(_("reason for an early release"), max_length=2000, blank=True)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("session results")
        verbose_name_plural = _("session results")
        ordering = ["-release_at"]

    def __str__(self) -> str:
        return f"{self.session_code}: {self.state}"


class Result(BaseModel):
    """One candidate's result of one session: the total, by section and by standard area, and the pass."""

    session = models.ForeignKey(SessionResults, verbose_name=_("session"), on_delete=models.PROTECT,
                                related_name="results")
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("candidate"), on_delete=models.PROTECT,
                                  related_name="+")
    program_code = models.SlugField(_("program"), max_length=60)
    attempt_code = models.CharField(_("attempt"), max_length=40, unique=True)
    enrolment_code = models.CharField(_("enrolment"), max_length=40, blank=True)
    total = models.DecimalField(_("total"), max_digits=7, decimal_places=2)
    maximum = models.DecimalField(_("maximum"), max_digits=7, decimal_places=2)
    pass_line = models.DecimalField(_("pass line"), max_digits=7, decimal_places=2)
    passed = models.BooleanField(_("passed"))
    sections = models.JSONField(_("by section"), default=list)  # [{"code", "awarded", "maximum"}]
    areas = models.JSONField(_("by standard area"), default=list)
    reported_at = models.DateTimeField(_("reported to enrolment at"), null=True, blank=True)

    class Meta:
        verbose_name = _("result")
        verbose_name_plural = _("results")
        ordering = ["session", "candidate"]
        constraints = [models.UniqueConstraint(fields=["session", "candidate"], name="result_one_per_session")]

    def __str__(self) -> str:
        return f"{self.attempt_code}: {self.total}/{self.maximum}"
