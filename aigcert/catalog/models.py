"""The program catalog. Rows here are loaded from the catalog data file, never typed into code."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from aigcert.catalog.rules import format_fen
from aigcert.core.api import TimestampedModel, Translated


class ItemType(models.TextChoices):
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
    TRUE_FALSE = "true_false", _("True/false")
    FILL_IN = "fill_in", _("Fill in the blank")
    ESSAY = "essay", _("Essay")
    WORK_UPLOAD = "work_upload", _("Work upload")
    PROGRAM = "program", _("Programming")
    PROMPT_TASK = "prompt_task", _("Prompt task")


class Series(TimestampedModel):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    certificate_title_zh = models.CharField(_("certificate title (Chinese)"), max_length=200, blank=True)
    certificate_title_en = models.CharField(_("certificate title (English)"), max_length=200, blank=True)
    issuer_zh = models.CharField(_("issuer (Chinese)"), max_length=200, blank=True)
    issuer_en = models.CharField(_("issuer (English)"), max_length=200, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    name = Translated()
    certificate_title = Translated()
    issuer = Translated()

    class Meta:
        verbose_name = _("series")
        verbose_name_plural = _("series")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name_zh


class Direction(TimestampedModel):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    name = Translated()

    class Meta:
        verbose_name = _("direction")
        verbose_name_plural = _("directions")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name_zh


class Program(TimestampedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open for registration")
        ANNOUNCED = "announced", _("Announced")
        CLOSED = "closed", _("Closed")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    series = models.ForeignKey(Series, verbose_name=_("series"), on_delete=models.PROTECT, related_name="programs")
    direction = models.ForeignKey(
        Direction, verbose_name=_("direction"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="programs",
    )
    level_zh = models.CharField(_("level (Chinese)"), max_length=40)
    level_en = models.CharField(_("level (English)"), max_length=40, blank=True)
    level_rank = models.PositiveSmallIntegerField(_("level rank"), default=1)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    order = models.PositiveIntegerField(_("order"), default=0)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    summary_zh = models.TextField(_("summary (Chinese)"), blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    audience_zh = models.TextField(_("audience (Chinese)"), blank=True)
    audience_en = models.TextField(_("audience (English)"), blank=True)
    source = models.CharField(_("source"), max_length=120, blank=True)
    study_weeks_min = models.PositiveSmallIntegerField(_("study time from (weeks)"), null=True, blank=True)
    study_weeks_max = models.PositiveSmallIntegerField(_("study time to (weeks)"), null=True, blank=True)
    study_time_assumed = models.BooleanField(_("study time is a platform default"), default=False)
    booking_horizon_months = models.PositiveSmallIntegerField(_("book sessions within (months)"), default=1)
    human_tutoring = models.BooleanField(_("human online tutoring"), default=False)
    syllabus_edition_zh = models.CharField(_("syllabus edition (Chinese)"), max_length=120, blank=True)
    syllabus_edition_en = models.CharField(_("syllabus edition (English)"), max_length=120, blank=True)
    certificate_window_min_days = models.PositiveSmallIntegerField(_("certificate issued from (days)"))
    certificate_window_max_days = models.PositiveSmallIntegerField(_("certificate issued by (days)"))
    certificate_window_assumed = models.BooleanField(_("certificate window is a platform default"), default=False)

    name = Translated()
    level = Translated()
    summary = Translated()
    audience = Translated()
    syllabus_edition = Translated()

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(certificate_window_min_days__lte=F("certificate_window_max_days")),
                name="program_certificate_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name_zh

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class FeeSchedule(TimestampedModel):
    """Official prices in integer fen. Total = deposit (首款) + balance (尾款)."""

    program = models.OneToOneField(Program, verbose_name=_("program"), on_delete=models.CASCADE, related_name="fees")
    total_fen = models.PositiveIntegerField(_("total (fen)"))
    deposit_fen = models.PositiveIntegerField(_("deposit (fen)"))
    balance_fen = models.PositiveIntegerField(_("balance (fen)"))
    retake_fee_fen = models.PositiveIntegerField(_("retake fee (fen)"))
    free_retakes = models.PositiveSmallIntegerField(_("free retakes"))
    assumed = models.BooleanField(_("platform default, not an official price"), default=False)
    note_zh = models.TextField(_("note (Chinese)"), blank=True)
    note_en = models.TextField(_("note (English)"), blank=True)

    note = Translated()

    class Meta:
        verbose_name = _("fee schedule")
        verbose_name_plural = _("fee schedules")
        constraints = [
            models.CheckConstraint(
                condition=Q(total_fen=F("deposit_fen") + F("balance_fen")), name="fee_total_is_deposit_plus_balance"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} · ¥{format_fen(self.total_fen)}"


class ExamPolicy(TimestampedModel):
    program = models.OneToOneField(
        Program, verbose_name=_("program"), on_delete=models.CASCADE, related_name="exam_policy"
    )
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    total_score = models.PositiveSmallIntegerField(_("total score"))
    pass_mark = models.PositiveSmallIntegerField(_("pass mark"))
    item_types = models.JSONField(_("allowed item types"), default=list)
    frequency = models.CharField(_("frequency"), max_length=20, default="monthly")
    results_delay_days = models.PositiveSmallIntegerField(_("results visible after (days)"))
    seats_per_sitting = models.PositiveIntegerField(_("seats per sitting"), default=200)
    booking_closes_days_before = models.PositiveSmallIntegerField(_("booking closes (days before)"), default=3)
    ticket_days_before = models.PositiveSmallIntegerField(_("admission ticket available (days before)"), default=7)
    assumed_fields = models.JSONField(_("fields that are platform defaults"), default=list, blank=True)

    class Meta:
        verbose_name = _("exam policy")
        verbose_name_plural = _("exam policies")
        constraints = [
            models.CheckConstraint(condition=Q(pass_mark__lte=F("total_score")), name="exam_pass_mark_within_total"),
        ]

    def __str__(self) -> str:
        return f"{self.program} · {self.duration_minutes}′ · {self.pass_mark}/{self.total_score}"


class Sitting(models.Model):
    """A sitting of an exam day (morning, afternoon) with its default start time."""

    policy = models.ForeignKey(ExamPolicy, verbose_name=_("exam policy"), on_delete=models.CASCADE,
                               related_name="sittings")
    code = models.SlugField(_("code"), max_length=20)
    label_zh = models.CharField(_("label (Chinese)"), max_length=40)
    label_en = models.CharField(_("label (English)"), max_length=40, blank=True)
    start_time = models.TimeField(_("start time"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    label = Translated()

    class Meta:
        verbose_name = _("sitting")
        verbose_name_plural = _("sittings")
        ordering = ["order", "start_time"]
        constraints = [models.UniqueConstraint(fields=["policy", "code"], name="sitting_code_unique")]

    def __str__(self) -> str:
        return f"{self.label_zh} {self.start_time:%H:%M}"


class Prerequisite(models.Model):
    """One way to become eligible; a program with several accepts any one of them."""

    class Kind(models.TextChoices):
        CERTIFICATE = "certificate", _("Holds the certificate of another program")
        WORK_YEARS = "work_years", _("Years of AIGC work experience")

    program = models.ForeignKey(Program, verbose_name=_("program"), on_delete=models.CASCADE,
                                related_name="prerequisites")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    required_program = models.ForeignKey(
        Program, verbose_name=_("required certificate"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    min_work_years = models.PositiveSmallIntegerField(_("minimum years of work"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("prerequisite")
        verbose_name_plural = _("prerequisites")
        ordering = ["order"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="certificate", required_program__isnull=False, min_work_years__isnull=True)
                           | Q(kind="work_years", required_program__isnull=True, min_work_years__isnull=False)),
                name="prerequisite_kind_matches_fields",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.CERTIFICATE:
            return f"{self.program} ← {self.required_program}"
        return f"{self.program} ← {self.min_work_years}y"


class StandardArea(models.Model):
    """A competency area of a program's evaluation standard (评测标准)."""

    program = models.ForeignKey(Program, verbose_name=_("program"), on_delete=models.CASCADE,
                                related_name="standard_areas")
    code = models.CharField(_("code"), max_length=20)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    title = Translated()

    class Meta:
        verbose_name = _("standard area")
        verbose_name_plural = _("standard areas")
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["program", "code"], name="standard_area_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.title_zh}"


class StandardItem(models.Model):
    program = models.ForeignKey(Program, verbose_name=_("program"), on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey(StandardArea, verbose_name=_("area"), on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("code"), max_length=20)
    text_zh = models.TextField(_("text (Chinese)"))
    text_en = models.TextField(_("text (English)"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    text = Translated()

    class Meta:
        verbose_name = _("standard item")
        verbose_name_plural = _("standard items")
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["program", "code"], name="standard_item_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.text_zh[:40]}"


class Chapter(models.Model):
    """A chapter of a program's training syllabus (培训大纲)."""

    program = models.ForeignKey(Program, verbose_name=_("program"), on_delete=models.CASCADE,
                                related_name="chapters")
    code = models.CharField(_("code"), max_length=20)
    part_zh = models.CharField(_("part (Chinese)"), max_length=60, blank=True)
    part_en = models.CharField(_("part (English)"), max_length=60, blank=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    part = Translated()
    title = Translated()

    class Meta:
        verbose_name = _("syllabus chapter")
        verbose_name_plural = _("syllabus chapters")
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["program", "code"], name="chapter_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.title_zh}"


class Lesson(models.Model):
    program = models.ForeignKey(Program, verbose_name=_("program"), on_delete=models.CASCADE, related_name="+")
    chapter = models.ForeignKey(Chapter, verbose_name=_("chapter"), on_delete=models.CASCADE,
                                related_name="lessons")
    code = models.CharField(_("code"), max_length=20)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    # Codes of the program's standard areas (StandardArea.code) the lesson prepares for, in the standard's
    # order; empty when the data file maps it to none.
    area_codes = models.JSONField(_("standard areas"), default=list, blank=True)

    title = Translated()
    description = Translated()

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["order"]
        constraints = [models.UniqueConstraint(fields=["program", "code"], name="lesson_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.title_zh}"
