from django.urls import path

from aigcert.delivery import examday_views, proctor_views, views

app_name = "delivery"

urlpatterns = [
    path("exam/mock/<slug:program_code>/start/", views.mock_start, name="mock_start"),
    path("exam/<uuid:code>/", views.player, name="player"),
    path("exam/<uuid:code>/save/", views.autosave, name="autosave"),
    path("exam/<uuid:code>/upload/", views.upload, name="upload"),
    path("exam/<uuid:code>/submit/", views.submit, name="submit"),
    path("exam/<uuid:code>/done/", views.done, name="done"),
    path("exam/<uuid:code>/state/", views.attempt_state, name="attempt_state"),
    path("exam/<uuid:code>/integrity/", views.integrity, name="integrity"),
    path("exam/session/<uuid:session_code>/", examday_views.exam_day, name="exam_day"),
    path("exam/session/<uuid:session_code>/status/", examday_views.exam_day_status, name="exam_day_status"),
    path("exam/session/<uuid:session_code>/photo/", examday_views.exam_day_photo, name="exam_day_photo"),
    path("exam/session/<uuid:session_code>/start/", examday_views.exam_day_start, name="exam_day_start"),
    path("staff/proctor/", proctor_views.session_list, name="proctor_sessions"),
    path("staff/proctor/<uuid:session_code>/", proctor_views.console, name="proctor_console"),
    path("staff/proctor/<uuid:session_code>/act/", proctor_views.act, name="proctor_act"),
    path("staff/proctor/<uuid:session_code>/desk/", proctor_views.desk_update, name="proctor_desk"),
    path("staff/proctor/<uuid:session_code>/<str:ticket>/photo/", proctor_views.candidate_photo,
         name="proctor_photo"),
    path("staff/proctor/<uuid:session_code>/<str:ticket>/", proctor_views.candidate_events,
         name="proctor_candidate"),
]
