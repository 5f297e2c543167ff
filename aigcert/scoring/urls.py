from django.urls import path

from aigcert.scoring import views

app_name = "scoring"

urlpatterns = [
    path("me/mocks/", views.mocks, name="mocks"),
    path("me/mocks/<uuid:code>/", views.mock_result, name="mock_result"),
    path("me/notebook/", views.notebook, name="notebook"),
    path("me/notebook/<uuid:code>/", views.notebook_retry, name="notebook_retry"),
]
