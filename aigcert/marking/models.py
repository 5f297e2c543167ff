"""Marking by item (按题阅卷): each subjective item of a session is a queue of blind scripts, each script marked
independently by two markers, a third when they disagree, and the chief marker when the three still don't."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aigcert.catalog.api import ItemType
from aigcert.core.api import BaseModel
from aigcert.marking import rules


class MarkingItem(BaseModel):
    """One item version of one session as the markers see it: its stem, its rubric, its queue of scripts."""

    session_code = models.CharField(_("session"), max_length=40, db_index=True)
    program_code = models.SlugField(_("program"), max_length=60)
    version_id = models.PositiveBigIntegerField(_("item version"))
    item_code = models.CharField(_("item"), max_length=40)
    item_type = models.CharField(_("item type"), max_length=20)
    stem_html = models.TextField(_("stem"))
    stem_text = models.TextField(_("stem as plain text"), blank=True)
    rubric = models.JSONField(_("rubric"))  # [{"name", "levels": [{"label", "points", "description"}]}]
    max_points = models.DecimalField(_("item points"), max_digits=7, decimal_places=2)
    tolerance = models.DecimalField(_("tolerance"), max_digits=7, decimal_places=2)
    step = models.DecimalField(_("score step"), max_digits=4, decimal_places=2)
    final_rule = models.CharField(_("final mark of an agreeing pair"), max_length=10,
                                  choices=[(r, r) for r in rules.FINAL_RULES], default=rules.MEAN)

    class Meta:
        verbose_name = _("item to mark")
        verbose_name_plural = _("items to mark")
        constraints = [models.UniqueConstraint(fields=["session_code", "version_id"],
                                               name="marking_item_one_per_version")]

    def __str__(self) -> str:
        return f"{self.session_code} · {self.item_code}"

    @property
    def type_label(self) -> str:
        return str(ItemType(self.item_type).label)

    @property
    def label(self) -> str:
        """How markers tell items apart: the start of the question (the item's code means nothing to them)."""
        text = " ".join(self.stem_text.split())
        return (text[:28] + "…") if len(text) > 28 else (text or self.item_code[:8])


class Script(BaseModel):
    """One candidate's answer to one item, known to markers only by its label. Gold scripts are answers with
    known scores that the chief marker mixes into the queue to check markers."""

    class State(models.TextChoices):
        DOUBLE = rules.DOUBLE, _("Double marking")
        THIRD = rules.THIRD, _("Third marking")
        CHIEF = rules.CHIEF, _("Arbitration")
        DONE = rules.DONE, _("Marked")

    item = models.ForeignKey(MarkingItem, verbose_name=_("item"), on_delete=models.CASCADE, related_name="scripts")
    label = models.CharField(_("script number"), max_length=16, unique=True)
    # Who wrote it: never shown to markers; results and re-checks need it.
    attempt_pk = models.PositiveBigIntegerField(_("attempt"), null=True, blank=True)
    attempt_code = models.CharField(_("attempt"), max_length=40, blank=True, db_index=True)
    candidate_id = models.PositiveBigIntegerField(_("candidate"), null=True, blank=True)
    slot = models.CharField(_("slot"), max_length=16, blank=True)
    slot_points = models.DecimalField(_("points in the paper"), max_digits=7, decimal_places=2, null=True,
                                      blank=True)
    answer = models.JSONField(_("answer"))  # {"text"} or {"upload": {...}} plus {"prompt_output", "prompt_note"}
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DOUBLE)
    wanted = models.PositiveSmallIntegerField(_("marks wanted"), default=2)
    reason = models.CharField(_("reason"), max_length=20, blank=True)
    final_total = models.DecimalField(_("final mark"), max_digits=7, decimal_places=2, null=True, blank=True)
    final_criteria = models.JSONField(_("final mark per criterion"), null=True, blank=True)
    finalized_at = models.DateTimeField(_("final at"), null=True, blank=True)
    is_gold = models.BooleanField(_("gold script"), default=False)
    gold_criteria = models.JSONField(_("known scores"), null=True, blank=True)
    gold_total = models.DecimalField(_("known total"), max_digits=7, decimal_places=2, null=True, blank=True)
    # The AI check, hidden from markers: its suggestion, and whether the answer addresses the grader.
    ai = models.JSONField(_("AI suggestion"), null=True, blank=True)
    ai_checked = models.BooleanField(_("sent to another marker by the AI check"), default=False)
    # The AI check is queued and hasn't answered: the session isn't marked until it has (or failed).
    ai_pending = models.BooleanField(_("AI check pending"), default=False)
    injection = models.BooleanField(_("addresses the grader"), default=False)
    injection_signals = models.JSONField(_("signals"), default=list, blank=True)

    class Meta:
        verbose_name = _("script")
        verbose_name_plural = _("scripts")
        ordering = ["pk"]
        indexes = [models.Index(fields=["item", "state"])]
        constraints = [models.UniqueConstraint(fields=["item", "attempt_code"], condition=Q(is_gold=False),
                                               name="script_one_per_attempt_item")]

    def __str__(self) -> str:
        return self.label


class Mark(BaseModel):
    """One marker's mark of one script: taken (locked to them until it expires), then submitted."""

    class Round(models.TextChoices):
        FIRST = "first", _("First marking")
        SECOND = "second", _("Second marking")
        THIRD = "third", _("Third marking")
        CHIEF = "chief", _("Arbitration")
        GOLD = "gold", _("Gold script")
        RECHECK = "recheck", _("Re-check")

    class State(models.TextChoices):
        TAKEN = "taken", _("Being marked")
        SUBMITTED = "submitted", _("Mark submitted")
        RELEASED = "released", _("Returned to the queue")

    script = models.ForeignKey(Script, verbose_name=_("script"), on_delete=models.CASCADE, related_name="marks")
    marker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("marker"), on_delete=models.PROTECT,
                               related_name="+")
    round = models.CharField(_("round"), max_length=10, choices=Round.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.TAKEN)
    expires_at = models.DateTimeField(_("held until"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    criteria = models.JSONField(_("scores"), default=list, blank=True)  # [{"name", "points", "comment"}]
    total = models.DecimalField(_("total"), max_digits=7, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("mark")
        verbose_name_plural = _("marks")
        ordering = ["pk"]
        constraints = [
            # Independence: nobody marks the same script twice in the blind rounds.
            models.UniqueConstraint(fields=["script", "marker"],
                                    condition=Q(state__in=["taken", "submitted"],
                                                round__in=["first", "second", "third", "gold"]),
                                    name="mark_one_per_marker_and_script"),
        ]
        indexes = [models.Index(fields=["marker", "state"])]

    def __str__(self) -> str:
        return f"{self.script} · {self.round}"


class MarkerStop(BaseModel):
    """The chief marker stopped a marker for a session (drifting from gold or from peers). Lifted, not deleted."""

    session_code = models.CharField(_("session"), max_length=40)
    marker = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("marker"), on_delete=models.PROTECT,
                               related_name="+")
    reason = models.TextField(_("reason"), max_length=2000)
    stopped_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("stopped by"),
                                   on_delete=models.PROTECT, related_name="+")
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stopped marker")
        verbose_name_plural = _("stopped markers")

    def __str__(self) -> str:
        return f"{self.session_code}: {self.marker_id}"


class Recheck(BaseModel):
    """A candidate's request to re-check (复核) the subjective items of a released result."""

    class State(models.TextChoices):
        OPEN = "open", _("Being re-checked")
        RESOLVED = "resolved", _("Resolved")

    class Outcome(models.TextChoices):
        UNCHANGED = "unchanged", _("Score unchanged")
        CORRECTED = "corrected", _("Score corrected")

    session_code = models.CharField(_("session"), max_length=40, db_index=True)
    attempt_code = models.CharField(_("attempt"), max_length=40, db_index=True)
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("candidate"), on_delete=models.PROTECT,
                                  related_name="+")
    reason = models.TextField(_("why the candidate asks"), max_length=2000)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    resolution = models.TextField(_("reason for the outcome"), max_length=2000, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("resolved by"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    changes = models.JSONField(_("changes"), default=list, blank=True)  # [{"script", "before", "after"}]

    class Meta:
        verbose_name = _("re-check")
        verbose_name_plural = _("re-checks")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["attempt_code"], condition=Q(state="open"),
                                               name="recheck_one_open_per_attempt")]

    def __str__(self) -> str:
        return f"{self.attempt_code}: {self.state}"
