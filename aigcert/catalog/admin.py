from django.contrib import admin

from aigcert.catalog.models import (
    Chapter,
    Direction,
    ExamPolicy,
    FeeSchedule,
    Lesson,
    Prerequisite,
    Program,
    Series,
    Sitting,
    StandardArea,
    StandardItem,
)


class ReadOnlyAdmin:
    """The catalog data file is the source of truth (ADR 0004): the back office shows the rows, it doesn't edit
    them, so no price or rule changes without a file change and an audited load."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FeeScheduleInline(ReadOnlyAdmin, admin.StackedInline):
    model = FeeSchedule
    extra = 0


class ExamPolicyInline(ReadOnlyAdmin, admin.StackedInline):
    model = ExamPolicy
    extra = 0


class PrerequisiteInline(ReadOnlyAdmin, admin.TabularInline):
    model = Prerequisite
    fk_name = "program"
    extra = 0


class StandardAreaInline(ReadOnlyAdmin, admin.TabularInline):
    model = StandardArea
    extra = 0


class ChapterInline(ReadOnlyAdmin, admin.TabularInline):
    model = Chapter
    extra = 0


@admin.register(Series)
class SeriesAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "order"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(Direction)
class DirectionAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "order"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(Program)
class ProgramAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["code", "name_zh", "series", "direction", "level_zh", "status", "order"]
    list_filter = ["series", "direction", "status"]
    search_fields = ["code", "name_zh", "name_en"]
    inlines = [FeeScheduleInline, ExamPolicyInline, PrerequisiteInline, StandardAreaInline, ChapterInline]


@admin.register(FeeSchedule)
class FeeScheduleAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["program", "total_fen", "deposit_fen", "balance_fen", "retake_fee_fen", "free_retakes",
                    "assumed"]
    list_filter = ["assumed"]


class SittingInline(ReadOnlyAdmin, admin.TabularInline):
    model = Sitting
    extra = 0


@admin.register(ExamPolicy)
class ExamPolicyAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["program", "duration_minutes", "total_score", "pass_mark", "results_delay_days"]
    inlines = [SittingInline]


@admin.register(Prerequisite)
class PrerequisiteAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["program", "kind", "required_program", "min_work_years"]
    list_filter = ["kind"]


class StandardItemInline(ReadOnlyAdmin, admin.TabularInline):
    model = StandardItem
    extra = 0
    fields = ["code", "text_zh", "text_en", "order"]


@admin.register(StandardArea)
class StandardAreaAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["program", "code", "title_zh", "order"]
    list_filter = ["program"]
    inlines = [StandardItemInline]


@admin.register(StandardItem)
class StandardItemAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["program", "area", "code", "text_zh"]
    list_filter = ["program"]
    search_fields = ["code", "text_zh", "text_en"]


class LessonInline(ReadOnlyAdmin, admin.TabularInline):
    model = Lesson
    extra = 0
    fields = ["code", "title_zh", "title_en", "area_codes", "order"]


@admin.register(Chapter)
class ChapterAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["program", "code", "part_zh", "title_zh", "order"]
    list_filter = ["program"]
    inlines = [LessonInline]


@admin.register(Lesson)
class LessonAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["program", "chapter", "code", "title_zh", "area_codes"]
    list_filter = ["program"]
    search_fields = ["code", "title_zh", "title_en"]
