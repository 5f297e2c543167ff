"""The tutor's retrieval index (passages it may quote) and its conversations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aigcert.core.api import BaseModel, TimestampedModel


class Passage(models.Model):
    """A piece of text the tutor may quote: a lesson section, a standard item, a practice item's explanation.

    Only these sources are ever written here; formal items, keys, rubrics and papers never are (ADR 0020)."""

    class Source(models.TextChoices):
        LESSON = "lesson", _("Lesson")
        STANDARD = "standard", _("Evaluation standard")
        PRACTICE = "practice", _("Practice question")

    program_code = models.SlugField(_("program"), max_length=60, db_index=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    ref = models.CharField(_("reference"), max_length=60)  # lesson code, standard item code or item version id
    anchor = models.CharField(_("anchor"), max_length=20, blank=True)
    title = models.CharField(_("title"), max_length=300)
    text = models.TextField(_("text"))
    url = models.CharField(_("address"), max_length=300, blank=True)
    tokens = models.TextField(_("segmented text"))  # space-separated jieba tokens: what BM25 ranks

    class Meta:
        verbose_name = _("passage")
        verbose_name_plural = _("passages")
        indexes = [models.Index(fields=["program_code", "source", "ref"])]

    def __str__(self) -> str:
        return f"{self.program_code} {self.title}"


class IndexState(models.Model):
    """A program's index revision: bumped whenever its passages change, so every process rebuilds its copy."""

    program_code = models.SlugField(_("program"), max_length=60, unique=True)
    revision = models.PositiveIntegerField(_("revision"), default=0)
    passages = models.PositiveIntegerField(_("passages"), default=0)
    built_at = models.DateTimeField(_("built at"), null=True, blank=True)

    class Meta:
        verbose_name = _("tutor index")
        verbose_name_plural = _("tutor indexes")

    def __str__(self) -> str:
        return f"{self.program_code} r{self.revision}"


class Conversation(BaseModel):
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("candidate"), on_delete=models.CASCADE,
                                  related_name="+")
    program_code = models.SlugField(_("program"), max_length=60)
    lesson_code = models.CharField(_("lesson"), max_length=20, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    flagged = models.BooleanField(_("flagged for review"), default=False, db_index=True)

    class Meta:
        verbose_name = _("tutor conversation")
        verbose_name_plural = _("tutor conversations")
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title or str(self.code)


class Message(TimestampedModel):
    class Role(models.TextChoices):
        CANDIDATE = "candidate", _("Candidate")
        TUTOR = "tutor", _("AI tutor")

    class Mode(models.TextChoices):
        QUESTION = "question", _("Question")
        QUOTES = "quotes", _("Quoted from the course")
        GENERATED = "generated", _("Written by the language model")
        FALLBACK = "fallback", _("Quoted after a language-model failure")
        REFUSED = "refused", _("Refused")

    class Feedback(models.TextChoices):
        HELPFUL = "helpful", _("Helpful")
        NOT_HELPFUL = "not_helpful", _("Not helpful")

    conversation = models.ForeignKey(Conversation, verbose_name=_("conversation"), on_delete=models.CASCADE,
                                     related_name="messages")
    role = models.CharField(_("from"), max_length=20, choices=Role.choices)
    mode = models.CharField(_("kind"), max_length=20, choices=Mode.choices)
    text = models.TextField(_("text"))
    # [{"n": 1, "title": ..., "url": ..., "source": ...}] the passages an answer cites, in citation order.
    citations = models.JSONField(_("citations"), default=list, blank=True)
    related = models.JSONField(_("related practice"), default=list, blank=True)
    refusal = models.CharField(_("refusal reason"), max_length=40, blank=True)
    feedback = models.CharField(_("feedback"), max_length=20, choices=Feedback.choices, blank=True)
    practice_version = models.PositiveBigIntegerField(_("practice question"), null=True, blank=True)
    llm_error = models.CharField(_("language-model error"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("tutor message")
        verbose_name_plural = _("tutor messages")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.role}: {self.text[:40]}"
