from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.decorators.http import require_http_methods, require_POST

from aigcert.accounts import services
from aigcert.accounts.forms import LoginForm, ProfileForm, QueuedPasswordResetForm, SignUpForm
from aigcert.accounts.selectors import profile_of
from aigcert.core.api import DomainError


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("portal:center")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_sign_up(
                identifier=form.cleaned_data["identifier"],
                password=form.cleaned_data["password1"],
                language=get_language(),
            )
        except DomainError as error:
            form.add_error(error.field or None, str(error.message))
        else:
            login(request, user, backend="aigcert.accounts.backends.PhoneOrEmailBackend")
            messages.success(request, _("Welcome! Your account has been created."))
            return redirect("portal:center")
    return render(request, "accounts/signup.html", {"form": form})


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordResetView(auth_views.PasswordResetView):
    form_class = QueuedPasswordResetForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request):
    profile = profile_of(request.user)
    form = ProfileForm(request.POST or None, request.FILES or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(user=request.user, actor=request.user, changes=form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field or None, str(error.message))
        else:
            messages.success(request, _("Your real-name profile has been saved."))
            return redirect("portal:center")
    return render(request, "accounts/profile_form.html", {"form": form, "profile": profile})


@require_POST
def language_set(request):
    """Django's language switch, remembered on the account so the choice follows the user to other devices."""
    response = i18n_views.set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        services.user_language_set(user=request.user, language=language)
    return response
