from django.contrib import admin
from django.urls import include, path

from aigcert.accounts.views import language_set
from aigcert.core.views import healthz

urlpatterns = [
    path("", include("aigcert.portal.urls")),
    path("programs/", include("aigcert.catalog.urls")),
    path("", include("aigcert.itembank.urls")),
    path("", include("aigcert.billing.urls")),
    path("", include("aigcert.enrolment.urls")),
    path("", include("aigcert.exams.urls")),
    path("", include("aigcert.delivery.urls")),
    path("", include("aigcert.scoring.urls")),
    path("", include("aigcert.marking.urls")),
    path("", include("aigcert.results.urls")),
    path("", include("aigcert.credentials.urls")),
    path("", include("aigcert.talent.urls")),
    path("", include("aigcert.learning.urls")),
    path("", include("aigcert.tutor.urls")),
    path("accounts/", include("aigcert.accounts.urls")),
    path("i18n/setlang/", language_set, name="set_language"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
