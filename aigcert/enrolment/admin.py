from django.contrib import admin

from aigcert.enrolment.models import Booking, CandidateImport, EligibilityClaim, Enrolment


class BookingInline(admin.TabularInline):
    model = Booking
    extra = 0
    can_delete = False
    readonly_fields = ["session", "status", "kind", "held_until", "order_code", "ticket_number", "released_reason"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["candidate", "program_code", "organization", "state", "retakes_used", "created_at"]
    list_filter = ["program_code", "state", "organization"]
    search_fields = ["candidate__phone", "candidate__email", "code"]
    # The state moves only through enrolment's services (audited transitions), not by editing here.
    readonly_fields = ["candidate", "program_code", "organization", "state", "retakes_used", "eligibility_basis",
                       "result_score", "result_at"]
    inlines = [BookingInline]


@admin.register(EligibilityClaim)
class EligibilityClaimAdmin(admin.ModelAdmin):
    list_display = ["candidate", "program_code", "work_years", "status", "reviewer", "reviewed_at"]
    list_filter = ["status", "program_code"]
    readonly_fields = ["candidate", "program_code", "work_years", "employer", "description", "proof", "status",
                       "reviewer", "reviewed_at", "reason"]


@admin.register(CandidateImport)
class CandidateImportAdmin(admin.ModelAdmin):
    list_display = ["file_name", "organization", "status", "rows_total", "created_count", "created_at"]
    list_filter = ["status"]
    readonly_fields = ["organization", "uploaded_by", "file", "file_name", "status", "problems", "created_count"]
