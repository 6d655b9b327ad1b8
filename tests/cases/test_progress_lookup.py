"""The public progress lookup bounds guessing: an address that misses too
often within the hour is refused, on the API and on the page alike."""

from __future__ import annotations

import pytest

from tests.accounts.conftest import token_for
from yiwang.cases import progress_lookup

API = "/api/v1/progress/"
PAGE = "/cases/progress/"


@pytest.fixture
def submitted(api, world, walk_in, settings):
    settings.YIWANG_PROGRESS_MAX_MISSES = 3
    token_for(api, world.town_clerk)
    body = {"item": str(world.item.pk), "applicant": walk_in, "submit": True}
    case = api.post("/api/v1/cases/", body, format="json").json()
    api.credentials()
    return case


def _api(api, case_no, phone, ip="10.0.0.1"):
    return api.get(API, {"case_no": case_no, "phone": phone}, REMOTE_ADDR=ip)


def test_misses_are_counted_per_address_and_hits_are_free(api, submitted, walk_in):
    no, phone = submitted["case_no"], walk_in["phone"]
    assert _api(api, no, "13900009999").status_code == 404
    assert _api(api, no, "13900009998").status_code == 404
    for _ in range(5):  # found lookups never count
        assert _api(api, no, phone).status_code == 200
    assert _api(api, no[:-1] + "9", phone).status_code == 404  # the third miss
    refused = _api(api, no, phone)  # right this time, but refused
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "progress.too_many_misses" and "一小时后再试" in body["message"]
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "applicant_name" not in body
    # Another address is not affected.
    assert _api(api, no, phone, ip="10.0.0.2").status_code == 200


def test_the_page_refuses_the_same_way(api, client, submitted, walk_in, world):
    no, phone = submitted["case_no"], walk_in["phone"]
    found = client.get(PAGE, {"no": no, "phone": phone}, REMOTE_ADDR="10.0.0.8")
    assert found.status_code == 200 and world.item.name in found.content.decode()
    for n in range(3):
        page = client.get(PAGE, {"no": no, "phone": f"1390000999{n}"}, REMOTE_ADDR="10.0.0.7")
        assert page.status_code == 200 and "未找到该办件" in page.content.decode()
    page = client.get(PAGE, {"no": no, "phone": phone}, REMOTE_ADDR="10.0.0.7")
    assert page.status_code == 429 and 0 < int(page["Retry-After"]) <= 3600
    text = page.content.decode()
    assert "查询失败次数过多" in text and world.item.name not in text
    # The page's misses and the API's are one count.
    assert _api(api, no, phone, ip="10.0.0.7").status_code == 429


def test_the_count_ends_with_its_hour(api, submitted, walk_in, monkeypatch):
    no, phone = submitted["case_no"], walk_in["phone"]
    hour = 1_800_000_000 // 3600 * 3600
    monkeypatch.setattr(progress_lookup.time, "time", lambda: hour + 10)
    for n in range(3):
        assert _api(api, no, f"1390000999{n}").status_code == 404
    refused = _api(api, no, phone)
    assert refused.status_code == 429 and refused["Retry-After"] == "3590"
    monkeypatch.setattr(progress_lookup.time, "time", lambda: hour + 3600 + 1)
    assert _api(api, no, phone).status_code == 200


def test_behind_trusted_proxies_each_client_has_its_own_count(api, submitted, walk_in, settings):
    settings.YIWANG_TRUSTED_PROXIES = ["10.9.0.1", "10.9.0.2"]
    no, phone = submitted["case_no"], walk_in["phone"]

    def via_proxy(client_addr, phone):
        # The client forges a first hop; the two proxies append what they saw.
        forwarded = f"6.6.6.6, {client_addr}, 10.9.0.2"
        return api.get(
            API,
            {"case_no": no, "phone": phone},
            REMOTE_ADDR="10.9.0.1",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    for n in range(3):
        assert via_proxy("203.0.113.7", f"1390000999{n}").status_code == 404
    assert via_proxy("203.0.113.7", phone).status_code == 429
    assert via_proxy("203.0.113.8", phone).status_code == 200  # a neighbour behind the proxy
    # The forged hop is never trusted: asking as 6.6.6.6 directly is a fresh count.
    assert _api(api, no, phone, ip="6.6.6.6").status_code == 200


def test_an_unreachable_cache_does_not_take_the_lookup_down(
    api, submitted, walk_in, monkeypatch, caplog
):
    class Down:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("redis is down")

            return fail

    monkeypatch.setattr(progress_lookup, "cache", Down())
    no, phone = submitted["case_no"], walk_in["phone"]
    assert _api(api, no, "13900009999").status_code == 404
    assert _api(api, no, phone).status_code == 200
    assert "cache is unreachable" in caplog.text


def test_zero_switches_the_guard_off(api, submitted, walk_in, settings, monkeypatch):
    settings.YIWANG_PROGRESS_MAX_MISSES = 0
    monkeypatch.setattr(progress_lookup, "cache", None)  # not even asked
    no, phone = submitted["case_no"], walk_in["phone"]
    for n in range(5):
        assert _api(api, no, f"1390000999{n}").status_code == 404
    assert _api(api, no, phone).status_code == 200


def test_the_refusal_speaks_english_to_english_readers(api, submitted):
    for n in range(3):
        _api(api, submitted["case_no"], f"1390000999{n}")
    refused = api.get(
        API,
        {"case_no": submitted["case_no"], "phone": "13900009990"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 429
    assert refused.json()["message"].startswith("Too many failed lookups")
