from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aigcert.core.api import BaseModel, TimestampedModel, UnicodeJSONEncoder


class IssuerKey(TimestampedModel):
    """An Ed25519 key the platform signs credentials with. Its did:key is the issuer's identifier on the credentials
    it signed, so they verify from the credential alone; retired keys stay for verifying what they signed, withdrawn
    ones verify nothing."""

    did = models.CharField(_("DID"), max_length=120, unique=True)
    public_key_multibase = models.CharField(_("public key (multibase)"), max_length=80)
    # Fernet-encrypted with a key derived from SECRET_KEY, so a database dump alone cannot sign (ADR 0021).
    secret_key_sealed = models.TextField(_("sealed secret key"))
    active = models.BooleanField(_("signs new credentials"), default=False)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    # Withdrawn: no longer trusted at all (its secret leaked or may have), so what it signed stops verifying and is
    # signed again with the active key.
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("reason for withdrawal"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("issuer key")
        verbose_name_plural = _("issuer keys")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["active"], condition=models.Q(active=True),
                                               name="one_active_issuer_key")]

    def __str__(self) -> str:
        return self.did


class SerialCounter(models.Model):
    """The next serial of a number prefix and year: locked and bumped in the issuing transaction, so two offices
    issuing at once never get the same number."""

    prefix = models.CharField(_("prefix"), max_length=8)
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last serial"), default=0)

    class Meta:
        verbose_name = _("serial counter")
        verbose_name_plural = _("serial counters")
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="one_counter_per_prefix_year")]

    def __str__(self) -> str:
        return f"{self.prefix}{self.year}: {self.last}"


class StatusList(TimestampedModel):
    """A Bitstring Status List (revocation): the positions of revoked credentials, served signed at its URL."""

    purpose = models.CharField(_("status purpose"), max_length=20, default="revocation")
    length = models.PositiveIntegerField(_("entries"))
    allocated = models.PositiveIntegerField(_("entries allocated"), default=0)
    # The signed BitstringStatusListCredential as served; re-signed in the transaction that revokes.
    credential = models.JSONField(_("signed list"), default=dict, encoder=UnicodeJSONEncoder, blank=True)

    class Meta:
        verbose_name = _("status list")
        verbose_name_plural = _("status lists")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.purpose} #{self.pk}"


class Certificate(BaseModel):
    class State(models.TextChoices):
        PENDING = "pending", _("Pending issue")
        ISSUED = "issued", _("Issued")
        PRINTED = "printed", _("Printed")
        MAILED = "mailed", _("Mailed")
        DELIVERED = "delivered", _("Delivered")
        REVOKED = "revoked", _("Revoked")
        REPLACED = "replaced", _("Replaced")

    class NameShown(models.TextChoices):
        MASKED = "masked", _("Partly masked (张*三)")
        FULL = "full", _("In full")

    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("holder"), on_delete=models.PROTECT,
                                  related_name="certificates")
    enrolment_code = models.CharField(_("enrolment"), max_length=40, db_index=True)
    program_code = models.SlugField(_("program code"), max_length=60, db_index=True)
    session_code = models.CharField(_("exam session"), max_length=60, blank=True, db_index=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING, db_index=True)
    number = models.CharField(_("certificate number"), max_length=24, unique=True, null=True, blank=True)
    verification_code = models.CharField(_("verification code"), max_length=24, unique=True, null=True, blank=True)
    legal_name = models.CharField(_("legal name"), max_length=60)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    score_band = models.CharField(_("score band"), max_length=20, blank=True)
    pass_notice_on = models.DateField(_("pass notice"))
    issued_on = models.DateField(_("issue date"), null=True, blank=True)
    printed_at = models.DateTimeField(_("printed at"), null=True, blank=True)
    mailed_at = models.DateTimeField(_("mailed at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    carrier = models.CharField(_("carrier"), max_length=30, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True)
    mailing_address = models.TextField(_("mailing address"), blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason"), max_length=300, blank=True)
    replaces = models.OneToOneField("self", verbose_name=_("replaces"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="replaced_by")
    status_list = models.ForeignKey(StatusList, verbose_name=_("status list"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    status_index = models.PositiveIntegerField(_("status list index"), null=True, blank=True)
    credential = models.JSONField(_("signed credential"), default=dict, encoder=UnicodeJSONEncoder, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="certificates/%Y/%m/", blank=True)
    # What the public verification page shows besides program, number, date and status (the holder decides).
    public_name = models.CharField(_("name on the public page"), max_length=10, choices=NameShown.choices,
                                   default=NameShown.MASKED)
    public_score_band = models.BooleanField(_("show the score band publicly"), default=False)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["status_list", "status_index"], name="one_certificate_per_status_entry"),
            # One live certificate per enrolment: a reissue first marks the old one replaced.
            models.UniqueConstraint(fields=["enrolment_code"], name="one_live_certificate_per_enrolment",
                                    condition=~models.Q(state__in=["replaced"])),
        ]
        indexes = [models.Index(fields=["state", "pass_notice_on"])]

    def __str__(self) -> str:
        return self.number or f"({self.get_state_display()}) {self.legal_name}"


class PdfBatch(BaseModel):
    """The PDFs of one exam session's certificates, made by a background task that reports its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Stopped by an error")

    session_code = models.CharField(_("exam session"), max_length=60)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(_("certificates"), default=0)
    done = models.PositiveIntegerField(_("made"), default=0)
    error = models.TextField(_("error"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("PDF batch")
        verbose_name_plural = _("PDF batches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.session_code} {self.done}/{self.total}"
