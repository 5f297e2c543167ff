from django import forms
from django.utils.translation import gettext_lazy as _

from aigcert.learning.models import LessonFile


class LessonEditForm(forms.Form):
    body_md = forms.CharField(label=_("Text (Markdown)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 24, "class": "mono"}),
                              help_text=_("Level-2 headings (## …) start the sections that the tutor cites."))
    preview = forms.BooleanField(label=_("Free preview"), required=False)
    video_embed_url = forms.URLField(label=_("Video embed address"), required=False, assume_scheme="https")
    video = forms.FileField(label=_("Video file"), required=False)
    clear_video = forms.BooleanField(label=_("Remove the video file"), required=False)


class LessonFileForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=LessonFile.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    upload = forms.FileField(label=_("File"))
