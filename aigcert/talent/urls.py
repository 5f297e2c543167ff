from django.urls import path

from aigcert.talent import views

app_name = "talent"

urlpatterns = [
    path("me/talent/", views.me, name="me"),
    path("me/talent/withdraw/", views.me_withdraw, name="me_withdraw"),
    path("me/talent/delete/", views.me_delete, name="me_delete"),
    path("me/talent/export/", views.me_export, name="me_export"),
    path("me/talent/requests/<uuid:code>/", views.me_request, name="me_request"),
    path("talent/employer/apply/", views.employer_apply, name="employer_apply"),
    path("talent/search/", views.search, name="search"),
    path("talent/profiles/<uuid:code>/", views.profile, name="profile"),
    path("talent/requests/", views.requests_sent, name="requests"),
    path("talent/requests/<uuid:code>/", views.request_detail, name="request"),
    path("staff/talent/employers/", views.staff_employers, name="staff_employers"),
    path("staff/talent/employers/<uuid:code>/review/", views.staff_employer_review, name="staff_employer_review"),
]
