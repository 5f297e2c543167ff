from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from aigcert.accounts import rules


class PhoneOrEmailBackend(ModelBackend):
    """Authenticate with a mobile number or an email address in the one "username" box."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user_model = get_user_model()
        found = rules.classify_identifier(username or kwargs.get(user_model.USERNAME_FIELD) or "")
        user = None
        if found is not None and password is not None:
            kind, value = found
            user = user_model.objects.filter(**{kind: value}).first()
        if user is None:
            # Same work as a real check, so response time doesn't reveal which identifiers exist.
            user_model().set_password(password or "")
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
