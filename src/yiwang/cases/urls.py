from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("progress/", views.progress, name="progress"),
    path("<uuid:case_id>/materials/<uuid:material_id>/", views.material_file, name="material"),
    path("<uuid:case_id>/documents/<uuid:document_id>/", views.document_file, name="document"),
]
