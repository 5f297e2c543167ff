from django.contrib import admin

from aigcert.orgs.models import Membership, Organization, Price


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


class PriceInline(admin.TabularInline):
    model = Price
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "contact_name", "active"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline, PriceInline]
