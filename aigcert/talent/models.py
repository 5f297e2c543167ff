from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aigcert.core.api import BaseModel
from aigcert.talent import rules


class Employer(BaseModel):
    """An organization's account that asked to search the talent database; only a verified one may."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.CASCADE,
                                related_name="talent_employer")
    organization_name = models.CharField(_("organization name"), max_length=100)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, db_index=True)
    contact_person = models.CharField(_("contact person"), max_length=60)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("employer account")
        verbose_name_plural = _("employer accounts")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.organization_name


class TalentProfile(BaseModel):
    """A certified holder's entry in the talent database. Searchable only while consent stands and they hold a
    certificate; contact details are never stored here."""

    class NameShown(models.TextChoices):
        MASKED = rules.NAME_MASKED, _("Masked (e.g. 张*三)")
        FULL = rules.NAME_FULL, _("Full legal name")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("holder"), on_delete=models.CASCADE,
                                related_name="talent_profile")
    name_shown = models.CharField(_("name shown to employers"), max_length=10, choices=NameShown.choices,
                                  default=NameShown.MASKED)
    # The name as employers see it, worked out when the profile or the holdings change, so search results need no
    # look-up of legal names (whose fallback would be the account's phone or e-mail).
    display_name = models.CharField(_("name shown to employers (as worked out)"), max_length=60, blank=True)
    region = models.CharField(_("region"), max_length=6)
    bio = models.TextField(_("short introduction"), blank=True)
    links = models.JSONField(_("portfolio links"), default=list, blank=True)
    consent_version = models.CharField(_("consent version"), max_length=20, blank=True)
    consented_at = models.DateTimeField(_("consented at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("consent withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("talent profile")
        verbose_name_plural = _("talent profiles")
        indexes = [models.Index(fields=["withdrawn_at", "consented_at"])]

    def __str__(self) -> str:
        return self.display_name or str(self.code)

    @property
    def consent_active(self) -> bool:
        return self.consented_at is not None and self.withdrawn_at is None


class TalentConsent(models.Model):
    """Each time a holder agreed to be listed, to which version of the text, and when they took it back."""

    profile = models.ForeignKey(TalentProfile, verbose_name=_("talent profile"), on_delete=models.CASCADE,
                                related_name="consents")
    version = models.CharField(_("version"), max_length=20)
    given_at = models.DateTimeField(_("given at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("talent consent")
        verbose_name_plural = _("talent consents")
        ordering = ["given_at", "id"]

    def __str__(self) -> str:
        return f"{self.version} {self.given_at:%Y-%m-%d}"


class TalentHolding(models.Model):
    """A program the holder holds a certificate of now, copied from credentials for search (program, level,
    direction). Refreshed when a certificate changes and when the profile is saved."""

    profile = models.ForeignKey(TalentProfile, verbose_name=_("talent profile"), on_delete=models.CASCADE,
                                related_name="holdings")
    program_code = models.SlugField(_("program code"), max_length=60)
    series_code = models.SlugField(_("series code"), max_length=60)
    direction_code = models.SlugField(_("direction code"), max_length=60, blank=True)
    level_rank = models.PositiveSmallIntegerField(_("level rank"))
    issued_on = models.DateField(_("issue date"), null=True, blank=True)

    class Meta:
        verbose_name = _("program held")
        verbose_name_plural = _("programs held")
        ordering = ["-level_rank", "program_code"]
        constraints = [models.UniqueConstraint(fields=["profile", "program_code"], name="talent_holding_once")]
        indexes = [models.Index(fields=["program_code"]), models.Index(fields=["series_code", "level_rank"])]

    def __str__(self) -> str:
        return self.program_code


class TalentSkill(models.Model):
    """A standard item of a program the holder holds, which they chose to show as a skill."""

    profile = models.ForeignKey(TalentProfile, verbose_name=_("talent profile"), on_delete=models.CASCADE,
                                related_name="skills")
    program_code = models.SlugField(_("program code"), max_length=60)
    item_code = models.CharField(_("standard item"), max_length=20)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["program_code", "item_code"]
        constraints = [models.UniqueConstraint(fields=["profile", "program_code", "item_code"],
                                               name="talent_skill_once")]
        indexes = [models.Index(fields=["program_code", "item_code"])]

    def __str__(self) -> str:
        return rules.skill_key(self.program_code, self.item_code)

    @property
    def key(self) -> str:
        return rules.skill_key(self.program_code, self.item_code)


class ContactRequest(BaseModel):
    """An employer asking a holder to get in touch. The holder answers; only what they write in the reply reaches
    the employer."""

    class State(models.TextChoices):
        OPEN = rules.OPEN, _("Waiting for an answer")
        ACCEPTED = rules.ACCEPTED, _("Accepted")
        DECLINED = rules.DECLINED, _("Declined")
        CLOSED = rules.CLOSED, _("Closed: the holder left the talent database")

    employer = models.ForeignKey(Employer, verbose_name=_("employer account"), on_delete=models.CASCADE,
                                 related_name="contact_requests")
    # Emptied when the holder deletes their profile: the employer keeps the fact of their request, nothing of the
    # holder.
    profile = models.ForeignKey(TalentProfile, verbose_name=_("talent profile"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="contact_requests")
    position_title = models.CharField(_("position"), max_length=100)
    message = models.TextField(_("message"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.OPEN, db_index=True)
    reply = models.TextField(_("reply"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact request")
        verbose_name_plural = _("contact requests")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["employer", "profile"], condition=Q(state=rules.OPEN),
                                               name="one_open_request_per_employer_and_holder")]

    def __str__(self) -> str:
        return self.position_title


