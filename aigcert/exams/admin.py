from django.contrib import admin

from aigcert.exams.models import Session


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["program_code", "start_at", "sitting_code", "capacity", "booking_closes_at", "cancelled_at"]
    list_filter = ["program_code", "sitting_code"]
    date_hierarchy = "start_at"
    # Cancelling moves candidates: it is done on the staff sessions page, never by editing the row here.
    readonly_fields = ["cancelled_at", "cancel_reason", "replacement", "created_by"]
