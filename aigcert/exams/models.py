from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aigcert.core.api import BaseModel, Translated, UnicodeJSONEncoder, now
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


class Blueprint(BaseModel):
    """How a program's papers are built: sections by item type (count × points), area coverage, a difficulty
    mix and an exposure cap. Mock and formal exams each have their own."""

    class Mode(models.TextChoices):
        MOCK = "mock", _("Mock exam")
        FORMAL = "formal", _("Formal exam")

    class Layout(models.TextChoices):
        ONE_PER_PAGE = "one_per_page", _("One item per page")
        ALL_ON_ONE = "all_on_one", _("All items on one page")

    class PaperMode(models.TextChoices):
        SHARED = "shared", _("One shared paper")
        FORMS = "forms", _("Parallel forms")
        PER_CANDIDATE = "per_candidate", _("A fresh paper per candidate")

    program_code = models.SlugField(_("program code"), max_length=60, db_index=True)
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices)
    name = models.CharField(_("name"), max_length=120)
    layout = models.CharField(_("layout"), max_length=20, choices=Layout.choices, default=Layout.ONE_PER_PAGE)
    paper_mode = models.CharField(_("papers"), max_length=20, choices=PaperMode.choices,
                                  default=PaperMode.PER_CANDIDATE)
    forms_count = models.PositiveSmallIntegerField(_("number of forms"), default=1)
    # [{"item_type": "single_choice", "count": 40, "points": "1"}, …]
    sections = models.JSONField(_("sections"), default=list)
    # [{"area_code": "A1", "min_items": 10, "max_items": 30}, …]
    areas = models.JSONField(_("area coverage"), default=list, blank=True)
    # {"3": "0.5", …}: difficulty level → share of items
    difficulty_mix = models.JSONField(_("difficulty mix"), default=dict, blank=True)
    exposure_cap = models.DecimalField(_("exposure cap"), max_digits=4, decimal_places=3, null=True, blank=True)
    shuffle_items = models.BooleanField(_("shuffle items"), default=True)
    shuffle_options = models.BooleanField(_("shuffle options"), default=True)
    active = models.BooleanField(_("in use"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("blueprint")
        verbose_name_plural = _("blueprints")
        ordering = ["program_code", "mode", "-created_at"]
        constraints = [
            # Blueprints are append-only: saving a new one switches the previous one off (exams.blueprints).
            models.UniqueConstraint(fields=["program_code", "mode"], condition=Q(active=True),
                                    name="blueprint_one_active_per_program_mode"),
        ]

    def __str__(self) -> str:
        return self.name


class Paper(BaseModel):
    """A frozen paper: delivery-safe payloads of item versions, in order, with the seed that drew them. Keys,
    rubrics and explanations are not in it; they stay in the item bank."""

    blueprint = models.ForeignKey(Blueprint, verbose_name=_("blueprint"), on_delete=models.PROTECT,
                                  related_name="papers")
    session = models.ForeignKey(Session, verbose_name=_("session"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="papers")
    form_number = models.PositiveIntegerField(_("form"), default=1)
    seed = models.BigIntegerField(_("seed"))
    # [{"slot": "q1", "version_id": 12, "item_type": "...", "area_code": "A1", "points": "1"}, …]; each version's
    # payload is frozen once in PayloadSnapshot and shared by every paper that uses it.
    items = models.JSONField(_("items"), encoder=UnicodeJSONEncoder)
    total_points = models.DecimalField(_("total points"), max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = _("paper")
        verbose_name_plural = _("papers")
        ordering = ["blueprint", "form_number"]
        constraints = [
            # A session's papers are numbered 1..N once: a repeated or concurrent pre-assembly can't double them.
            models.UniqueConstraint(fields=["session", "form_number"], condition=Q(session__isnull=False),
                                    name="paper_unique_form_per_session"),
        ]

    def __str__(self) -> str:
        return f"{self.blueprint} #{self.form_number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("a paper is frozen once created")
        super().save(*args, **kwargs)


class PaperBatch(BaseModel):
    """One run of pre-assembling a formal session's papers in the background, with its progress. Papers already
    frozen stay when a run fails; the next run adds only the missing ones."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Preparing papers")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    session = models.ForeignKey(Session, verbose_name=_("session"), on_delete=models.PROTECT,
                                related_name="paper_batches")
    blueprint = models.ForeignKey(Blueprint, verbose_name=_("blueprint"), on_delete=models.PROTECT,
                                  related_name="+")
    papers_before = models.PositiveIntegerField(_("papers before"), default=0)
    requested = models.PositiveIntegerField(_("papers to add"))
    done = models.PositiveIntegerField(_("papers added"), default=0)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(_("reasons"), blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("paper batch")
        verbose_name_plural = _("paper batches")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["session"], condition=Q(status__in=["queued", "running"]),
                                    name="paper_batch_one_live_per_session"),
        ]

    def __str__(self) -> str:
        return f"{self.session} +{self.requested}"

    @property
    def live(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE or not self.requested:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, int(self.done * 100 / self.requested))

    @property
    def reasons(self) -> list[str]:
        return [line for line in self.error.splitlines() if line.strip()]


class PayloadSnapshot(models.Model):
    """The delivery-safe payload of an approved item version, taken once. Approved versions never change, so the
    papers that use a version share this copy instead of each carrying its own (5,000 papers of 100 items would
    otherwise store the same payloads 100,000 times)."""

    version_id = models.PositiveBigIntegerField(_("item version"), primary_key=True)
    payload = models.JSONField(_("payload"), encoder=UnicodeJSONEncoder)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("frozen item payload")
        verbose_name_plural = _("frozen item payloads")

    def __str__(self) -> str:
        return f"v{self.version_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("a payload snapshot is frozen once created")
        super().save(*args, **kwargs)
