from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aigcert.accounts import rules
from aigcert.accounts.roles import Role
from aigcert.core.api import BaseModel


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        found = rules.classify_identifier(username or "")
        if found is None:
            raise self.model.DoesNotExist
        kind, value = found
        return self.get(**{kind: value})

    def create_user(self, email=None, password=None, *, phone=None, **extra):
        email = rules.normalize_email(email) if email else None
        phone = rules.normalize_phone(phone) if phone else None
        if not email and not phone:
            raise ValueError("A user needs a phone number or an email address.")
        user = self.model(email=email, phone=phone, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email=None, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(BaseModel, AbstractBaseUser, PermissionsMixin):
    """A person who signs in with a mainland mobile number or an email address (either, or both)."""

    phone = models.CharField(_("mobile number"), max_length=11, unique=True, null=True, blank=True)
    email = models.EmailField(_("email address"), unique=True, null=True, blank=True)
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("back-office access"), default=False, help_text=_("May sign in to the Django admin.")
    )

    objects = UserManager()

    # Email is the admin's username field; the login form and backend accept a phone number as well.
    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(phone__isnull=False) | Q(email__isnull=False), name="user_has_phone_or_email"
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.phone or self.email or str(self.code)

    def save(self, *args, **kwargs):
        # Stored the way the login form looks them up, whoever creates the row (sign-up, admin, shell).
        if self.email:
            self.email = rules.normalize_email(self.email) or self.email.strip().lower()
        else:
            self.email = None
        if self.phone:
            self.phone = rules.normalize_phone(self.phone) or self.phone.strip()
        else:
            self.phone = None
        super().save(*args, **kwargs)

    @property
    def identifier(self) -> str:
        return self.phone or self.email or ""

    def get_short_name(self) -> str:
        return self.display_name or self.identifier

    def get_full_name(self) -> str:
        return self.get_short_name()


class RoleGrant(models.Model):
    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    granted_by = models.ForeignKey(
        User, verbose_name=_("granted by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="role_grant_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class IdType(models.TextChoices):
    RESIDENT_ID = rules.ID_TYPE_RESIDENT, _("Resident identity card")
    PASSPORT = rules.ID_TYPE_PASSPORT, _("Passport")
    HK_MACAO = rules.ID_TYPE_HK_MACAO, _("Mainland travel permit for Hong Kong and Macao residents")
    TAIWAN = rules.ID_TYPE_TAIWAN, _("Mainland travel permit for Taiwan residents")
    FOREIGN_PR = rules.ID_TYPE_FOREIGN_PR, _("Foreign permanent resident ID card")


class Profile(BaseModel):
    """The real-name record a certificate is issued to, and where it is mailed."""

    user = models.OneToOneField(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="profile")
    legal_name = models.CharField(_("legal name"), max_length=60, blank=True)
    id_type = models.CharField(_("ID type"), max_length=32, choices=IdType.choices, default=IdType.RESIDENT_ID)
    id_number = models.CharField(_("ID number"), max_length=32, blank=True)
    recipient_name = models.CharField(_("recipient"), max_length=60, blank=True)
    recipient_phone = models.CharField(_("recipient phone"), max_length=20, blank=True)
    province = models.CharField(_("province"), max_length=30, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    district = models.CharField(_("district"), max_length=30, blank=True)
    address_line = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=6, blank=True)
    # Printed on the admission ticket and shown to the proctor at check-in; optional.
    photo = models.ImageField(_("ID photo"), upload_to="photos/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("real-name profile")
        verbose_name_plural = _("real-name profiles")

    def __str__(self) -> str:
        return self.legal_name or str(self.user)

    @property
    def id_number_masked(self) -> str:
        return rules.mask_id_number(self.id_number)

    @property
    def has_mailing_address(self) -> bool:
        return all([self.recipient_name, self.recipient_phone, self.province, self.city, self.address_line])


class Consent(models.Model):
    """What a person agreed to, which version of it, and when (and when they took it back)."""

    class Purpose(models.TextChoices):
        TERMS = "terms", _("Terms of service and privacy policy")

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=32, choices=Purpose.choices)
    version = models.CharField(_("version"), max_length=20)
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_purpose_display()} {self.version}"
