"""Forms only gather input; the services check it (choices included), so every refusal reads the same wherever it
comes from."""

from django import forms
from django.utils.translation import gettext_lazy as _

from aigcert.talent.models import TalentProfile
from aigcert.talent.policy import region_choices, talent_policy


class ProfileForm(forms.Form):
    region = forms.CharField(label=_("Region"), widget=forms.Select)
    name_shown = forms.CharField(label=_("Name shown to employers"),
                                 widget=forms.RadioSelect(choices=TalentProfile.NameShown.choices))
    bio = forms.CharField(label=_("Short introduction"), required=False, strip=False,
                          widget=forms.Textarea(attrs={"rows": 5}))
    link_1 = forms.CharField(label=_("Portfolio link 1"), required=False, widget=forms.URLInput)
    link_2 = forms.CharField(label=_("Portfolio link 2"), required=False, widget=forms.URLInput)
    link_3 = forms.CharField(label=_("Portfolio link 3"), required=False, widget=forms.URLInput)
    consent = forms.BooleanField(label=_("I agree to the text above."), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget.choices = [("", "—"), *region_choices()]
        self.fields["bio"].widget.attrs["maxlength"] = talent_policy().bio_max_chars
        self.fields["bio"].help_text = _("Plain text, at most %(n)s characters. Don't write your phone number or "
                                         "e-mail here: share them in a reply if you wish.") % {
                                             "n": talent_policy().bio_max_chars}
        for name in ("link_1", "link_2", "link_3"):
            self.fields[name].widget.attrs["placeholder"] = "https://"


class EmployerApplyForm(forms.Form):
    organization_name = forms.CharField(label=_("Organization name"), max_length=200)
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=40,
                                  help_text=_("The 18 characters on the business licence."))
    contact_person = forms.CharField(label=_("Contact person"), max_length=100)


class ContactForm(forms.Form):
    position_title = forms.CharField(label=_("Position"), max_length=200)
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["message"].widget.attrs["maxlength"] = talent_policy().message_max_chars


class AnswerForm(forms.Form):
    reply = forms.CharField(label=_("Reply (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                            help_text=_("The employer sees only what you write here: add a phone number or e-mail "
                                        "address only if you want them to have it."))


class ReviewForm(forms.Form):
    reason = forms.CharField(label=_("Reason (for a rejection)"), required=False, max_length=300)


class SearchForm(forms.Form):
    program = forms.CharField(label=_("Program"), required=False, widget=forms.Select)
    level = forms.CharField(label=_("Level"), required=False, widget=forms.Select)
    direction = forms.CharField(label=_("Direction"), required=False, widget=forms.Select)
    region = forms.CharField(label=_("Region"), required=False, widget=forms.Select)
    skills = forms.MultipleChoiceField(label=_("Skills"), required=False)

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        anything = [("", _("Any"))]
        self.fields["program"].widget.choices = anything + choices.programs
        self.fields["level"].widget.choices = anything + choices.levels
        self.fields["direction"].widget.choices = anything + choices.directions
        self.fields["region"].widget.choices = anything + region_choices()
        self.fields["skills"].choices = [(g.program_name, g.options) for g in choices.skills]
        self.fields["skills"].widget.attrs["size"] = 8
