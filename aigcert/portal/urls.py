from django.urls import path

from aigcert.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.center, name="center"),
    path("staff/", views.staff_home, name="staff_home"),
]
