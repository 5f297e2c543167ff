from django.contrib import admin

from aigcert.core.api import ReadOnlyAdmin
from aigcert.delivery.models import Attempt, Response, Upload


class ResponseInline(admin.TabularInline):
    model = Response
    fields = ("slot", "value", "flagged", "seq", "saved_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    list_display = ("code", "candidate", "program_code", "kind", "number", "state", "started_at", "deadline_at",
                    "closed_at", "answered_count")
    list_filter = ("kind", "state", "program_code")
    search_fields = ("code", "candidate__phone", "candidate__email", "session_code")
    readonly_fields = [f.name for f in Attempt._meta.fields]
    inlines = [ResponseInline]


@admin.register(Upload)
class UploadAdmin(ReadOnlyAdmin):
    list_display = ("name", "attempt", "slot", "size", "created_at")
    readonly_fields = [f.name for f in Upload._meta.fields]
