from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from aigcert.accounts.forms import ProfileForm
from aigcert.accounts.models import Consent, Profile, RoleGrant, User
from aigcert.accounts.services import PROFILE_FIELDS, profile_update, role_grant, role_revoke
from aigcert.core.api import audit_record


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    fk_name = "user"
    extra = 0
    readonly_fields = ["granted_by", "granted_at"]


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "phone")


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


def _audit_value(value):
    if hasattr(value, "__iter__") and not isinstance(value, str):
        return sorted(str(item) for item in value)  # groups, permissions
    return value if isinstance(value, bool | int | None) else str(value)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationForm
    inlines = [RoleGrantInline]
    ordering = ["-created_at"]
    list_display = ["__str__", "phone", "email", "is_active", "is_staff", "created_at"]
    list_filter = ["is_active", "is_staff", "is_superuser", "role_grants__role"]
    search_fields = ["phone", "email", "display_name", "profile__legal_name"]
    readonly_fields = ["code", "created_at", "updated_at", "last_login"]
    fieldsets = (
        (None, {"fields": ("code", "phone", "email", "password")}),
        (_("Personal info"), {"fields": ("display_name", "language")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "phone", "usable_password", "password1", "password2")}),
    )

    # Changes to these are privilege changes and go into the audit trail.
    AUDITED_FIELDS = ("phone", "email", "is_active", "is_staff", "is_superuser", "groups", "user_permissions")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = [field for field in form.changed_data if field in self.AUDITED_FIELDS]
        if change and changed:
            audit_record(actor=request.user, action="user.admin_change", target=obj,
                         data={"changed": {f: _audit_value(form.cleaned_data.get(f)) for f in changed}})
        elif not change:
            audit_record(actor=request.user, action="user.admin_create", target=obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not RoleGrant:
            return super().save_formset(request, form, formset, change)
        # Role changes go through the service so that every grant and revocation is audited.
        formset.save(commit=False)
        for grant in formset.deleted_objects:
            role_revoke(user=grant.user, role=grant.role, actor=request.user)
        for grant in formset.new_objects:
            role_grant(user=form.instance, role=grant.role, actor=request.user)
        for grant, _changed in formset.changed_objects:
            stored = RoleGrant.objects.get(pk=grant.pk)
            role_revoke(user=stored.user, role=stored.role, actor=request.user)
            role_grant(user=form.instance, role=grant.role, actor=request.user)
        return None


@admin.register(RoleGrant)
class RoleGrantAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "granted_by", "granted_at"]
    list_filter = ["role"]
    search_fields = ["user__phone", "user__email", "user__display_name"]
    autocomplete_fields = ["user"]

    def has_change_permission(self, request, obj=None):
        # A grant is granted or revoked, never edited: editing would hide a revocation from the audit trail.
        return False

    def save_model(self, request, obj, form, change):
        obj.pk = role_grant(user=obj.user, role=obj.role, actor=request.user).pk

    def delete_model(self, request, obj):
        role_revoke(user=obj.user, role=obj.role, actor=request.user)

    def delete_queryset(self, request, queryset):
        for grant in queryset.select_related("user"):
            role_revoke(user=grant.user, role=grant.role, actor=request.user)


class ProfileAdminForm(ProfileForm):
    class Meta(ProfileForm.Meta):
        fields = ["user", *PROFILE_FIELDS]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    """Staff see the ID number masked, like its owner; they can replace it, and every change is audited."""

    form = ProfileAdminForm
    list_display = ["legal_name", "user", "id_type", "masked_id", "province", "city"]
    search_fields = ["legal_name", "user__phone", "user__email"]
    list_filter = ["id_type", "province"]
    autocomplete_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        return ["user"] if obj else []

    @admin.display(description=_("ID number"))
    def masked_id(self, obj):
        return obj.id_number_masked

    def save_model(self, request, obj, form, change):
        changes = {field: form.cleaned_data[field] for field in PROFILE_FIELDS if field in form.cleaned_data}
        saved = profile_update(user=form.cleaned_data.get("user") or obj.user, actor=request.user, changes=changes)
        obj.pk = saved.pk


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["user", "purpose", "version", "granted_at", "withdrawn_at"]
    list_filter = ["purpose", "version"]
    readonly_fields = ["granted_at"]
