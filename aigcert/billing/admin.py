from django.contrib import admin

from aigcert.billing.models import InvoiceRequest, LedgerEntry, Order, OrderLine, Payment, Refund, Voucher
from aigcert.core.api import ReadOnlyAdmin


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


# Money records change only through billing's services, which post to the ledger and audit.
@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "user", "purpose", "program_code", "total_fen", "status", "paid_with", "created_at"]
    list_filter = ["status", "purpose", "paid_with"]
    search_fields = ["number", "subject"]
    inlines = [OrderLineInline]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["order", "provider", "provider_ref", "amount_fen", "status", "duplicate", "created_at"]
    list_filter = ["provider", "status", "duplicate"]
    search_fields = ["provider_ref", "order__number"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["payment", "amount_fen", "status", "reason", "created_at"]
    list_filter = ["status"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "posting", "account", "amount_fen", "order", "memo"]
    list_filter = ["account"]


@admin.register(Voucher)
class VoucherAdmin(ReadOnlyAdmin):
    list_display = ["code_text", "program_code", "organization", "value_fen", "expires_at", "redeemed_at"]
    list_filter = ["program_code", "organization"]
    search_fields = ["code_text"]


@admin.register(InvoiceRequest)
class InvoiceRequestAdmin(admin.ModelAdmin):
    list_display = ["order", "kind", "title", "tax_id", "email", "issued_at"]
    readonly_fields = ["order", "kind", "title", "tax_id", "email"]
