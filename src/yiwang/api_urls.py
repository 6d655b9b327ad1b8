"""The API router. Each app registers its viewsets in its ``api.py``
through ``register(router)``; this module calls them, busiest first."""

from importlib import import_module

from rest_framework.permissions import AllowAny
from rest_framework.routers import APIRootView, DefaultRouter


class PublicAPIRootView(APIRootView):
    """The API root lists the endpoints to anyone; each endpoint decides who may use it."""

    permission_classes = [AllowAny]


class Router(DefaultRouter):
    APIRootView = PublicAPIRootView
    # No ``/cases.json``-style twins of every route: the API speaks JSON
    # (``Accept`` chooses otherwise), and every request that reaches a route
    # late in the list was matched against both forms of each route before it.
    include_format_suffixes = False


router = Router(trailing_slash=True)

# Django tries the routes in order: the busiest app's first (every
# application and every move is a cases route).
for app in ("cases", "catalog", "accounts", "regions", "core"):
    module = import_module(f"yiwang.{app}.api")
    if hasattr(module, "register"):
        module.register(router)
