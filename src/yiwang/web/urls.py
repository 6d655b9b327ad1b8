from django.urls import path

from . import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("workbench/", views.workbench_home, name="workbench"),
    path("ui/elderly/", views.elderly_toggle, name="elderly_toggle"),
]
