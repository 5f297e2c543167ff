from django.urls import path

from aigcert.enrolment import views

app_name = "enrolment"

urlpatterns = [
    path("enrol/<slug:program_code>/", views.register, name="register"),
    path("enrol/<slug:program_code>/eligibility/", views.claim, name="claim"),
    path("me/enrolments/<uuid:code>/", views.detail, name="detail"),
    path("me/enrolments/<uuid:code>/book/", views.book, name="book"),
    path("me/enrolments/<uuid:code>/reissue/", views.order_reissue, name="order_reissue"),
    path("me/tickets/<uuid:booking_code>.pdf", views.ticket, name="ticket"),
    path("me/inbox/", views.inbox_view, name="inbox"),
    path("staff/sessions/", views.sessions, name="sessions"),
    path("staff/sessions/<uuid:code>/cancel/", views.session_cancel, name="session_cancel"),
    path("staff/eligibility/", views.claims, name="claims"),
    path("staff/eligibility/<uuid:code>/proof/", views.claim_proof, name="claim_proof"),
    path("org/", views.org_home, name="org_home"),
    path("org/<uuid:org_code>/", views.org_dashboard, name="org_dashboard"),
    path("org/<uuid:org_code>/prices/", views.org_prices, name="org_prices"),
    path("org/<uuid:org_code>/import/", views.org_import, name="org_import"),
    path("org/<uuid:org_code>/import/template.xlsx", views.org_import_template, name="org_import_template"),
    path("org/<uuid:org_code>/import/<uuid:code>/", views.org_import_status, name="org_import_status"),
    path("org/<uuid:org_code>/vouchers/", views.org_vouchers, name="org_vouchers"),
]
