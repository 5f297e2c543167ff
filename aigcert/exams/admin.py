from django.contrib import admin

from aigcert.core.api import ReadOnlyAdmin
from aigcert.exams.models import Blueprint, Paper, PaperBatch, Session


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["program_code", "start_at", "sitting_code", "capacity", "booking_closes_at", "cancelled_at"]
    list_filter = ["program_code", "sitting_code"]
    date_hierarchy = "start_at"
    # Cancelling moves candidates: it is done on the staff sessions page, never by editing the row here.
    readonly_fields = ["cancelled_at", "cancel_reason", "replacement", "created_by"]


@admin.register(Blueprint)
class BlueprintAdmin(admin.ModelAdmin):
    list_display = ["name", "program_code", "mode", "paper_mode", "active", "created_at"]
    list_filter = ["program_code", "mode", "active"]
    # Sections and coverage are checked against the policy and the bank by exams.blueprints, not here.
    readonly_fields = ["program_code", "mode", "sections", "areas", "difficulty_mix", "exposure_cap", "created_by"]

    def save_model(self, request, obj, form, change):
        # One blueprint per program and mode is in use: switching an older version back on switches the current
        # one off (the admin saves in one transaction).
        if obj.active:
            Blueprint.objects.filter(program_code=obj.program_code, mode=obj.mode, active=True).exclude(
                pk=obj.pk).update(active=False)
        super().save_model(request, obj, form, change)


@admin.register(Paper)
class PaperAdmin(ReadOnlyAdmin):
    list_display = ["blueprint", "form_number", "session", "total_points", "created_at"]
    list_filter = ["blueprint__program_code"]


@admin.register(PaperBatch)
class PaperBatchAdmin(ReadOnlyAdmin):
    # Batches are started on the staff page /staff/exams/sessions/<code>/papers/, never here.
    list_display = ["session", "blueprint", "status", "done", "requested", "created_by", "created_at", "finished_at"]
    list_filter = ["status", "blueprint__program_code"]
    list_select_related = ["session", "blueprint", "created_by"]
