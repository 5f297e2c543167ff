from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from aigcert.core.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "target_type", "target_id"]
    list_filter = ["action", "target_type"]
    search_fields = ["action", "target_id"]
    date_hierarchy = "at"

    # The audit trail is evidence: nobody edits or deletes it from the back office.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.site_header = _("aigcert administration")
admin.site.site_title = _("aigcert administration")
admin.site.index_title = _("Back office")
