from django.urls import path

from . import views

app_name = "regions"
urlpatterns = [
    path("halls/", views.hall_list, name="hall_list"),
]
