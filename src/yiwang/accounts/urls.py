from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("register/", views.register_view, name="register"),
    path("me/", views.me_view, name="me"),
    path("me/deregister/", views.deregister_view, name="deregister"),
    path("totp/", views.totp_view, name="totp"),
    path("citizens/", views.citizen_list, name="citizens"),
    path("citizens/<uuid:pk>/", views.citizen_detail, name="citizen_detail"),
]
