from django.contrib import admin
from django.urls import include, path

from aigcert.core.views import healthz

urlpatterns = [
    path("", include("aigcert.portal.urls")),
    path("programs/", include("aigcert.catalog.urls")),
    path("accounts/", include("aigcert.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
