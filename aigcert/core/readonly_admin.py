from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that are evidence (audit trail, money, frozen versions): they change only through services,
    never by editing in the back office."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
