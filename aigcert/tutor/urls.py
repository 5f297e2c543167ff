from django.urls import path

from aigcert.tutor import views

app_name = "tutor"

urlpatterns = [
    path("tutor/", views.home, name="home"),
    path("tutor/ask/", views.ask, name="ask"),
    path("tutor/c/<uuid:code>/", views.conversation, name="conversation"),
    path("tutor/feedback/<int:message_id>/", views.feedback, name="feedback"),
    path("tutor/review/", views.review, name="review"),
    path("tutor/review/<uuid:code>/", views.review_detail, name="review_detail"),
]
