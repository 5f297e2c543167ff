from django.urls import path

from aigcert.delivery import views

app_name = "delivery"

urlpatterns = [
    path("exam/mock/<slug:program_code>/start/", views.mock_start, name="mock_start"),
    path("exam/<uuid:code>/", views.player, name="player"),
    path("exam/<uuid:code>/save/", views.autosave, name="autosave"),
    path("exam/<uuid:code>/upload/", views.upload, name="upload"),
    path("exam/<uuid:code>/submit/", views.submit, name="submit"),
    path("exam/<uuid:code>/done/", views.done, name="done"),
]
