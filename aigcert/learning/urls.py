from django.urls import path

from aigcert.learning import views

app_name = "learning"

urlpatterns = [
    path("learn/", views.courses, name="courses"),
    path("learn/path/", views.path_home, name="paths"),
    path("learn/path/<slug:path_code>/", views.path_plan, name="path"),
    path("learn/practice/<uuid:code>/", views.practice, name="practice"),
    path("learn/tutoring/", views.tutoring_queue, name="tutoring"),
    path("learn/tutoring/<uuid:code>/", views.tutoring_answer, name="tutoring_answer"),
    path("learn/files/<uuid:code>/", views.lesson_file, name="file"),
    path("learn/video/<uuid:code>/", views.lesson_video, name="video"),
    path("learn/<slug:program_code>/", views.course, name="course"),
    path("learn/<slug:program_code>/practice/", views.practice_start, name="practice_start"),
    path("learn/<slug:program_code>/<str:lesson_code>/", views.lesson, name="lesson"),
    path("learn/<slug:program_code>/<str:lesson_code>/complete/", views.lesson_complete, name="lesson_complete"),
    path("learn/<slug:program_code>/<str:lesson_code>/edit/", views.lesson_edit, name="lesson_edit"),
    path("learn/<slug:program_code>/<str:lesson_code>/ask/", views.lesson_ask, name="lesson_ask"),
]
