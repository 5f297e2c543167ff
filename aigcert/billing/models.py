from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aigcert.billing import rules
from aigcert.core.api import BaseModel


class Purpose(models.TextChoices):
    DEPOSIT = rules.DEPOSIT, _("Deposit")
    BALANCE = rules.BALANCE, _("Balance")
    RETAKE = rules.RETAKE, _("Retake fee")
    VOUCHER_BATCH = rules.VOUCHER_BATCH, _("Prepaid seat codes")


class Provider(models.TextChoices):
    OFFLINE = "offline", _("Bank transfer")
    VOUCHER = "voucher", _("Prepaid seat code")
    ALIPAY = "alipay", _("Alipay")
    WECHAT = "wechat", _("WeChat Pay")
    NONE = "none", _("No payment needed")


class Order(BaseModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")
        REFUNDED = "refunded", _("Refunded")

    number = models.CharField(_("order number"), max_length=20, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("buyer"), on_delete=models.PROTECT,
                             related_name="orders")
    organization = models.ForeignKey("orgs.Organization", verbose_name=_("organization"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="orders")
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    program_code = models.SlugField(_("program code"), max_length=60)
    # What the order pays for, in the words of the app that asked for it (an enrolment's public id).
    subject = models.CharField(_("paid for"), max_length=80, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    total_fen = models.PositiveIntegerField(_("total (fen)"))
    expires_at = models.DateTimeField(_("pay before"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_with = models.CharField(_("paid with"), max_length=20, choices=Provider.choices, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(_("description"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_fen = models.PositiveIntegerField(_("unit price (fen)"))
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    price_source = models.CharField(_("price from"), max_length=60)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [models.CheckConstraint(condition=Q(amount_fen=models.F("unit_fen") * models.F("quantity")),
                                              name="order_line_amount")]

    def __str__(self) -> str:
        return self.description


class Payment(BaseModel):
    class Status(models.TextChoices):
        CAPTURED = "captured", _("Received")
        REFUNDED = "refunded", _("Refunded")

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(_("provider"), max_length=20, choices=Provider.choices)
    # The provider's own id for the money movement: what makes a repeated notification harmless.
    provider_ref = models.CharField(_("provider reference"), max_length=80)
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.CAPTURED)
    duplicate = models.BooleanField(_("duplicate payment"), default=False)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    raw = models.JSONField(_("provider data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [models.UniqueConstraint(fields=["provider", "provider_ref"], name="payment_provider_ref")]

    def __str__(self) -> str:
        return f"{self.order} · {self.provider} {self.provider_ref}"


class Refund(BaseModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("To be paid back")
        COMPLETED = "completed", _("Paid back")

    payment = models.OneToOneField(Payment, verbose_name=_("payment"), on_delete=models.PROTECT,
                                   related_name="refund")
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("completed by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")

    def __str__(self) -> str:
        return f"{self.payment} · {self.amount_fen}"


class LedgerEntry(models.Model):
    """Double entry: the entries of one posting (same `posting`) sum to zero, so the whole ledger does too."""

    posting = models.UUIDField(_("posting"), db_index=True)
    account = models.CharField(_("account"), max_length=60, db_index=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    order = models.ForeignKey(Order, verbose_name=_("order"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="ledger_entries")
    memo = models.CharField(_("memo"), max_length=120)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.account} {self.amount_fen}"


class Voucher(BaseModel):
    """A prepaid seat code: pays one deposit for one program, once, before it expires."""

    code_text = models.CharField(_("code"), max_length=19, unique=True)
    program_code = models.SlugField(_("program code"), max_length=60)
    organization = models.ForeignKey("orgs.Organization", verbose_name=_("organization"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="vouchers")
    batch_order = models.ForeignKey(Order, verbose_name=_("bought with"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="vouchers_bought")
    value_fen = models.PositiveIntegerField(_("value (fen)"))
    expires_at = models.DateTimeField(_("expires at"))
    redeemed_at = models.DateTimeField(_("redeemed at"), null=True, blank=True)
    redeemed_order = models.OneToOneField(Order, verbose_name=_("redeemed for"), null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="voucher_used")

    class Meta:
        verbose_name = _("prepaid seat code")
        verbose_name_plural = _("prepaid seat codes")

    def __str__(self) -> str:
        return self.code_text


class InvoiceRequest(BaseModel):
    """The 发票 details a buyer asks for; finance issues the invoice outside the platform."""

    class Kind(models.TextChoices):
        PERSONAL = "personal", _("Individual")
        COMPANY = "company", _("Company")

    order = models.OneToOneField(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="invoice")
    kind = models.CharField(_("invoice for"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("invoice title (抬头)"), max_length=100)
    tax_id = models.CharField(_("taxpayer ID"), max_length=20, blank=True)
    email = models.EmailField(_("send to e-mail"))
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice request")
        verbose_name_plural = _("invoice requests")

    def __str__(self) -> str:
        return f"{self.order} · {self.title}"
