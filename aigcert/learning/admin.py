from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from aigcert.core.api import DomainError, audit_record
from aigcert.learning import content, services
from aigcert.learning.models import LessonFile, LessonPage, LessonQuestion, TutorAssignment, VideoHost


class LessonFileInline(admin.TabularInline):
    """Files are added on the lesson's edit page, where pictures are verified; here they can be seen and removed."""

    model = LessonFile
    extra = 0
    fields = ("kind", "title", "file", "size", "content_type")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class LessonPageAdminForm(forms.ModelForm):
    """The service's checks as form errors, so a bad video or embed address is a message, not an error page."""

    video_embed_url = forms.URLField(label=_("video embed address"), required=False, assume_scheme="https",
                                     help_text=_("Only hosts on the allow-list are accepted."))

    class Meta:
        model = LessonPage
        fields = ("program_code", "lesson_code", "preview", "body_md", "video", "video_embed_url")

    def clean_video(self):
        video = self.cleaned_data.get("video")
        if video and "video" in self.changed_data:
            try:
                services.video_type_check(video)
            except DomainError as error:
                raise forms.ValidationError(str(error)) from None
        return video

    def clean_video_embed_url(self):
        url = self.cleaned_data.get("video_embed_url")
        if url and not content.embed_url_allowed(url, services.video_hosts()):
            raise forms.ValidationError(_("Videos may only be embedded from the allowed hosts, over https."))
        return url


@admin.register(LessonPage)
class LessonPageAdmin(admin.ModelAdmin):
    form = LessonPageAdminForm
    list_display = ("program_code", "lesson_code", "preview", "revision", "updated_at", "updated_by")
    list_filter = ("program_code", "preview")
    search_fields = ("lesson_code", "body_md")
    fields = ("program_code", "lesson_code", "preview", "body_md", "video", "video_embed_url")
    inlines = [LessonFileInline]

    def get_readonly_fields(self, request, obj=None):
        return ("program_code", "lesson_code") if obj else ()

    def save_model(self, request, obj, form, change):
        # Through the service: the HTML is rendered and sanitized, the change audited, the tutor's index refreshed.
        upload = form.cleaned_data.get("video") if "video" in form.changed_data else None
        saved = services.lesson_page_save(actor=request.user, program_code=obj.program_code,
                                          lesson_code=obj.lesson_code, body_md=obj.body_md, preview=obj.preview,
                                          video_embed_url=obj.video_embed_url, video=upload or None,
                                          clear_video=upload is False)  # the "clear" box gives False
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)
        for record in formset.deleted_objects:
            audit_record(actor=request.user, action="learning.file_removed", target=record,
                         data={"title": record.title})
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
