from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from aigcert.core.api import ReadOnlyAdmin
from aigcert.itembank.models import Asset, ImportJob, Item, ItemVersion, ReviewComment
from aigcert.itembank.services import items_retire


class VersionInline(admin.TabularInline):
    model = ItemVersion
    fields = ("number", "stem_text", "points", "difficulty", "created_by", "approved_at", "approved_by")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class CommentInline(admin.TabularInline):
    model = ReviewComment
    fields = ("version", "author", "body", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    """Content changes go through the staff pages (versions, review); the admin reads, and can retire."""

    list_display = ("id", "item_type", "program", "status", "usage", "head", "live", "created_by", "updated_at")
    list_filter = ("status", "usage", "item_type", "program")
    search_fields = ("head__stem_text", "code")
    readonly_fields = ("code", "program", "item_type", "status", "head", "live", "created_by", "retired_at",
                       "retired_reason", "created_at", "updated_at")
    inlines = [VersionInline, CommentInline]
    actions = ["retire_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Retire selected items"))
    def retire_selected(self, request, queryset):
        count = items_retire(actor=request.user, item_codes=[str(c) for c in queryset.values_list("code", flat=True)],
                             reason=str(_("Retired in the back office")))
        self.message_user(request, _("%(count)s items retired.") % {"count": count})


@admin.register(ItemVersion)
class ItemVersionAdmin(ReadOnlyAdmin):
    list_display = ("item", "number", "points", "difficulty", "approved_at")
    search_fields = ("stem_text",)
    readonly_fields = [f.name for f in ItemVersion._meta.fields] + ["standards"]


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ("sha256", "extension", "size", "created_by", "created_at")
    readonly_fields = ("sha256", "extension", "content_type", "size", "file", "created_by", "created_at")

    def has_add_permission(self, request):
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("filename", "created_by", "status", "total_rows", "imported", "created_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

