"""The demo catalog: the real item list of 广安区 with generated guides (演示数据).

``load()`` (called by ``yiwang demo load`` after the regions demo) seeds a
handful of retained proofs, imports the item list with generated guides and
publishes them, lets the county centre offer every item, puts the common
people's services on the town list (and in the town halls), and admits a few
of them to the village list with county approval. Idempotent.
"""

from __future__ import annotations

from collections import Counter

from django.db import transaction

from yiwang.regions.models import Hall, Level

from . import selectors, services
from .codesets import ItemType
from .importer import import_csv
from .models import ItemLevel, LevelStatus, RetainedProof, ServiceItem

# A handful of realistic entries of a retained-proofs list (保留证明清单).
RETAINED_PROOFS = [
    ("出生医学证明", "医疗机构", "《中华人民共和国母婴保健法》第二十三条"),
    (
        "死亡医学证明",
        "医疗机构",
        "《国家卫生计生委 公安部 民政部关于进一步规范人口死亡医学证明和信息登记管理工作的通知》",
    ),
    ("残疾人证明", "残疾人联合会", "《中华人民共和国残疾人保障法》"),
    ("亲属关系证明", "公安派出所", "《中华人民共和国户口登记条例》"),
    ("无犯罪记录证明", "公安机关", "《公安机关办理犯罪记录查询工作规定》"),
    ("学历证明", "教育行政部门", "《中华人民共和国教育法》"),
]
# Departments whose public services the town halls also accept.
TOWN_DEPARTMENTS = (
    "区民政局",
    "区人社局",
    "区医疗保障局",
    "区卫健局",
    "区残联",
    "区退役军人事务局",
)
VILLAGE_ADMITTED = 12  # the first N town-list items admitted to villages


def _data_file():
    from yiwang.regions.demo import ITEMS_FILE, data_file

    return data_file(ITEMS_FILE)


def load(stdout=None, *, publish: bool = True) -> dict:
    counts = Counter()
    with transaction.atomic():
        existing = set(RetainedProof.objects.values_list("name", flat=True))
        for name, body, basis in RETAINED_PROOFS:
            if name not in existing:
                services.create_retained_proof(
                    by=None, name=name, issuing_body=body, legal_basis=basis
                )
                counts["proofs_created"] += 1
    report = import_csv(_data_file(), demo_guides_=True, publish=publish)
    counts["items_created"] = report.created
    counts["guides_published"] = report.published
    counts["code_warnings"] = len(report.warnings)
    with transaction.atomic():
        centre = Hall.objects.filter(region__level=Level.COUNTY, kind="centre").first()
        if centre is not None:
            missing = ServiceItem.objects.exclude(halls=centre)
            through = ServiceItem.halls.through
            through.objects.bulk_create(
                [
                    through(serviceitem_id=pk, hall_id=centre.pk)
                    for pk in missing.values_list("pk", flat=True)
                ],
                ignore_conflicts=True,
            )
        town_halls = list(Hall.objects.filter(region__level=Level.TOWN, is_active=True))
        town_items = ServiceItem.objects.filter(
            department__name__in=TOWN_DEPARTMENTS, item_type=ItemType.PUBLIC_SERVICE
        ).order_by("code")
        for item in town_items:
            if not selectors.offered_at_level(item, Level.TOWN):
                services.set_level(item, Level.TOWN, by=None)
                counts["town_items"] += 1
            if town_halls and not item.halls.filter(pk=town_halls[0].pk).exists():
                item.halls.add(*town_halls)
        for item in town_items[:VILLAGE_ADMITTED]:
            entry = ItemLevel.objects.filter(item=item, level=Level.VILLAGE).first()
            if entry is None:
                entry = services.request_level(
                    item, Level.VILLAGE, by=None, reason="演示：便民服务下沉到村"
                )
            if entry.status == LevelStatus.REQUESTED:
                services.approve_level(entry, by=None, reason="演示：县级准入")
                counts["village_items"] += 1
        # The village rooms offer what was admitted to the village list.
        village_halls = Hall.objects.filter(region__level=Level.VILLAGE, is_active=True)
        through = ServiceItem.halls.through
        through.objects.bulk_create(
            [
                through(serviceitem_id=item.pk, hall_id=hall_pk)
                for item in town_items[:VILLAGE_ADMITTED]
                for hall_pk in village_halls.values_list("pk", flat=True)
            ],
            ignore_conflicts=True,
        )
    from yiwang.core.search import load_default_synonyms
    from yiwang.core.search.models import SearchDocument

    from . import indexing

    load_default_synonyms()
    if SearchDocument.objects.filter(kind=indexing.ITEM).count() != ServiceItem.objects.count():
        indexing.reindex_all()  # a database made before the catalog was indexed
        counts["reindexed"] = 1
    if stdout is not None:
        stdout.write(
            f"事项清单：新建事项 {counts['items_created']}，发布指南 {counts['guides_published']}，"
            f"编码警告 {counts['code_warnings']}，乡镇清单新增 {counts['town_items']}，"
            f"村级准入 {counts['village_items']}"
        )
    return dict(counts)
