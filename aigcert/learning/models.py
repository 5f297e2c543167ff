"""Course content on top of the catalog's syllabus, and what each candidate has done with it.

The syllabus (chapters, lessons, titles) stays in the catalog's data file; a LessonPage adds the teaching material
to one of its lessons. Rows point at programs and lessons by code, as the catalog's data file names them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aigcert.core.api import BaseModel, TimestampedModel


class LessonPage(BaseModel):
    """The material of one syllabus lesson: Markdown, an optional video, files; staff edit it."""

    program_code = models.SlugField(_("program"), max_length=60)
    lesson_code = models.CharField(_("lesson"), max_length=20)
    body_md = models.TextField(_("text (Markdown)"), blank=True)
    # Rendered and sanitized once on save, so a page view never parses Markdown.
    body_html = models.TextField(_("text (HTML)"), blank=True, editable=False)
    preview = models.BooleanField(_("free preview"), default=False,
                                  help_text=_("Anyone signed in may read a preview lesson without paying."))
    video = models.FileField(_("video file"), upload_to="learning/videos/%Y/%m/", blank=True)
    video_type = models.CharField(_("video type"), max_length=40, blank=True, editable=False)
    video_embed_url = models.URLField(_("video embed address"), blank=True,
                                      help_text=_("Only hosts on the allow-list are accepted."))
    revision = models.PositiveIntegerField(_("revision"), default=1)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("last edited by"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("lesson page")
        verbose_name_plural = _("lesson pages")
        constraints = [models.UniqueConstraint(fields=["program_code", "lesson_code"], name="lesson_page_unique")]

    def __str__(self) -> str:
        return f"{self.program_code} {self.lesson_code}"


class LessonFile(BaseModel):
    """An image shown in a lesson's text, or an attachment to download."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        ATTACHMENT = "attachment", _("Attachment")

    page = models.ForeignKey(LessonPage, verbose_name=_("lesson page"), on_delete=models.CASCADE,
                             related_name="files")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.ATTACHMENT)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="learning/files/%Y/%m/")
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    content_type = models.CharField(_("content type"), max_length=40, blank=True)  # of a verified picture

    class Meta:
        verbose_name = _("lesson file")
        verbose_name_plural = _("lesson files")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.title


class VideoHost(models.Model):
    """A host whose embedded videos lessons may show (the staff's allow-list)."""

    host = models.CharField(_("host"), max_length=200, unique=True,
                            help_text=_("For example player.bilibili.com; the address must use https."))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("allowed video host")
        verbose_name_plural = _("allowed video hosts")
        ordering = ["host"]

    def __str__(self) -> str:
        return self.host


class LessonProgress(BaseModel):
    """A candidate's progress through one lesson: opened, completed; the newest opened is where they left off."""

    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("candidate"), on_delete=models.CASCADE,
                                  related_name="+")
    program_code = models.SlugField(_("program"), max_length=60)
    lesson_code = models.CharField(_("lesson"), max_length=20)
    first_opened_at = models.DateTimeField(_("first opened"))
    last_opened_at = models.DateTimeField(_("last opened"), db_index=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")
        constraints = [models.UniqueConstraint(fields=["candidate", "program_code", "lesson_code"],
                                               name="lesson_progress_unique")]

    def __str__(self) -> str:
        return f"{self.candidate_id} {self.program_code} {self.lesson_code}"


class PathPlan(BaseModel):
    """A candidate following a learning path (the roadmap in the data file) from a start date."""

    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("candidate"), on_delete=models.CASCADE,
                                  related_name="+")
    path_code = models.SlugField(_("learning path"), max_length=60)
    start_date = models.DateField(_("start date"))
    # Steps the candidate ticked themselves (steps linked to a lesson are also done when the lesson is).
    ticked = models.JSONField(_("steps ticked"), default=list, blank=True)

    class Meta:
        verbose_name = _("learning plan")
        verbose_name_plural = _("learning plans")
        constraints = [models.UniqueConstraint(fields=["candidate", "path_code"], name="path_plan_unique")]

    def __str__(self) -> str:
        return f"{self.candidate_id} {self.path_code}"


class PracticeSet(BaseModel):
    """A set of practice items drawn for a candidate by chapter or by standard area."""

    class Scope(models.TextChoices):
        CHAPTER = "chapter", _("Chapter")
        AREA = "area", _("Standard area")

    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("candidate"), on_delete=models.CASCADE,
                                  related_name="+")
    program_code = models.SlugField(_("program"), max_length=60)
    scope = models.CharField(_("drawn by"), max_length=20, choices=Scope.choices)
    scope_code = models.CharField(_("chapter or area"), max_length=20)
    version_ids = models.JSONField(_("item versions"), default=list)

    class Meta:
        verbose_name = _("practice set")
        verbose_name_plural = _("practice sets")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.program_code} {self.scope_code} ({self.candidate_id})"


class PracticeAnswer(TimestampedModel):
    practice = models.ForeignKey(PracticeSet, verbose_name=_("practice set"), on_delete=models.CASCADE,
                                 related_name="answers")
    version_id = models.PositiveBigIntegerField(_("item version"))
    value = models.JSONField(_("answer"), null=True)
    right = models.BooleanField(_("right"))

    class Meta:
        verbose_name = _("practice answer")
        verbose_name_plural = _("practice answers")
        constraints = [models.UniqueConstraint(fields=["practice", "version_id"], name="practice_answer_once")]

    def __str__(self) -> str:
        return f"{self.practice_id} {self.version_id}"


class TutorAssignment(models.Model):
    """A human tutor answering the questions of one program's candidates (专业级 and 导师级)."""

    tutor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("tutor"), on_delete=models.CASCADE,
                              related_name="+")
    program_code = models.SlugField(_("program"), max_length=60)

    class Meta:
        verbose_name = _("tutor assignment")
        verbose_name_plural = _("tutor assignments")
        constraints = [models.UniqueConstraint(fields=["tutor", "program_code"], name="tutor_assignment_unique")]

    def __str__(self) -> str:
        return f"{self.tutor_id} {self.program_code}"


class LessonQuestion(BaseModel):
    """A candidate's question on a lesson for the human tutors, and its answer."""

    class State(models.TextChoices):
        OPEN = "open", _("Waiting for a tutor")
        ANSWERED = "answered", _("Answered")

    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("candidate"), on_delete=models.CASCADE,
                                  related_name="+")
    program_code = models.SlugField(_("program"), max_length=60)
    lesson_code = models.CharField(_("lesson"), max_length=20)
    text = models.TextField(_("question"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.OPEN, db_index=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("lesson question")
        verbose_name_plural = _("lesson questions")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.program_code} {self.lesson_code}: {self.text[:40]}"
