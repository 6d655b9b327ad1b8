"""WSGI entry point (gunicorn yiwang.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
application = get_wsgi_application()

# Allocations between two collections of the youngest generation (Python's
# default: 700). A request makes tens of thousands of objects; at 700 the
# collector ran dozens of times per request and, every hundred young
# collections, went through every object of the process.
GC_YOUNG_THRESHOLD = 5000


def settle_memory() -> None:
    """Once the application is loaded (its URLconf and every view module it
    imports included): the objects made so far, which live as long as the
    process, are moved out of the collector's sight (``gc.freeze``), and
    the youngest generation is collected less often. Together 8 % of the
    instructions of a case submission (callgrind), nearly all the collector
    cost; objects made later are collected as before. Under ``--preload``
    the frozen objects also stay shared with the workers: the collector no
    longer writes to their pages."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and the views
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


settle_memory()
