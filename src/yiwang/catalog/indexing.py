"""Keeping the search index (``yiwang.core.search``) in step with the catalog.

Two document kinds:

* ``item`` — one per service item: title = the item name, keywords = the
  parent item, the result's name and the department, body = the published
  guide's conditions and materials. ``data`` carries what a hit shows (code,
  department, the guide page URL). Inactive items are not public.
* ``faq`` — one per question of the published guide's FAQ (常见问题, written
  as ``问：… / 答：…`` pairs), pointing back at the item.

The services call ``schedule(item_id)`` after every change that alters what
a citizen should find (item created or edited, guide published or retired).
Indexing happens at once, inside the caller's transaction (the index lives
in the same database, so it commits or rolls back with the change), unless
the caller is inside ``deferred()``: then the items are indexed in one batch
when the block ends (the importers use that for speed).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from contextlib import contextmanager

from django.db.models import Q
from django.urls import reverse

from yiwang.core import search

from .models import GuideStatus, GuideVersion, ServiceItem

ITEM, FAQ = "item", "faq"
FAQ_WEIGHT = 0.8

_state = threading.local()


@contextmanager
def deferred():
    """Collect scheduled items and index them together at the end of the block."""
    outer = getattr(_state, "pending", None) is None
    if outer:
        _state.pending = {}
    try:
        yield
        if outer and _state.pending:
            index_items(list(_state.pending))
    finally:
        if outer:
            _state.pending = None


def schedule(item_id) -> None:
    pending = getattr(_state, "pending", None)
    if pending is not None:
        pending[item_id] = None
    else:
        index_items([item_id])


_ZERO = "00000000-0000-0000-0000-000000000000"


def guide_url(item) -> str:
    # reverse() once per call is slow in bulk; the pattern only varies by id.
    return reverse("catalog:guide", args=[_ZERO]).replace(_ZERO, str(item.pk))


_QA = re.compile(r"问[:：]\s*(?P<q>.+?)\s*答[:：]\s*(?P<a>.+?)(?=\s*问[:：]|\Z)", re.S)


def faq_pairs(text: str) -> list[tuple[str, str]]:
    """The question–answer pairs of a guide's FAQ text (问：… 答：…)."""
    return [(m["q"].strip(), m["a"].strip()) for m in _QA.finditer(text or "")]


def _item_documents(items: Iterable[ServiceItem], guides: dict) -> tuple[list, list]:
    item_docs, faq_docs = [], []
    for item in items:
        guide = guides.get(item.pk)
        url = guide_url(item)
        keywords = [item.group, item.department.name]
        body_parts = [f"实施部门：{item.department.name}。"]
        if guide is not None:
            if guide.result_name:
                keywords.append(guide.result_name)
            if guide.conditions:
                body_parts.append(guide.conditions)
            names = [m.name for m in guide.materials.all()]
            if names:
                body_parts.append("申请材料：" + "；".join(names) + "。")
        data = {
            "code": item.code,
            "item_id": str(item.pk),
            "url": url,
            "department": item.department.name,
            "published": guide is not None,
        }
        if guide is not None:
            data["online_depth"] = guide.get_online_depth_display()
            data["promised_days"] = guide.promised_days
        item_docs.append(
            {
                "object_id": str(item.pk),
                "title": item.name,
                "body": "\n".join(body_parts),
                "keywords": [k for k in keywords if k],
                "public": item.is_active,
                "department_id": str(item.department_id),
                "data": data,
            }
        )
        if guide is not None:
            for i, (question, answer) in enumerate(faq_pairs(guide.faq), start=1):
                faq_docs.append(
                    {
                        "object_id": f"{item.pk}:{i}",
                        "title": question,
                        "body": answer,
                        "keywords": [item.name],
                        "weight": FAQ_WEIGHT,
                        "public": item.is_active,
                        "department_id": str(item.department_id),
                        "data": {
                            "item_id": str(item.pk),
                            "item_name": item.name,
                            "code": item.code,
                            "url": url,
                            "answer": answer[:300],
                        },
                    }
                )
    return item_docs, faq_docs


def _published(item_ids) -> dict:
    versions = (
        GuideVersion.objects.filter(item_id__in=item_ids, status=GuideStatus.PUBLISHED)
        .only("id", "item_id", "result_name", "conditions", "faq", "online_depth", "promised_days")
        .prefetch_related("materials")
    )
    return {v.item_id: v for v in versions}


def index_items(item_ids) -> int:
    """(Re)index the given items and their FAQ; items that no longer exist
    are removed from the index."""
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        return 0
    items = list(ServiceItem.objects.filter(pk__in=ids).select_related("department"))
    found = {i.pk for i in items}
    item_docs, faq_docs = _item_documents(items, _published(ids))
    from yiwang.core.search.models import SearchDocument

    # An item's FAQ ids "id:1", "id:2" … sort between "id:" and "id;" (';'
    # follows ':'): ranges the unique (kind, object_id) index answers.
    for start in range(0, len(ids), 100):
        ranges = Q()
        for item_id in ids[start : start + 100]:
            ranges |= Q(object_id__gte=f"{item_id}:", object_id__lt=f"{item_id};")
        SearchDocument.objects.filter(ranges, kind=FAQ).delete()
    for item_id in ids:
        if item_id not in found:
            search.remove_document(ITEM, item_id)
    if len(ids) == 1:
        for doc in item_docs:
            search.index_document(ITEM, **doc)
        for doc in faq_docs:
            search.index_document(FAQ, **doc)
    else:
        search.index_documents(ITEM, item_docs)
        search.index_documents(FAQ, faq_docs)
    return len(items)


def reindex_all() -> dict:
    """Rebuild the catalog's part of the index from scratch (``yiwang catalog
    reindex``; the demo loader)."""
    items = list(ServiceItem.objects.select_related("department"))
    item_docs, faq_docs = _item_documents(items, _published([i.pk for i in items]))
    return {ITEM: search.reindex(ITEM, item_docs), FAQ: search.reindex(FAQ, faq_docs)}
