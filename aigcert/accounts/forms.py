from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _

from aigcert.accounts import rules, throttle
from aigcert.accounts.models import IdType, Profile, User
from aigcert.accounts.services import PROFILE_FIELDS, identifier_taken_message
from aigcert.accounts.tasks import password_reset_email_send


class SignUpForm(forms.Form):
    identifier = forms.CharField(
        label=_("Mobile number or email"),
        max_length=254,
        help_text=_("A mainland China mobile number (11 digits) or an email address."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Confirm password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    accept_terms = forms.BooleanField(
        label=_("I have read and agree to the terms of service and the privacy policy"),
        error_messages={"required": _("You must agree to the terms of service to sign up.")},
    )

    def clean_identifier(self):
        found = rules.classify_identifier(self.cleaned_data["identifier"])
        if found is None:
            raise forms.ValidationError(_("Enter a valid mainland China mobile number or email address."))
        kind, value = found
        if User.objects.filter(**{kind: value}).exists():
            raise forms.ValidationError(identifier_taken_message(kind))
        self.identifier_kind = kind
        return value

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords do not match."))
        if password1:
            kind = getattr(self, "identifier_kind", None)
            probe = User(**{kind: cleaned["identifier"]}) if kind else User()
            try:
                password_validation.validate_password(password1, probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Mobile number or email"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": _("The mobile number/email or the password is wrong."),
        "inactive": _("This account is disabled."),
        "throttled": _("Too many failed attempts. Wait %(minutes)s minutes, or reset your password."),
    }

    def clean(self):
        identifier = self.cleaned_data.get("username") or ""
        ip = throttle.client_ip(self.request)
        if throttle.login_blocked(identifier, ip):
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": settings.LOGIN_FAILURE_WINDOW_SECONDS // 60},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.login_failed(identifier, ip)
            raise
        throttle.login_succeeded(identifier, ip)
        return cleaned


class QueuedPasswordResetForm(PasswordResetForm):
    """Queue one reset email per matching account; the worker makes the token and sends it."""

    def save(self, domain_override=None, use_https=False, request=None, **kwargs):
        domain = domain_override or (request.get_host() if request else "localhost")
        for user in self.get_users(self.cleaned_data["email"]):
            password_reset_email_send.enqueue(user_id=user.pk, domain=domain, use_https=use_https)


class WriteOnlyTextInput(forms.TextInput):
    """A text box that never sends its value back to the browser (not even after a validation error)."""

    def format_value(self, value):
        return None


class ProfileForm(forms.ModelForm):
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=32,
        required=False,
        widget=WriteOnlyTextInput(attrs={"autocomplete": "off"}),
    )

    photo = forms.ImageField(
        label=_("ID photo (optional)"), required=False,
        help_text=_("A recent passport-style photo, JPG or PNG, at most 2 MB. It is printed on your admission ticket."),
    )

    class Meta:
        model = Profile
        fields = list(PROFILE_FIELDS)

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if not photo or photo == self.instance.photo:
            return None
        if photo.size > 2 << 20:
            raise forms.ValidationError(_("The photo is larger than 2 MB."))
        if getattr(photo, "image", None) is not None and photo.image.format not in ("JPEG", "PNG"):
            raise forms.ValidationError(_("Upload a JPG or PNG photo."))
        return photo

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The stored number never travels back to the browser; the owner sees it masked.
        stored = self.instance.id_number if self.instance and self.instance.pk else ""
        if stored:
            self.fields["id_number"].help_text = _("On file: %(masked)s. Leave empty to keep it.") % {
                "masked": rules.mask_id_number(stored)
            }
        self.fields["legal_name"].required = True
        self.fields["id_type"].choices = IdType.choices

    def clean_id_number(self):
        value = (self.cleaned_data.get("id_number") or "").strip().upper().replace(" ", "")
        if not value:
            if not (self.instance and self.instance.id_number):
                raise forms.ValidationError(_("Enter your ID number."))
            return ""
        id_type = self.cleaned_data.get("id_type") or IdType.RESIDENT_ID
        if not rules.id_number_is_valid(id_type, value):
            raise forms.ValidationError(_("This is not a valid number for the chosen ID type."))
        return value

    def clean_recipient_phone(self):
        value = (self.cleaned_data.get("recipient_phone") or "").strip()
        if value and rules.normalize_phone(value) is None:
            raise forms.ValidationError(_("Enter a valid mainland China mobile number."))
        return rules.normalize_phone(value) or ""

    def clean_postal_code(self):
        value = (self.cleaned_data.get("postal_code") or "").strip()
        if value and not (len(value) == 6 and value.isdigit()):
            raise forms.ValidationError(_("A postal code has 6 digits."))
        return value
