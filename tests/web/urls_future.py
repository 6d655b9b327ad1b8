"""The real URL map plus the future pages the shells link to when they
exist (/guide/, /my/cases/, /regions/halls/), to test that entries appear."""

from django.http import HttpResponse
from django.urls import path

from yiwang.urls import urlpatterns as real


def _stub(request):
    return HttpResponse("stub")


urlpatterns = [
    path("guide/", _stub),
    path("my/cases/", _stub),
    path("regions/halls/", _stub),
    *real,
]
