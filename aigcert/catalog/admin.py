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


class FeeScheduleInline(admin.StackedInline):
    model = FeeSchedule
    extra = 0


class ExamPolicyInline(admin.StackedInline):
    model = ExamPolicy
    extra = 0


class PrerequisiteInline(admin.TabularInline):
    model = Prerequisite
    fk_name = "program"
    extra = 0


class StandardAreaInline(admin.TabularInline):
    model = StandardArea
    extra = 0


class ChapterInline(admin.TabularInline):
    model = Chapter
    extra = 0


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "order"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(Direction)
class DirectionAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "order"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "series", "direction", "level_zh", "status", "order"]
    list_filter = ["series", "direction", "status"]
    search_fields = ["code", "name_zh", "name_en"]
    inlines = [FeeScheduleInline, ExamPolicyInline, PrerequisiteInline, StandardAreaInline, ChapterInline]


@admin.register(FeeSchedule)
class FeeScheduleAdmin(admin.ModelAdmin):
    list_display = ["program", "total_fen", "deposit_fen", "balance_fen", "retake_fee_fen", "free_retakes",
                    "assumed"]
    list_filter = ["assumed"]


class SittingInline(admin.TabularInline):
    model = Sitting
    extra = 0


@admin.register(ExamPolicy)
class ExamPolicyAdmin(admin.ModelAdmin):
    list_display = ["program", "duration_minutes", "total_score", "pass_mark", "results_delay_days"]
    inlines = [SittingInline]


@admin.register(Prerequisite)
class PrerequisiteAdmin(admin.ModelAdmin):
    list_display = ["program", "kind", "required_program", "min_work_years"]
    list_filter = ["kind"]


class StandardItemInline(admin.TabularInline):
    model = StandardItem
    extra = 0
    fields = ["code", "text_zh", "text_en", "order"]


class ProgramScopedChildrenMixin:
    """Inline children (items of an area, lessons of a chapter) carry their parent's program."""

    def save_formset(self, request, form, formset, change):
        for obj in formset.save(commit=False):
            obj.program = form.instance.program
            obj.save()
        for obj in formset.deleted_objects:
            obj.delete()


@admin.register(StandardArea)
class StandardAreaAdmin(ProgramScopedChildrenMixin, admin.ModelAdmin):
    list_display = ["program", "code", "title_zh", "order"]
    list_filter = ["program"]
    inlines = [StandardItemInline]


@admin.register(StandardItem)
class StandardItemAdmin(admin.ModelAdmin):
    list_display = ["program", "area", "code", "text_zh"]
    list_filter = ["program"]
    search_fields = ["code", "text_zh", "text_en"]


class LessonInline(admin.TabularInline):
    model = Lesson
    extra = 0
    fields = ["code", "title_zh", "title_en", "order"]


@admin.register(Chapter)
class ChapterAdmin(ProgramScopedChildrenMixin, admin.ModelAdmin):
    list_display = ["program", "code", "part_zh", "title_zh", "order"]
    list_filter = ["program"]
    inlines = [LessonInline]


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["program", "chapter", "code", "title_zh"]
    list_filter = ["program"]
    search_fields = ["code", "title_zh", "title_en"]
