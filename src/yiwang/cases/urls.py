from django.urls import path

from . import pages, views

app_name = "cases"

urlpatterns = [
    path("progress/", views.progress, name="progress"),
    path("apply/<uuid:item_id>/", pages.apply, name="apply"),
    path("mine/", pages.mine, name="mine"),
    path("notifications/", pages.notifications, name="notifications"),
    path("desk/", pages.desk, name="desk"),
    path("queue/", pages.queue, name="queue"),
    path("search/", pages.search, name="search"),
    path("<uuid:case_id>/", pages.detail, name="detail"),
    path("<uuid:case_id>/edit/", pages.edit_draft, name="edit"),
    path("<uuid:case_id>/do/<slug:action>/", pages.move, name="move"),
    path("<uuid:case_id>/materials/<uuid:material_id>/", views.material_file, name="material"),
    path("<uuid:case_id>/documents/<uuid:document_id>/", views.document_file, name="document"),
]
