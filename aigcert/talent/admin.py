from django.contrib import admin

from aigcert.core.api import ReadOnlyAdmin
from aigcert.talent.models import ContactRequest, Employer, TalentConsent, TalentHolding, TalentProfile, TalentSkill

# Read-only: employers are verified on the staff page (which grants the role and audits it), and holders own their
# profiles; the back office only looks.


class TalentConsentInline(admin.TabularInline):
    model = TalentConsent
    extra = 0
    fields = readonly_fields = ("version", "given_at", "withdrawn_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class TalentHoldingInline(admin.TabularInline):
    model = TalentHolding
    extra = 0
    fields = readonly_fields = ("program_code", "series_code", "direction_code", "level_rank", "issued_on")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class TalentSkillInline(TalentHoldingInline):
    model = TalentSkill
    fields = readonly_fields = ("program_code", "item_code")


@admin.register(Employer)
class EmployerAdmin(ReadOnlyAdmin):
    list_display = ("organization_name", "credit_code", "contact_person", "status", "reviewed_at")
    list_filter = ("status",)
    search_fields = ("organization_name", "credit_code")


@admin.register(TalentProfile)
class TalentProfileAdmin(ReadOnlyAdmin):
    list_display = ("display_name", "region", "consented_at", "withdrawn_at")
    list_filter = ("region",)
    exclude = ("links",)
    readonly_fields = ("display_name", "name_shown", "region", "bio", "consent_version", "consented_at",
                       "withdrawn_at")
    inlines = [TalentConsentInline, TalentHoldingInline, TalentSkillInline]


@admin.register(ContactRequest)
class ContactRequestAdmin(ReadOnlyAdmin):
    list_display = ("position_title", "employer", "state", "created_at", "answered_at")
    list_filter = ("state",)
