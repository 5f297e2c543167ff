from django.urls import path

from aigcert.exams import views

app_name = "exams"

urlpatterns = [
    path("staff/exams/blueprints/", views.blueprint_list, name="blueprint_list"),
    path("staff/exams/blueprints/new/", views.blueprint_new, name="blueprint_new"),
    path("staff/exams/sessions/", views.session_list, name="session_list"),
    path("staff/exams/sessions/<uuid:code>/papers/", views.session_papers, name="session_papers"),
]
