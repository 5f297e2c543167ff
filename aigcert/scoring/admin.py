from django.contrib import admin

from aigcert.core.api import ReadOnlyAdmin
from aigcert.scoring.models import AttemptScore, ItemScore, NotebookEntry


class ItemScoreInline(admin.TabularInline):
    model = ItemScore
    fields = ("slot", "version_id", "item_type", "area_code", "max_points", "awarded")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AttemptScore)
class AttemptScoreAdmin(ReadOnlyAdmin):
    list_display = ("attempt", "candidate", "program_code", "kind", "state", "objective_points", "paper_max",
                    "scored_at")
    list_filter = ("kind", "state", "program_code")
    readonly_fields = [f.name for f in AttemptScore._meta.fields]
    inlines = [ItemScoreInline]


@admin.register(NotebookEntry)
class NotebookEntryAdmin(ReadOnlyAdmin):
    list_display = ("candidate", "program_code", "version_id", "wrong_count", "retries", "last_wrong_at",
                    "mastered_at")
    readonly_fields = [f.name for f in NotebookEntry._meta.fields]
