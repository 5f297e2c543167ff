"""Attempts and their responses: the rows the exam hot path writes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aigcert.core.api import BaseModel


class Attempt(BaseModel):
    """One sitting of one paper by one candidate. The deadline is fixed at start and only the server closes an
    attempt late; responses hang off it, one row per item slot."""

    class Kind(models.TextChoices):
        MOCK = "mock", _("Mock exam")
        FORMAL = "formal", _("Formal exam")

    class State(models.TextChoices):
        OPEN = "open", _("In progress")
        SUBMITTED = "submitted", _("Submitted")
        EXPIRED = "expired", _("Closed at the deadline")

    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("candidate"), on_delete=models.PROTECT,
                                  related_name="+")
    program_code = models.SlugField(_("program"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    number = models.PositiveIntegerField(_("attempt number"), default=1)
    paper = models.ForeignKey("exams.Paper", verbose_name=_("paper"), on_delete=models.PROTECT, related_name="+")
    session_code = models.CharField(_("session"), max_length=40, blank=True, db_index=True)
    # The candidate's own order: {"slots": ["q7", "q2", …], "options": {"q7": ["c", "a", "b", "d"], …}}
    seed = models.BigIntegerField(_("shuffle seed"))
    order = models.JSONField(_("presentation order"))
    # What a response may hold, per slot, so that autosave validates without reading the paper:
    # {"q1": ["single_choice", ["a", "b", "c", "d"]], "q5": ["fill_in", 2], "q9": ["essay", null], …}
    schema = models.JSONField(_("response schema"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    started_at = models.DateTimeField(_("started at"))
    deadline_at = models.DateTimeField(_("deadline"), db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by_server = models.BooleanField(_("closed by the server"), default=False)
    submit_key = models.CharField(_("submit key"), max_length=64, blank=True)
    # The device (browser tab) that may save; a newer page load takes over and the old one is told so.
    device = models.CharField(_("current device"), max_length=64, blank=True)
    answered_count = models.PositiveIntegerField(_("items answered"), default=0)
    answers_hash = models.CharField(_("answers hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["-started_at"]
        constraints = [
            # A second start finds the open attempt instead of making another.
            models.UniqueConstraint(fields=["candidate", "program_code", "kind"], condition=Q(state="open"),
                                    name="attempt_one_open_per_kind"),
        ]
        indexes = [models.Index(fields=["state", "deadline_at"]),
                   models.Index(fields=["candidate", "program_code", "kind"])]

    def __str__(self) -> str:
        return f"{self.program_code} {self.kind} #{self.number}"


class Response(models.Model):
    """The latest saved answer to one slot. ``seq`` is the client's sequence number: a write with a lower one
    than what is stored arrived late and is ignored."""

    attempt = models.ForeignKey(Attempt, verbose_name=_("attempt"), on_delete=models.CASCADE,
                                related_name="responses")
    slot = models.CharField(_("item"), max_length=16)
    value = models.JSONField(_("answer"), null=True, blank=True)
    flagged = models.BooleanField(_("flagged for review"), default=False)
    seq = models.BigIntegerField(_("sequence number"))
    saved_at = models.DateTimeField(_("saved at"))

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [models.UniqueConstraint(fields=["attempt", "slot"], name="response_one_per_slot")]

    def __str__(self) -> str:
        return f"{self.attempt_id}:{self.slot}"


class Upload(BaseModel):
    """A file a candidate handed in for a work item. The response of the slot points at the newest one."""

    attempt = models.ForeignKey(Attempt, verbose_name=_("attempt"), on_delete=models.CASCADE,
                                related_name="uploads")
    slot = models.CharField(_("item"), max_length=16)
    file = models.FileField(_("file"), upload_to="delivery/uploads/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("uploaded work")
        verbose_name_plural = _("uploaded works")

    def __str__(self) -> str:
        return self.name
