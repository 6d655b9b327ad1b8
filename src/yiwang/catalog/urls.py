"""The service-item catalog (事项清单) and its guides (办事指南).

Public pages: /guide/ (browse), /guide/search/, /guide/items/<id>/ (the
guide). Management pages for catalog administrators: /guide/manage/…"""

from django.urls import path

from . import public_views, views

app_name = "catalog"
urlpatterns: list = [
    path("", public_views.browse, name="browse"),
    path("search/", public_views.search_page, name="search"),
    path("items/<uuid:pk>/", public_views.guide, name="guide"),
    path("manage/synonyms/", views.synonym_list, name="manage_synonyms"),
    path("manage/synonyms/<int:pk>/", views.synonym_edit, name="manage_synonym"),
    path("manage/", views.item_list, name="manage_items"),
    path("manage/items/new/", views.item_create, name="manage_item_create"),
    path("manage/items/<uuid:pk>/", views.item_edit, name="manage_item"),
    path("manage/items/<uuid:pk>/draft/", views.draft_create, name="manage_draft_create"),
    path("manage/items/<uuid:pk>/history/", views.history, name="manage_history"),
    path("manage/items/<uuid:pk>/levels/", views.level_add, name="manage_level_add"),
    path("manage/versions/<uuid:pk>/", views.version_edit, name="manage_version"),
    path(
        "manage/versions/<uuid:pk>/<slug:action>/",
        views.version_action,
        name="manage_version_action",
    ),
    path("manage/admission/", views.admission_queue, name="manage_admission"),
    path(
        "manage/admission/<uuid:pk>/<slug:decision>/",
        views.admission_decide,
        name="manage_admission_decide",
    ),
]
