from django.urls import path

from aigcert.marking import views

app_name = "marking"

urlpatterns = [
    path("marking/", views.home, name="home"),
    path("marking/items/<uuid:code>/take/", views.take, name="take"),
    path("marking/items/<uuid:code>/gold/", views.gold, name="gold"),
    path("marking/marks/<uuid:code>/", views.mark, name="mark"),
    path("marking/marks/<uuid:code>/release/", views.release, name="release"),
    path("marking/scripts/<uuid:code>/file/", views.script_file, name="script_file"),
    path("marking/scripts/<uuid:code>/arbitrate/", views.arbitrate, name="arbitrate"),
    path("marking/sessions/<str:session_code>/", views.session, name="session"),
    path("marking/sessions/<str:session_code>/markers/<int:marker_id>/", views.marker_act, name="marker_act"),
    path("marking/rechecks/", views.rechecks, name="rechecks"),
    path("marking/rechecks/<uuid:code>/", views.recheck, name="recheck"),
]
