"""The public catalog pages: browse by department, level, theme and life
event; the guide page (everything before coming; printable); the search page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yiwang.catalog import services
from yiwang.catalog.codesets import ItemType
from yiwang.catalog.themes import suggest
from yiwang.core.search import load_default_synonyms

from .factories import good_guide

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(item, draft, admin):
    services.set_level(item, "county", by=admin)
    return services.publish(draft, by=admin)


@pytest.fixture
def dog(tree, admin):
    return services.create_item(
        by=admin,
        code="511A09001023-511602000000-000-11511300008778693M-1-00",
        name="犬类准养证核发",
        item_type=ItemType.ADMINISTRATIVE_LICENSE,
        department=tree.other_department,
    )


def test_themes_and_life_events_are_suggested_and_editable(dog, admin):
    assert "pets" in dog.life_event_list and "safety" in dog.theme_list
    assert suggest("《出生医学证明》首次签发")[1] == ["birth"]
    services.update_item(dog, by=admin, themes=["agriculture"], life_events=[])
    dog.refresh_from_db()
    assert dog.theme_list == ["agriculture"] and dog.life_event_list == []
    from yiwang.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        services.update_item(dog, by=admin, themes=["nonsense"])
    assert "themes" in exc.value.fields


def test_browse_front_page_lists_non_empty_categories(client, published, dog, tree):
    r = client.get(reverse("catalog:browse"))
    assert r.status_code == 200
    page = r.content.decode()
    assert "按人生事件" in page and "养犬养宠" in page and "按主题" in page
    assert "区民政局" in page and "区人社局" in page  # by department
    assert "县级可办" in page  # by level
    assert "婚姻家庭" not in page  # empty categories are not shown


def test_browse_by_each_facet(client, published, dog, tree, admin):
    item = published.item
    url = reverse("catalog:browse")
    for params, present, absent in (
        ({"department": tree.department.pk}, item.name, dog.name),
        ({"event": "pets"}, dog.name, item.name),
        ({"theme": "assistance"}, item.name, dog.name),
        ({"level": "county"}, item.name, None),
        ({"object": "natural_person"}, item.name, dog.name),
    ):
        page = client.get(url, params).content.decode()
        assert present in page, params
        if absent:
            assert absent not in page, params
    # village admission: not on the village list until the county approves
    assert item.name not in client.get(url, {"level": "village"}).content.decode()
    entry = services.request_level(item, "village", by=admin, reason="下沉")
    assert item.name not in client.get(url, {"level": "village"}).content.decode()
    services.approve_level(entry, by=admin)
    assert item.name in client.get(url, {"level": "village"}).content.decode()
    for bad in ({"theme": "x"}, {"event": "x"}, {"level": "x"}, {"department": "12"}):
        assert client.get(url, bad).status_code == 404


def test_guide_page_has_everything_before_coming(client, published):
    item = published.item
    r = client.get(reverse("catalog:guide", args=[item.pk]))
    assert r.status_code == 200
    page = r.content.decode()
    guide = good_guide()
    for text in (
        item.name,
        item.code,
        guide["fields"]["legal_basis"],
        guide["fields"]["conditions"],
        "申请人居民身份证",
        "临时救助申请书",
        "原件 1 份，复印件 1 份",
        "入户调查核实困难情况",  # what each step requires
        "各环节合计 10 个工作日",
        "10 工作日",  # promised limit with its unit
        "20 工作日",  # statutory
        "不收费",
        guide["fields"]["handling_place"],
        guide["fields"]["handling_hours"],
        guide["fields"]["consult_phone"],
        "12345",
        "可以代办吗？",  # FAQ
        "领取救助金时需核验身份",  # why a visit is needed
        "打印指南",
    ):
        assert text in page, text


def test_guide_page_without_published_guide_and_inactive_items(client, item, admin):
    r = client.get(reverse("catalog:guide", args=[item.pk]))
    assert r.status_code == 200 and "暂未发布" in r.content.decode()
    services.update_item(item, by=admin, is_active=False)
    assert client.get(reverse("catalog:guide", args=[item.pk])).status_code == 404


def test_demo_guide_is_marked(client, published, admin):
    from yiwang.catalog.models import GuideVersion

    item = published.item
    draft = services.create_draft(item, by=admin)
    services.update_draft(draft, by=admin, is_generated=True)
    services.publish(draft, by=admin)
    assert GuideVersion.objects.get(pk=draft.pk).is_generated
    assert "演示数据" in client.get(reverse("catalog:guide", args=[item.pk])).content.decode()


def test_search_page(client, published, dog):
    load_default_synonyms()
    r = client.get(reverse("catalog:search"), {"q": "养狗"})
    assert r.status_code == 200
    page = r.content.decode()
    assert "<mark>犬类准养证</mark>核发" in page and reverse("catalog:guide", args=[dog.pk]) in page
    page = client.get(reverse("catalog:search"), {"q": "代办"}).content.decode()
    assert "常见问题" in page and "可以<mark>代办</mark>吗？" in page
    page = client.get(reverse("catalog:search"), {"q": "qqxxzz"}).content.decode()
    assert "没有找到" in page
    r = client.get(reverse("catalog:search"), {"q": "长" * 150})
    assert r.status_code == 200 and "搜索词过长" in r.content.decode()
    # the home page's search box posts to /guide/?q=…
    r = client.get(reverse("catalog:browse"), {"q": "养狗"})
    assert r.status_code == 302 and r["Location"].startswith(reverse("catalog:search"))


def test_item_edit_page_sets_themes(client, dog, admin):
    from tests.accounts.conftest import verified_login

    verified_login(client, admin)
    url = reverse("catalog:manage_item", args=[dog.pk])
    page = client.get(url).content.decode()
    assert "养犬养宠" in page and 'class="form-select' in page
    r = client.post(
        url,
        {
            "name": dog.name,
            "item_type": dog.item_type,
            "department": dog.department.pk,
            "is_active": "on",
            "themes": ["safety", "agriculture"],
            "life_events": ["pets"],
        },
    )
    assert r.status_code == 302
    dog.refresh_from_db()
    assert dog.theme_list == ["safety", "agriculture"]
