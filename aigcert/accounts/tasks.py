from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template import loader
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task

from aigcert.accounts.models import User


@task()
def password_reset_email_send(*, user_id: int, domain: str, use_https: bool) -> bool:
    """Build the reset link here, in the worker: the queue stores only the user id, never a usable token."""
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email=None).first()
    if user is None or not user.has_usable_password():
        return False
    context = {
        "email": user.email,
        "domain": domain,
        "site_name": domain,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "user": user,
        "token": default_token_generator.make_token(user),
        "protocol": "https" if use_https else "http",
    }
    with translation.override(user.language):
        subject = "".join(loader.render_to_string("accounts/email/password_reset_subject.txt", context).splitlines())
        body = loader.render_to_string("accounts/email/password_reset.txt", context)
    send_mail(subject, body, None, [user.email])
    return True
