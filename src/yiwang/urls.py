"""URL map: pages at the root, the API under /api/v1/, the admin under /admin/."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from .api_urls import router
from .cases.api import ProgressView

api_v1 = [
    # The public progress lookup first: anyone may call it, as often as the
    # guard allows, and it need not be matched against every route before it.
    path("progress/", ProgressView.as_view(), name="case-progress"),
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(api_version="1"), name="schema"),
    path(
        "docs/",
        # Our template: drf-spectacular's own links Google Fonts (see web/api_docs.html).
        SpectacularRedocView.as_view(url_name="api:schema", template_name="web/api_docs.html"),
        name="docs",
    ),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("yiwang.accounts.urls")),
    path("regions/", include("yiwang.regions.urls")),
    path("guide/", include("yiwang.catalog.urls")),
    path("cases/", include("yiwang.cases.urls")),
    path("", include("yiwang.web.urls")),
]

if settings.DEBUG:  # pragma: no cover
    urlpatterns += []
