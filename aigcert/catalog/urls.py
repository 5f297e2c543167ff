from django.urls import path

from aigcert.catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.program_list, name="program_list"),
    path("<slug:code>/", views.program_detail, name="program_detail"),
]
