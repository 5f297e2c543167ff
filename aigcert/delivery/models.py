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
        TERMINATED = "terminated", _("Ended by the proctor")

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
    # Formal sittings: a paused attempt takes no saves and is not closed by the server; resuming moves the
    # deadline by the length of the pause.
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    extra_minutes = models.PositiveIntegerField(_("extra time (minutes)"), default=0)
    # What the server saw when the attempt was last opened, to record changes as integrity events.
    client_ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    client_agent = models.CharField(_("browser"), max_length=300, blank=True)
    login_hash = models.CharField(_("login"), max_length=64, blank=True)

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


class SessionDesk(BaseModel):
    """A formal session's exam-day settings and its proctors. Created from the program's policy the first time
    anyone looks; the exam admin can change approval, stagger and latest entry per session."""

    session = models.OneToOneField("exams.Session", verbose_name=_("session"), on_delete=models.PROTECT,
                                   related_name="+")
    approval_required = models.BooleanField(_("proctor approves each check-in"), default=False)
    stagger_seconds = models.PositiveIntegerField(_("unlock spread (seconds)"), default=0)
    latest_entry_minutes = models.PositiveIntegerField(_("latest entry (minutes after the start)"), default=15)
    check_in_opens_minutes = models.PositiveIntegerField(_("check-in opens (minutes before the start)"),
                                                         default=30)
    proctors = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("proctors"), blank=True,
                                      related_name="+")

    class Meta:
        verbose_name = _("session desk")
        verbose_name_plural = _("session desks")

    def __str__(self) -> str:
        return str(self.session)


class CheckIn(BaseModel):
    """A booked candidate who confirmed their identity for a session. Everything the start needs is fixed here,
    so that the start itself is one read and one insert (see examday.formal_start)."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting for the proctor")
        APPROVED = "approved", _("Admitted")
        REFUSED = "refused", _("Not admitted")

    session = models.ForeignKey("exams.Session", verbose_name=_("session"), on_delete=models.PROTECT,
                                related_name="+")
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("candidate"), on_delete=models.PROTECT,
                                  related_name="+")
    program_code = models.SlugField(_("program"), max_length=60)
    ticket_number = models.CharField(_("ticket number"), max_length=20)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    paper = models.ForeignKey("exams.Paper", verbose_name=_("paper"), on_delete=models.PROTECT, related_name="+")
    # The candidate's order of items and options, fixed at check-in so the waiting room can hold the paper sealed
    # in that order before the unlock (null: checked in before seeds existed; the start then draws one).
    seed = models.BigIntegerField(_("shuffle seed"), null=True, blank=True)
    # The order that seed gives, as the attempt will hold it: the start copies it in SQL instead of working it out
    # and encoding it again in the unlock minute (null: checked in before it was kept; the start works it out).
    order = models.JSONField(_("presentation order"), null=True, blank=True)
    unlock_at = models.DateTimeField(_("unlocks at"))
    entry_closes_at = models.DateTimeField(_("latest entry"))
    deadline_at = models.DateTimeField(_("deadline"))
    extra_minutes = models.PositiveIntegerField(_("extra time (minutes)"), default=0)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    client_ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    client_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["session", "candidate"], name="checkin_one_per_session")]

    def __str__(self) -> str:
        return self.ticket_number


class IntegrityEvent(models.Model):
    """Evidence for the proctor: something the player reported or the server noticed. Never a verdict."""

    class Kind(models.TextChoices):
        FOCUS_LOST = "focus_lost", _("Left the exam window")
        VISIBILITY_HIDDEN = "visibility_hidden", _("Exam page hidden")
        FULLSCREEN_EXIT = "fullscreen_exit", _("Left full screen")
        PASTE = "paste", _("Pasted into an answer")
        SECOND_LOGIN = "second_login", _("Opened from a second login")
        IP_CHANGED = "ip_changed", _("IP address changed")
        UA_CHANGED = "ua_changed", _("Browser changed")

    attempt = models.ForeignKey(Attempt, verbose_name=_("attempt"), on_delete=models.CASCADE,
                                related_name="integrity_events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    detail = models.JSONField(_("details"), default=dict, blank=True)
    client_at = models.DateTimeField(_("time on the candidate's device"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("integrity event")
        verbose_name_plural = _("integrity events")
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["attempt", "kind"])]

    def __str__(self) -> str:
        return f"{self.attempt_id}:{self.kind}"


class ProctorAction(BaseModel):
    """Every decision a proctor or exam admin takes on exam day, with its reason (also in the audit log)."""

    class Kind(models.TextChoices):
        APPROVE = "approve", _("Admitted the check-in")
        REFUSE = "refuse", _("Refused the check-in")
        PAUSE = "pause", _("Paused the exam")
        RESUME = "resume", _("Resumed the exam")
        EXTEND = "extend", _("Added extra time")
        TERMINATE = "terminate", _("Ended the exam")
        INCIDENT = "incident", _("Incident report")

    session = models.ForeignKey("exams.Session", verbose_name=_("session"), on_delete=models.PROTECT,
                                related_name="+")
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("candidate"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT,
                              related_name="+")
    kind = models.CharField(_("action"), max_length=20, choices=Kind.choices)
    reason = models.TextField(_("reason"), max_length=4000)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("proctor action")
        verbose_name_plural = _("proctor actions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.created_at:%H:%M}"
