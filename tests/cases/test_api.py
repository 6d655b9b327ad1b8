"""The cases API: status codes, the one error format, scope as 404, 409s."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.accounts.conftest import token_for
from yiwang.cases.models import Case, Status


def _apply(api, w, walk_in, HTTP_ACCEPT_LANGUAGE="zh-hans", **extra):
    token_for(api, w.town_clerk)
    body = {"item": str(w.item.pk), "applicant": walk_in, "submit": True, **extra}
    return api.post(
        "/api/v1/cases/", body, format="json", HTTP_ACCEPT_LANGUAGE=HTTP_ACCEPT_LANGUAGE
    )


def test_clerk_applies_and_accepts(api, world, walk_in):
    w = world
    r = _apply(api, w, walk_in)
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["status"] == "received" and body["case_no"].startswith("511602001000-20260302-")
    assert body["id_number"].startswith("5116") and "*" in body["id_number"]
    assert {"action": "accept", "label": "受理"} in body["actions"]
    r = api.post(
        f"/api/v1/cases/{body['id']}/accept/", {"revision": body["revision"]}, format="json"
    )
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "accepted"
    assert r.json()["promised_due"] == "2026-03-16"
    # Accepting twice: a clear 409 naming the status.
    r = api.post(f"/api/v1/cases/{body['id']}/accept/", {}, format="json")
    assert r.status_code == 409
    assert r.json()["code"] == "case.illegal_transition"
    assert "已受理" in r.json()["message"]
    # A stale revision: 409 case.stale.
    r = api.post(
        f"/api/v1/cases/{body['id']}/refuse/", {"reasons": "x", "revision": 0}, format="json"
    )
    assert r.status_code == 409 and r.json()["code"] == "case.stale"


def test_bad_input_changes_nothing(api, world, walk_in):
    w = world
    r = _apply(api, w, {**walk_in, "id_number": "511602199013011234", "phone": "123"})
    assert r.status_code == 400
    body = r.json()
    assert set(body) == {"code", "message", "fields"}
    assert "applicant.id_number" in body["fields"] and "applicant.phone" in body["fields"]
    assert Case.objects.count() == 0
    r = api.post("/api/v1/cases/", {"item": "not-a-uuid"}, format="json")
    assert r.status_code == 400 and "item" in r.json()["fields"]


@pytest.mark.parametrize(
    "field, value, says",
    [
        ("item", "not-a-uuid", "Incorrect type"),
        ("item", 12, "Incorrect type"),
        ("item", True, "Incorrect type"),
        ("item", "00000000-0000-7000-8000-000000000000", "does not exist"),
        ("item", "inactive", "does not exist"),
        ("hall", "00000000-0000-7000-8000-000000000000", "does not exist"),
        ("issue_hall", [], "Incorrect type"),
    ],
)
def test_an_unknown_or_malformed_item_or_hall_is_named(api, world, walk_in, field, value, says):
    w = world
    if value == "inactive":
        w.item.is_active = False
        w.item.save(update_fields=["is_active"])
        value = str(w.item.pk)
    r = _apply(api, w, walk_in, **{field: value}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400, r.json()
    assert says in r.json()["fields"][field][0]
    assert Case.objects.count() == 0


def test_scope_is_404(api, world, walk_in):
    w = world
    case_id = _apply(api, w, walk_in).json()["id"]
    for outsider in (w.other_clerk, w.other_approver, w.other_citizen):
        token_for(api, outsider)
        assert api.get(f"/api/v1/cases/{case_id}/").status_code == 404
        assert api.post(f"/api/v1/cases/{case_id}/accept/", {}, format="json").status_code == 404
        assert case_id not in [c["id"] for c in api.get("/api/v1/cases/").json()["results"]]
    for insider in (w.town_clerk, w.county_clerk, w.approver):
        token_for(api, insider)
        assert api.get(f"/api/v1/cases/{case_id}/").status_code == 200
    api.credentials()
    assert api.get(f"/api/v1/cases/{case_id}/").status_code in (401, 403)


def test_citizen_online_with_upload(api, world):
    w = world
    token_for(api, w.citizen)
    r = api.post(
        "/api/v1/cases/",
        {"item": str(w.item.pk), "hall": str(w.tree.county_hall.pk)},
        format="json",
    )
    assert r.status_code == 201, r.json()
    case = r.json()
    assert case["status"] == "draft" and case["channel"] == "online"
    assert case["missing_materials"]
    r = api.post(f"/api/v1/cases/{case['id']}/submit/", {}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "case.materials_missing"
    # A file whose content is not PDF/JPG/PNG/OFD is refused whatever its name.
    r = api.post(
        f"/api/v1/cases/{case['id']}/materials/",
        {"file": SimpleUploadedFile("a.pdf", b"MZ\x90\x00 not a pdf"), "name": "x"},
        format="multipart",
    )
    assert r.status_code == 400 and r.json()["code"] == "case.upload_type"
    version = Case.objects.get(pk=case["id"]).version
    for m in version.materials.filter(required=True, source="applicant"):
        r = api.post(
            f"/api/v1/cases/{case['id']}/materials/",
            {
                "file": SimpleUploadedFile("../../etc/申请书.pdf", b"%PDF-1.4\n%test\n"),
                "requirement": str(m.pk),
            },
            format="multipart",
        )
        assert r.status_code == 201, r.json()
        assert r.json()["original_name"] == "申请书.pdf"
    r = api.post(f"/api/v1/cases/{case['id']}/submit/", {}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "received"
    detail = api.get(f"/api/v1/cases/{case['id']}/").json()
    url = detail["materials"][0]["url"]
    # Materials download only for those whose scope holds the case.
    from django.test import Client

    from tests.accounts.conftest import verified_login

    page = Client()
    page.force_login(w.citizen)
    response = page.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    page.force_login(w.other_citizen)
    assert page.get(url).status_code == 404
    assert verified_login(Client(), w.other_clerk).get(url).status_code == 404
    assert verified_login(Client(), w.county_clerk).get(url).status_code == 200
    r = api.post(f"/api/v1/cases/{case['id']}/withdraw/", {"reason": "不办了"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == Status.CANCELLED


def test_queue_sorted_by_urgency(api, world, walk_in, clock):
    import datetime as dt

    from yiwang.cases import services

    w = world
    ids = []
    for day in (dt.date(2026, 3, 4), dt.date(2026, 3, 2), dt.date(2026, 3, 3)):
        clock.set_day(day)
        case = services.create_draft(w.item, by=w.town_clerk, applicant=walk_in)
        services.submit(case, by=w.town_clerk)
        services.accept(case, by=w.town_clerk)
        ids.append(str(case.pk))
    token_for(api, w.approver)
    r = api.get("/api/v1/cases/queue/")
    assert r.status_code == 200
    order = [e["case"]["id"] for e in r.json()["results"]]
    assert order == [ids[1], ids[2], ids[0]]
    token_for(api, w.other_approver)
    assert api.get("/api/v1/cases/queue/").json()["results"] == []


def test_public_progress(api, world, walk_in):
    w = world
    case = _apply(api, w, walk_in).json()
    api.credentials()
    r = api.get("/api/v1/progress/", {"case_no": case["case_no"], "phone": walk_in["phone"]})
    assert r.status_code == 200
    assert r.json()["status"] == "received" and r.json()["applicant_name"] == "*大明"
    r = api.get("/api/v1/progress/", {"case_no": case["case_no"], "phone": "13900009999"})
    assert r.status_code == 404
    r = api.get("/api/v1/progress/")
    assert r.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_notifications_and_pdf(api, world, walk_in, django_capture_on_commit_callbacks):
    """After commit the worker renders the notice and tells the applicant."""
    from yiwang.cases import services
    from yiwang.cases.models import Notification, OutgoingMessage

    w = world
    with django_capture_on_commit_callbacks(execute=True):
        case = services.create_draft(w.item, by=w.citizen, hall=w.tree.county_hall)
    from yiwang.catalog.models import MaterialRequirement

    for m in MaterialRequirement.objects.filter(
        version=case.version, required=True, source="applicant"
    ):
        services.add_material(
            case, by=w.citizen, requirement=m.pk, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 x")
        )
    with django_capture_on_commit_callbacks(execute=True):
        case = services.submit(case, by=w.citizen)
    with django_capture_on_commit_callbacks(execute=True):
        services.accept(case, by=w.county_clerk)
    notes = list(Notification.objects.filter(user=w.citizen).values_list("message", flat=True))
    assert any("已受理" in n for n in notes) and any("已接件" in n for n in notes)
    assert OutgoingMessage.objects.filter(text__contains=case.case_no).count() == 2
    doc = case.documents.get(kind="acceptance")
    doc.refresh_from_db()
    assert doc.path and doc.rendered_at
    from yiwang.cases.documents import document_path

    data = document_path(doc).read_bytes()
    assert data.startswith(b"%PDF")


def test_attachments_are_in_the_timeline(api, world, walk_in):
    w = world
    case = _apply(api, w, walk_in).json()
    api.post(f"/api/v1/cases/{case['id']}/accept/", {}, format="json")
    token_for(api, w.approver)
    url = f"/api/v1/cases/{case['id']}/attach/"
    r = api.post(
        url,
        {"file": SimpleUploadedFile("r.txt", b"plain text"), "name": "核查报告"},
        format="multipart",
    )
    assert r.status_code == 400 and r.json()["code"] == "case.upload_type"
    r = api.post(
        url,
        {
            "file": SimpleUploadedFile("核查.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64),
            "name": "实地核查照片",
            "opinion": "现场照片",
        },
        format="multipart",
    )
    assert r.status_code == 200, r.json()
    last = r.json()["events"][-1]
    assert last["action"] == "attach" and last["data"]["name"] == "实地核查照片"
    assert last["actor_name"] == w.approver.real_name and last["opinion"] == "现场照片"
    assert any(m["name"] == "实地核查照片" for m in r.json()["materials"])
    token_for(api, w.other_approver)
    assert (
        api.post(
            url, {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.4"), "name": "x"}, format="multipart"
        ).status_code
        == 404
    )
    token_for(api, w.citizen)  # not the applicant of this walk-in case: not even visible
    assert (
        api.post(
            url, {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.4"), "name": "x"}, format="multipart"
        ).status_code
        == 404
    )


def test_moves_take_the_bodies_of_the_moves_table(api, world, walk_in):
    """A body the move's serializer refuses is a 400 in the one error format;
    a rule that needs the case is the service's, with its message."""
    w = world
    case = _apply(api, w, walk_in).json()
    url = f"/api/v1/cases/{case['id']}/refuse/"
    r = api.post(url, {"reasons": "x" * 2001}, format="json")
    assert r.status_code == 400 and set(r.json()) == {"code", "message", "fields"}
    assert r.json()["code"] == "invalid" and "reasons" in r.json()["fields"]
    r = api.post(url, {"reasons": "  "}, format="json")
    assert r.status_code == 400 and r.json()["fields"]["reasons"] == ["请填写不予受理的理由"]
    assert Case.objects.get(pk=case["id"]).status == Status.RECEIVED
    r = api.post(url, {"reasons": "不属于本机关职权范围"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == Status.REFUSED


def test_extension_buttons_from_the_read_extensions(api, world, walk_in):
    """The decider's buttons: another approver may decide a requested
    extension, the one who asked may not; the detail reads the case's
    extensions once (its prefetch), not once more per transition."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from yiwang.cases import services

    w = world
    case = services.create_draft(w.item, by=w.county_clerk, applicant=walk_in)
    services.submit(case, by=w.county_clerk)
    services.accept(case, by=w.county_clerk)
    services.request_extension(case, by=w.approver, days=10, reason="情况复杂需实地核查")

    def actions(user):
        token_for(api, user)
        with CaptureQueriesContext(connection) as queries:
            r = api.get(f"/api/v1/cases/{case.pk}/")
        assert r.status_code == 200, r.json()
        reads = [q for q in queries.captured_queries if '"cases_extension"' in q["sql"]]
        assert len(reads) == 1, [q["sql"][:120] for q in reads]
        return {a["action"] for a in r.json()["actions"]}

    assert "decide_extension" in actions(w.approver2)
    assert "decide_extension" not in actions(w.approver)


def test_a_move_answers_what_a_fresh_read_shows(api, world, walk_in):
    """A move's answer is the case as the service left it, its relations
    read onto it: the same as the detail read afterwards, through the whole
    back office (and for a move answering with an extension)."""
    w = world
    case = _apply(api, w, walk_in).json()
    url = f"/api/v1/cases/{case['id']}/"

    def move(user, action, body=None):
        token_for(api, user)
        r = api.post(f"{url}{action.replace('_', '-')}/", body or {}, format="json")
        assert r.status_code == 200, r.json()
        assert r.json() == api.get(url).json(), action
        return r.json()

    # The list's filters are the list's: the detail is the case whatever they say.
    token_for(api, w.town_clerk)
    assert api.get(url, {"status": "draft"}).json()["status"] == "received"
    listed = api.get("/api/v1/cases/", {"status": "draft"}).json()
    assert case["id"] not in {c["id"] for c in listed["results"]}
    moved = move(w.town_clerk, "accept", {"opinion": "材料齐全"})
    assert moved["status"] == "accepted" and moved["steps"] and moved["documents"]
    assert [e["action"] for e in moved["events"]][-1] == "accept"
    move(w.approver, "claim")
    asked = move(w.approver, "request_extension", {"days": 10, "reason": "情况复杂需实地核查"})
    decided = move(w.approver2, "decide_extension", {"approve": True, "note": "同意"})
    assert decided["statutory_due"] > asked["statutory_due"]  # ISO dates
    passed = move(w.approver, "pass", {"opinion": "同意"})
    assert passed["revision"] > moved["revision"]
