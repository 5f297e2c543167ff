from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aigcert.core.api import BaseModel


class Organization(BaseModel):
    """An official partner that registers candidates in bulk and sells at its own prices."""

    slug = models.SlugField(_("short code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("partner organization")
        verbose_name_plural = _("partner organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """Who administers an organization (its staff see its candidates and nothing else)."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE,
                                     related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="org_memberships")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organization admin")
        verbose_name_plural = _("organization admins")
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="org_membership_unique")]

    def __str__(self) -> str:
        return f"{self.organization} · {self.user}"


class Price(models.Model):
    """The organization's own price for one program; the official fee schedule is only guidance for it."""

    organization = models.ForeignKey(Organization, verbose_name=_("organization"), on_delete=models.CASCADE,
                                     related_name="prices")
    program_code = models.SlugField(_("program code"), max_length=60)
    deposit_fen = models.PositiveIntegerField(_("deposit (fen)"))
    balance_fen = models.PositiveIntegerField(_("balance (fen)"))
    retake_fee_fen = models.PositiveIntegerField(_("retake fee (fen)"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("organization price")
        verbose_name_plural = _("organization prices")
        constraints = [
            models.UniqueConstraint(fields=["organization", "program_code"], name="org_price_unique"),
            models.CheckConstraint(condition=Q(deposit_fen__lte=2_000_000_000) & Q(balance_fen__lte=2_000_000_000),
                                   name="org_price_bounded"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.program_code}"
