from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aigcert.core.api import BaseModel
from aigcert.enrolment import rules


class Enrolment(BaseModel):
    """One candidate in one program, from registration to certificate."""

    class State(models.TextChoices):
        REGISTERED = rules.REGISTERED, _("Registered")
        DEPOSIT_PAID = rules.DEPOSIT_PAID, _("Deposit paid")
        BOOKED = rules.BOOKED, _("Booked")
        SAT = rules.SAT, _("Exam taken")
        PASSED = rules.PASSED, _("Passed")
        FAILED = rules.FAILED, _("Failed")
        BALANCE_PAID = rules.BALANCE_PAID, _("Balance paid")
        CERTIFIED = rules.CERTIFIED, _("Certified")
        WITHDRAWN = rules.WITHDRAWN, _("Withdrawn")

    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("candidate"), on_delete=models.PROTECT,
                                  related_name="enrolments")
    program_code = models.SlugField(_("program code"), max_length=60, db_index=True)
    organization = models.ForeignKey("orgs.Organization", verbose_name=_("partner organization"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="enrolments")
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.REGISTERED,
                             db_index=True)
    retakes_used = models.PositiveSmallIntegerField(_("retakes booked"), default=0)
    eligibility_basis = models.CharField(_("eligible by"), max_length=80, blank=True)
    result_score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    result_at = models.DateTimeField(_("result recorded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["candidate", "program_code"], condition=~Q(state=rules.WITHDRAWN),
                                    name="enrolment_one_active_per_program"),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} · {self.program_code}"


class Booking(BaseModel):
    """A seat in a session. Held seats wait for a payment; only confirmed ones get a ticket."""

    class Status(models.TextChoices):
        HELD = "held", _("Held until paid")
        CONFIRMED = "confirmed", _("Confirmed")
        RELEASED = "released", _("Released")

    class Kind(models.TextChoices):
        FIRST = "first", _("First sitting")
        RETAKE = "retake", _("Retake")

    enrolment = models.ForeignKey(Enrolment, verbose_name=_("enrolment"), on_delete=models.PROTECT,
                                  related_name="bookings")
    session = models.ForeignKey("exams.Session", verbose_name=_("session"), on_delete=models.PROTECT,
                                related_name="bookings")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.FIRST)
    held_until = models.DateTimeField(_("held until"), null=True, blank=True)
    order_code = models.CharField(_("paying order"), max_length=40, blank=True)
    ticket_number = models.CharField(_("ticket number"), max_length=20, unique=True)
    released_reason = models.CharField(_("released because"), max_length=40, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one live seat per enrolment: a change releases the old one in the same transaction.
            models.UniqueConstraint(fields=["enrolment"], condition=Q(status__in=["held", "confirmed"]),
                                    name="booking_one_live_per_enrolment"),
        ]

    def __str__(self) -> str:
        return self.ticket_number


class EligibilityClaim(BaseModel):
    """A declaration of years of AIGC work, with proof, that staff approve or reject with a reason."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("candidate"), on_delete=models.CASCADE,
                                  related_name="eligibility_claims")
    program_code = models.SlugField(_("program code"), max_length=60)
    work_years = models.PositiveSmallIntegerField(_("years of AIGC work"))
    employer = models.CharField(_("employer"), max_length=120)
    description = models.TextField(_("what you did"), max_length=2000)
    proof = models.FileField(_("proof"), upload_to="eligibility/%Y/%m/")
    proof_name = models.CharField(_("file name"), max_length=200)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("eligibility claim")
        verbose_name_plural = _("eligibility claims")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.candidate} · {self.program_code} · {self.work_years}"


class CandidateImport(BaseModel):
    """A partner's spreadsheet of candidates: checked in full, then imported all at once or not at all."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Checking")
        FAILED = "failed", _("Refused")
        DONE = "done", _("Imported")

    organization = models.ForeignKey("orgs.Organization", verbose_name=_("organization"), on_delete=models.CASCADE,
                                     related_name="candidate_imports")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"),
                                    on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("file"), upload_to="candidate-imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=200)
    language = models.CharField(_("language"), max_length=10)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows checked"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    created_count = models.PositiveIntegerField(_("candidates registered"), default=0)

    class Meta:
        verbose_name = _("candidate import")
        verbose_name_plural = _("candidate imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name
