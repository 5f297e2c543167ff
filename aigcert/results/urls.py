from django.urls import path

from aigcert.results import views

app_name = "results"

urlpatterns = [
    path("me/results/", views.my_results, name="mine"),
    path("me/results/<uuid:code>/", views.my_result, name="mine_detail"),
    path("api/me/results", views.api_results, name="api_mine"),
    path("office/results/", views.office, name="office"),
    path("office/results/<str:session_code>/", views.office_session, name="office_session"),
    path("office/results/<str:session_code>/act/", views.office_act, name="office_act"),
]
