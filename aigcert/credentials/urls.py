from django.urls import path

from aigcert.credentials import views

app_name = "credentials"

urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("verify/c/<str:code>/", views.verify_code, name="verify_code"),
    path("verify/file/", views.verify_file, name="verify_file"),
    path("api/v1/credentials/verify", views.api_verify, name="api_verify"),
    path("credentials/status/<int:pk>", views.status_list, name="status_list"),
    path("credentials/issuer", views.issuer, name="issuer"),
    path("me/certificates/", views.mine, name="mine"),
    path("me/certificates/<uuid:code>/", views.mine_detail, name="mine_detail"),
    path("me/certificates/<uuid:code>/certificate.pdf", views.mine_pdf, name="mine_pdf"),
    path("me/certificates/<uuid:code>/credential.json", views.mine_credential, name="mine_credential"),
    path("office/certificates/", views.office, name="office"),
    path("office/certificates/act/", views.office_act, name="office_act"),
    path("office/certificates/<uuid:code>/", views.office_detail, name="office_detail"),
    path("office/certificates/batches/<uuid:code>/", views.office_batch, name="office_batch"),
]
