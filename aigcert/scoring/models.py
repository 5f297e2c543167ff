"""Scores of closed attempts, item by item, and each candidate's wrong-answer notebook."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aigcert.core.api import BaseModel


class AttemptScore(BaseModel):
    """The objective score of one closed attempt. Items people mark stay open (``awarded`` empty) until they do."""

    class State(models.TextChoices):
        PENDING = "pending", _("Being scored")
        SCORED = "scored", _("Scored")

    attempt = models.OneToOneField("delivery.Attempt", verbose_name=_("attempt"), on_delete=models.PROTECT,
                                   related_name="+")
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("candidate"), on_delete=models.PROTECT,
                                  related_name="+")
    program_code = models.SlugField(_("program"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    objective_points = models.DecimalField(_("objective points"), max_digits=7, decimal_places=2, default=0)
    objective_max = models.DecimalField(_("objective maximum"), max_digits=7, decimal_places=2, default=0)
    paper_max = models.DecimalField(_("paper maximum"), max_digits=7, decimal_places=2, default=0)
    unscored_items = models.PositiveIntegerField(_("items left to people"), default=0)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)
    # Formal sittings are scored in bulk, one row per attempt: slot → points earned ("1.50"), null where people
    # mark it or the judge hasn't run yet. (Mocks keep ItemScore rows for the candidate's review page.)
    session_code = models.CharField(_("session"), max_length=40, blank=True, db_index=True)
    slots = models.JSONField(_("points per item"), default=dict, blank=True)

    class Meta:
        verbose_name = _("attempt score")
        verbose_name_plural = _("attempt scores")
        indexes = [models.Index(fields=["candidate", "program_code", "kind"])]

    def __str__(self) -> str:
        return f"{self.attempt_id}: {self.objective_points}/{self.paper_max}"


class ItemScore(models.Model):
    score = models.ForeignKey(AttemptScore, verbose_name=_("attempt score"), on_delete=models.CASCADE,
                              related_name="items")
    slot = models.CharField(_("item"), max_length=16)
    version_id = models.PositiveBigIntegerField(_("item version"))
    item_type = models.CharField(_("item type"), max_length=20)
    area_code = models.CharField(_("area"), max_length=20, blank=True)
    max_points = models.DecimalField(_("maximum"), max_digits=7, decimal_places=2)
    awarded = models.DecimalField(_("points"), max_digits=7, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("item score")
        verbose_name_plural = _("item scores")
        constraints = [models.UniqueConstraint(fields=["score", "slot"], name="item_score_one_per_slot")]

    def __str__(self) -> str:
        return f"{self.slot}: {self.awarded}/{self.max_points}"


class NotebookEntry(BaseModel):
    """An item a candidate got wrong in a mock exam (错题本), kept until they answer it right on a retry."""

    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("candidate"), on_delete=models.CASCADE,
                                  related_name="+")
    program_code = models.SlugField(_("program"), max_length=60)
    version_id = models.PositiveBigIntegerField(_("item version"))
    area_code = models.CharField(_("area"), max_length=20, blank=True)
    last_answer = models.JSONField(_("last wrong answer"), null=True, blank=True)
    wrong_count = models.PositiveIntegerField(_("times wrong"), default=0)
    retries = models.PositiveIntegerField(_("retries"), default=0)
    last_wrong_at = models.DateTimeField(_("last wrong at"))
    mastered_at = models.DateTimeField(_("answered right at"), null=True, blank=True)

    class Meta:
        verbose_name = _("wrong-answer notebook entry")
        verbose_name_plural = _("wrong-answer notebook entries")
        ordering = ["-last_wrong_at"]
        constraints = [models.UniqueConstraint(fields=["candidate", "version_id"], name="notebook_one_per_item")]

    def __str__(self) -> str:
        return f"{self.candidate_id}: {self.version_id}"


class SessionScoring(BaseModel):
    """The scoring of one formal session: queued after the session closes, claimed by one worker at a time."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Scoring")
        JUDGING = "judging", _("Judging programs")
        DONE = "done", _("Scored")
        FAILED = "failed", _("Scoring failed")

    session_code = models.CharField(_("session"), max_length=40, unique=True)
    program_code = models.SlugField(_("program"), max_length=60)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts_total = models.PositiveIntegerField(_("attempts in the session"), default=0)
    attempts_scored = models.PositiveIntegerField(_("attempts scored"), default=0)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    # Key corrections applied so far: {"old version id": corrected version id}; a later run scores with them too.
    overrides = models.JSONField(_("corrected versions"), default=dict, blank=True)
    # Set once the answers people mark are ready for them (objective items scored, prompt tasks run): marking
    # starts then, without waiting for the judge.
    marking_ready_at = models.DateTimeField(_("ready for marking at"), null=True, blank=True)
    # Set when the results are released: from then on only a re-check changes a score, never a re-scoring.
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)

    class Meta:
        verbose_name = _("session scoring")
        verbose_name_plural = _("session scorings")

    def __str__(self) -> str:
        return f"{self.session_code}: {self.state}"


class MachineRun(BaseModel):
    """Work a machine does on one response after the exam: judging a program, or running a prompt task once."""

    class Kind(models.TextChoices):
        JUDGE = "judge", _("Program judge")
        PROMPT = "prompt", _("Prompt run")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        UNAVAILABLE = "unavailable", _("Could not run")

    score = models.ForeignKey(AttemptScore, verbose_name=_("attempt score"), on_delete=models.CASCADE,
                              related_name="machine_runs")
    session_code = models.CharField(_("session"), max_length=40, db_index=True)
    slot = models.CharField(_("item"), max_length=16)
    version_id = models.PositiveBigIntegerField(_("item version"))
    slot_points = models.DecimalField(_("maximum"), max_digits=7, decimal_places=2)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.PENDING)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    result = models.JSONField(_("outcome"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("machine run")
        verbose_name_plural = _("machine runs")
        constraints = [models.UniqueConstraint(fields=["score", "slot", "kind"], name="machine_run_one_per_slot")]
        indexes = [models.Index(fields=["session_code", "state"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.score_id}:{self.slot} {self.state}"


class Rescore(BaseModel):
    """A re-scoring of a session after a key correction: what was swapped, who did it, and whom it changed."""

    session_code = models.CharField(_("session"), max_length=40, db_index=True)
    versions = models.JSONField(_("versions replaced"))  # {"old id": new id}
    reason = models.TextField(_("reason"), max_length=2000)
    changes = models.JSONField(_("changes"))  # [{"attempt", "candidate", "before", "after"}]
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT,
                              related_name="+")

    class Meta:
        verbose_name = _("re-scoring")
        verbose_name_plural = _("re-scorings")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.session_code} {self.created_at:%Y-%m-%d %H:%M}"
