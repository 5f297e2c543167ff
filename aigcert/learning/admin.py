from django.contrib import admin
from django.db import models

from aigcert.learning import services
from aigcert.learning.models import LessonFile, LessonPage, LessonQuestion, TutorAssignment, VideoHost


class LessonFileInline(admin.TabularInline):
    model = LessonFile
    extra = 0
    fields = ("kind", "title", "file", "size")
    readonly_fields = ("size",)


@admin.register(LessonPage)
class LessonPageAdmin(admin.ModelAdmin):
    list_display = ("program_code", "lesson_code", "preview", "revision", "updated_at", "updated_by")
    list_filter = ("program_code", "preview")
    search_fields = ("lesson_code", "body_md")
    fields = ("program_code", "lesson_code", "preview", "body_md", "video", "video_embed_url")
    inlines = [LessonFileInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # embeds must be https anyway

    def get_readonly_fields(self, request, obj=None):
        return ("program_code", "lesson_code") if obj else ()

    def save_model(self, request, obj, form, change):
        # Through the service: the HTML is rendered and sanitized, the change audited, the tutor's index refreshed.
        saved = services.lesson_page_save(actor=request.user, program_code=obj.program_code,
                                          lesson_code=obj.lesson_code, body_md=obj.body_md, preview=obj.preview,
                                          video_embed_url=obj.video_embed_url,
                                          video=form.cleaned_data.get("video") if "video" in form.changed_data
                                          else None)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        for record in formset.save(commit=False):
            record.size = record.file.size if record.file else 0
            record.save()
        for record in formset.deleted_objects:
            record.delete()


@admin.register(VideoHost)
class VideoHostAdmin(admin.ModelAdmin):
    list_display = ("host", "note")


@admin.register(TutorAssignment)
class TutorAssignmentAdmin(admin.ModelAdmin):
    list_display = ("tutor", "program_code")
    list_filter = ("program_code",)


@admin.register(LessonQuestion)
class LessonQuestionAdmin(admin.ModelAdmin):
    list_display = ("program_code", "lesson_code", "state", "created_at", "answered_by")
    list_filter = ("state", "program_code")
    readonly_fields = ("candidate", "program_code", "lesson_code", "text", "state", "answer", "answered_by",
                       "answered_at")
