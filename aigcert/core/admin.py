from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from aigcert.core.models import AuditEvent
from aigcert.core.readonly_admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "target_type", "target_id"]
    list_filter = ["action", "target_type"]
    search_fields = ["action", "target_id"]
    date_hierarchy = "at"


admin.site.site_header = _("aigcert administration")
admin.site.site_title = _("aigcert administration")
admin.site.index_title = _("Back office")
