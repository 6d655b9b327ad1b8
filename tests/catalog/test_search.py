"""Search over the catalog: the index follows the services, the API and the
page find what people mean (jieba, pinyin, initials, synonyms, typos), and
the synonym dictionary is editable by catalog administrators."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from tests.accounts.conftest import verified_login
from yiwang.catalog import indexing, services
from yiwang.catalog.codesets import ItemType
from yiwang.core.search import load_default_synonyms, search
from yiwang.core.search.models import SearchDocument, SearchSynonym

from .factories import good_guide

pytestmark = pytest.mark.django_db

ITEMS = [
    ("513A0011200066-511602000000-000-1151130000877869M-1-00", "居民身份证挂失申报、丢失招领"),
    ("513A0011200068-511602000000-000-1151130000877869M-1-00", "居民身份证办理（包括临时）"),
    ("511A09001023-511602000000-000-11511300008778693M-1-00", "犬类准养证核发"),
    ("511A0148700001-511602000000-000-11511301MB051073XA-1-00", "个体工商户设立登记"),
    ("512B0003600029-511602000000-000-11511301008778298W-1-00", "最低生活保障"),
    ("512B0070100003-511602000000-000-1151130108778239R-1-00", "失业保险金申领"),
]


@pytest.fixture
def catalog(tree, admin):
    load_default_synonyms()
    made = {}
    for code, name in ITEMS:
        item = services.create_item(
            by=admin,
            code=code,
            name=name,
            item_type=ItemType.PUBLIC_SERVICE,
            department=tree.department,
        )
        made[name] = item
    return made


def titles(q, **kw):
    return [h.title for h in search(q, kinds="item", limit=3, **kw)]


def test_items_are_indexed_as_they_are_created_and_edited(catalog, admin):
    assert SearchDocument.objects.filter(kind="item").count() == len(ITEMS)
    item = catalog["最低生活保障"]
    services.update_item(item, by=admin, name="城乡最低生活保障")
    assert titles("城乡低保")[0] == "城乡最低生活保障"
    services.update_item(item, by=admin, is_active=False)
    assert "城乡最低生活保障" not in titles("最低生活保障")


@pytest.mark.parametrize(
    "question, expected",
    [
        ("yyzz", "个体工商户设立登记"),  # initials of 营业执照, via the synonym dictionary
        ("身份证丢了怎么办", "居民身份证挂失申报、丢失招领"),
        ("养狗要登记吗", "犬类准养证核发"),
        ("qlzyz", "犬类准养证核发"),  # initials of the item's own words
        ("quanlei", "犬类准养证核发"),  # full pinyin
        ("失业保显金", "失业保险金申领"),  # homophone typo
        ("犬类准羊证", "犬类准养证核发"),
        ("营业执造", "个体工商户设立登记"),  # homophone typo of a dictionary term
        ("家里困难怎么申请低保", "最低生活保障"),
    ],
)
def test_search_understands_how_people_ask(catalog, question, expected):
    assert expected in titles(question), (question, titles(question))


def test_publishing_indexes_the_guide_and_its_faq(catalog, admin):
    item = catalog["犬类准养证核发"]
    draft = item.versions.get()
    guide = good_guide(
        fields={"name": item.name, "faq": "问：狗证每年要年审吗？\n答：每年年审一次。"}
    )
    services.fill_draft(draft, by=admin, **guide)
    assert not search("狗证年审", kinds="faq")
    services.publish(draft, by=admin)
    hits = search("狗证年审", kinds="faq")
    assert hits and hits[0].data["item_name"] == "犬类准养证核发"
    assert hits[0].data["url"] == reverse("catalog:guide", args=[item.pk])
    # the guide's materials are in the item's body: found by what they ask for
    doc = SearchDocument.objects.get(kind="item", object_id=str(item.pk))
    assert "申请人居民身份证" in doc.body and doc.data["published"] is True
    services.retire(item.versions.get(status="published"), by=admin)
    assert not search("狗证年审", kinds="faq")


def test_faq_pairs():
    assert indexing.faq_pairs("问：可以代办吗？答：可以。\n问：收费吗？\n答：不收费。") == [
        ("可以代办吗？", "可以。"),
        ("收费吗？", "不收费。"),
    ]


def test_reindex_command_rebuilds(catalog, admin):
    from django.core.management import call_command

    SearchDocument.objects.all().delete()
    call_command("catalog", "reindex")
    assert SearchDocument.objects.filter(kind="item").count() == len(ITEMS)


# --- the API -------------------------------------------------------------------


def test_search_api(api, catalog):
    r = api.get("/api/v1/search/", {"q": "yyzz", "kind": "item"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["results"][0]["title"] in {"个体工商户设立登记"}
    hit = body["results"][0]
    assert hit["url"] == reverse("catalog:guide", args=[catalog["个体工商户设立登记"].pk])
    assert hit["code"] and hit["department"] == "区民政局"
    r = api.get("/api/v1/search/", {"q": "身份证丢了"})
    assert r.json()["results"][0]["title"] == "居民身份证挂失申报、丢失招领"
    assert "<mark>" in r.json()["results"][0]["highlight"]


def test_search_api_bad_input(api, catalog):
    r = api.get("/api/v1/search/", {"q": "很长" * 60})
    assert r.status_code == 400
    assert r.json()["code"] == "invalid" and "q" in r.json()["fields"]
    assert api.get("/api/v1/search/", {"q": "x", "kind": "nope"}).status_code == 400
    assert api.get("/api/v1/search/").status_code == 400
    r = api.get("/api/v1/search/", {"q": "   "})
    assert r.status_code == 200 and r.json()["count"] == 0


def test_synonym_api_is_for_catalog_admins(api, catalog, admin, clerk):
    payload = {"term": "狗证", "expansions": ["犬类准养证"]}
    assert api.post("/api/v1/search-synonyms/", payload, format="json").status_code in (401, 403)
    api.force_authenticate(clerk)
    assert api.post("/api/v1/search-synonyms/", payload, format="json").status_code == 403
    api.force_authenticate(admin)
    SearchSynonym.objects.filter(term="狗证").delete()
    r = api.post("/api/v1/search-synonyms/", payload, format="json")
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    r = api.patch(f"/api/v1/search-synonyms/{pk}/", {"expansions": []}, format="json")
    assert r.status_code == 400
    assert api.delete(f"/api/v1/search-synonyms/{pk}/").status_code == 204


# --- the editable dictionary (page) -------------------------------------------


def test_editing_the_dictionary_changes_search_at_once(client, catalog, admin):
    verified_login(client, admin)
    assert "最低生活保障" not in titles("兜底")
    url = reverse("catalog:manage_synonyms")
    r = client.post(url, {"term": "兜底", "expansions": "最低生活保障", "is_active": "on"})
    assert r.status_code == 302
    assert "最低生活保障" in titles("兜底")
    synonym = SearchSynonym.objects.get(term="兜底")
    r = client.post(
        reverse("catalog:manage_synonym", args=[synonym.pk]),
        {"term": "兜底", "expansions": "失业保险金申领", "is_active": "on"},
    )
    assert r.status_code == 302
    assert titles("兜底")[0] == "失业保险金申领"
    page = client.get(url, {"q": "兜底", "try": "兜底"}).content.decode()
    assert "失业保险金申领" in page
    client.post(reverse("catalog:manage_synonym", args=[synonym.pk]), {"delete": "1"})
    assert not SearchSynonym.objects.filter(term="兜底").exists()
    # bad input: a clear message, nothing saved
    r = client.post(url, {"term": "空的", "expansions": " / "})
    assert r.status_code == 200 and "至少填写一个扩展词" in r.content.decode()
    assert not SearchSynonym.objects.filter(term="空的").exists()


def test_dictionary_page_is_for_catalog_admins(client, clerk):
    verified_login(client, clerk)
    assert client.get(reverse("catalog:manage_synonyms")).status_code == 404


# PostgreSQL names each recall query's way in (see engine._Tsvector): these
# force each of them on the few documents of a test.
WAYS_IN = {
    "as it comes": {},
    # the kinds searched count as few documents, the index's candidates as many
    "walking the kinds": {"SMALL_KINDS": 10**9, "MANY_CANDIDATES": 0},
    # as many documents, ranked among the first few matches only, and the
    # first matches found by walking the table
    "walking the table": {"SMALL_KINDS": 0, "RANK_LIMIT": 3, "DENSE": 0.0},
}


def use_way_in(monkeypatch, way_in):
    from yiwang.core.search import engine

    if connection.vendor == "postgresql":
        for name, value in WAYS_IN[way_in].items():
            monkeypatch.setattr(engine._Tsvector, name, value)
    elif WAYS_IN[way_in]:
        pytest.skip("PostgreSQL's ways into its index")


@pytest.fixture
def pruned(monkeypatch):
    """Either database ranks at most 5 matches whole; the list of what
    engine._prune returned, call by call."""
    from yiwang.core.search import engine

    monkeypatch.setattr(engine, "RANK_CAP", 5)
    monkeypatch.setattr(engine, "PG_RANK_CAP", 5)
    calls: list = []
    prune = engine._prune
    monkeypatch.setattr(engine, "_prune", lambda *a: calls.append(prune(*a)) or calls[-1])
    engine._forget_statistics()
    load_default_synonyms()
    return calls


@pytest.mark.parametrize("way_in", WAYS_IN)
def test_common_words_neither_crowd_out_nor_slow_down_the_items(monkeypatch, pruned, way_in):
    """Many FAQ entries share the question's words: ranking them all is
    bounded (the commonest phrases are left out of the database's ranking,
    kind by kind), yet the items come as they do alone, the FAQ entry that
    holds the rare word comes first among the FAQ, those that only share the
    common words still come after it, and scope filters hold."""
    from yiwang.core.search import reindex

    use_way_in(monkeypatch, way_in)
    reindex(
        "item",
        [
            {"object_id": "i1", "title": "旅馆业特种行业许可证核发"},
            {"object_id": "i2", "title": "公章刻制业特种行业许可证核发"},
            {"object_id": "i3", "title": "烟草专卖零售许可证新办"},
        ],
    )
    faq = [
        {"object_id": f"f{n}", "title": f"办理烟草专卖零售许可证第{n}问", "weight": 0.8}
        for n in range(40)
    ]
    faq.append(
        {"object_id": "f-hotel", "title": "办理旅馆业特种行业许可证核发要多久", "weight": 0.8}
    )
    faq.append(
        {"object_id": "f-private", "title": "旅馆业特种行业许可证核发内部说明", "public": False}
    )
    reindex("faq", faq)

    alone = [h.object_id for h in search("开宾馆要什么许可", kinds="item")]
    every = [h.object_id for h in search("开宾馆要什么许可", limit=20)]
    assert alone[0] == "i1"
    assert [i for i in every if i.startswith("i")] == alone
    faqs = [h.object_id for h in search("开宾馆要什么许可", kinds="faq")]
    assert faqs[0] == "f-hotel"
    assert len(faqs) == 10 and set(faqs[1:]) <= {f"f{n}" for n in range(40)}
    assert "f-private" not in every + faqs
    private = [h.object_id for h in search("开宾馆要什么许可", kinds="faq", include_private=True)]
    assert private[:2] == ["f-private", "f-hotel"]
    assert any(p is not None for p in pruned)  # the pruned path was taken


@pytest.mark.parametrize("way_in", WAYS_IN)
def test_few_items_among_many_faq_are_counted_and_ranked_whole(monkeypatch, pruned, way_in):
    """A word in many FAQ entries and few items: over every kind, more
    documents hold the question's words than the database ranks whole, and
    it ranks by the rarer ones, kind by kind; the items, counted and few, are
    ranked by all of them — the same items in the same order as alone."""
    from yiwang.core.search import reindex

    use_way_in(monkeypatch, way_in)
    reindex(
        "item",
        [
            {"object_id": "card", "title": "社会保障卡申领"},
            {"object_id": "lost", "title": "社会保障卡挂失"},
            {"object_id": "id", "title": "居民身份证办理"},
            {"object_id": "shop", "title": "个体工商户设立登记"},
        ],
    )
    faq = [{"object_id": f"card{n}", "title": f"社会保障卡第{n}问"} for n in range(8)]
    faq += [{"object_id": f"other{n}", "title": f"其他事项第{n}问"} for n in range(20)]
    reindex("faq", faq)

    alone = [h.object_id for h in search("社会保障卡挂失", kinds="item")]
    assert alone == ["lost", "card"]
    pruned.clear()
    every = [h.object_id for h in search("社会保障卡挂失", limit=20)]
    assert any(p is not None for p in pruned)
    assert [i for i in every if i in ("card", "lost", "id", "shop")] == alone
    assert {i for i in every if i.startswith("card")} >= {f"card{n}" for n in range(8)}
