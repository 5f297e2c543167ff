"""The item bank: items, their immutable versions, review comments, image assets and import jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aigcert.catalog.api import ItemType
from aigcert.core.api import BaseModel, DomainError


class Item(BaseModel):
    """A question in the bank. Its content lives in versions; the item tracks the review state."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted for review")
        RETURNED = "returned", _("Returned to author")
        APPROVED = "approved", _("Approved")
        RETIRED = "retired", _("Retired")

    class Usage(models.TextChoices):
        ANY = "any", _("Mock exams, practice and formal exams")
        FORMAL = "formal", _("Formal exams only")
        PRACTICE = "practice", _("Mock exams and practice only")

    program = models.ForeignKey("catalog.Program", verbose_name=_("program"), on_delete=models.PROTECT,
                                related_name="+")
    item_type = models.CharField(_("item type"), max_length=20, choices=ItemType.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    # The version being written or reviewed, and the newest approved one (what papers may use).
    head = models.ForeignKey("ItemVersion", verbose_name=_("current version"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    live = models.ForeignKey("ItemVersion", verbose_name=_("approved version"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    # Mock results show keys and explanations, so an item kept secret for formal exams must stay out of them.
    usage = models.CharField(_("used in"), max_length=20, choices=Usage.choices, default=Usage.ANY)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    retired_reason = models.CharField(_("reason for retiring"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["-id"]
        indexes = [models.Index(fields=["program", "item_type", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_item_type_display()}"


class ItemVersion(BaseModel):
    """One state of an item's content. Once approved it never changes: papers and responses point at it."""

    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    stem = models.TextField(_("stem"))
    stem_text = models.TextField(_("stem as plain text"), blank=True)
    fingerprint = models.CharField(_("stem fingerprint"), max_length=40, db_index=True)
    explanation = models.TextField(_("explanation"), blank=True)
    points = models.DecimalField(_("points"), max_digits=7, decimal_places=2)
    difficulty = models.PositiveSmallIntegerField(_("difficulty"), default=3)
    source = models.CharField(_("source"), max_length=200, blank=True)
    content = models.JSONField(_("type-specific content"), default=dict)
    standards = models.ManyToManyField("catalog.StandardItem", verbose_name=_("competencies"), blank=True,
                                       related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("written by"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("item version")
        verbose_name_plural = _("item versions")
        ordering = ["item", "number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="item_version_number_unique"),
            models.CheckConstraint(condition=models.Q(difficulty__gte=1, difficulty__lte=5),
                                   name="item_version_difficulty_1_5"),
            models.CheckConstraint(condition=models.Q(points__gt=0), name="item_version_points_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.item_id} v{self.number}"

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._frozen = instance.approved_at is not None
        return instance

    def save(self, *args, **kwargs):
        # The guarantee papers rely on, enforced where every write passes.
        if getattr(self, "_frozen", False):
            raise DomainError(_("An approved version cannot be changed; edit the item to make a new version."))
        super().save(*args, **kwargs)


class ReviewComment(models.Model):
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.CASCADE, related_name="comments")
    version = models.ForeignKey(ItemVersion, verbose_name=_("version"), on_delete=models.CASCADE,
                                related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True,
                               on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("review comment")
        verbose_name_plural = _("review comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:60]


class Asset(models.Model):
    """An image used in items, stored once by content hash; its URL never changes."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    extension = models.CharField(_("extension"), max_length=10)
    content_type = models.CharField(_("content type"), max_length=60)
    size = models.PositiveIntegerField(_("size (bytes)"))
    file = models.FileField(_("file"), upload_to="itembank/")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("image")
        verbose_name_plural = _("images")

    def __str__(self) -> str:
        return self.filename

    @property
    def filename(self) -> str:
        return f"{self.sha256}.{self.extension}"


class ImportJob(BaseModel):
    """An uploaded spreadsheet on its way into the bank: checked in full first, then written all at once."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        INVALID = "invalid", _("Problems found; nothing imported")
        READY = "ready", _("Checked; ready to import")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed; nothing imported")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"),
                                   on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(_("file name"), max_length=200)
    program_code = models.CharField(_("program"), max_length=60, blank=True)
    file = models.FileField(_("file"), upload_to="itembank/imports/")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.CHECKING)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    duplicates = models.JSONField(_("possible duplicates"), default=list, blank=True)
    imported = models.PositiveIntegerField(_("items imported"), default=0)
    skip_duplicates = models.BooleanField(_("skip possible duplicates"), default=False)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def percent(self) -> int:
        if self.status in (self.Status.DONE, self.Status.READY, self.Status.INVALID):
            return 100
        return int(self.processed_rows * 100 / self.total_rows) if self.total_rows else 0
