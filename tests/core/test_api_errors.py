"""The one error format, for every kind of failure."""

import pytest
from rest_framework import exceptions
from rest_framework.test import APIRequestFactory

from yiwang.core.api import exception_handler
from yiwang.core.errors import Conflict, NotFound, ValidationFailed


@pytest.mark.parametrize(
    "exc,status,code",
    [
        (
            ValidationFailed(
                "身份证号码有误", code="rid_checksum", fields={"id_number": "校验码应为 X"}
            ),
            400,
            "rid_checksum",
        ),
        (NotFound("未找到"), 404, "not_found"),
        (Conflict("已被他人受理"), 409, "conflict"),
        (exceptions.NotAuthenticated(), 401, "not_authenticated"),
        (exceptions.MethodNotAllowed("DELETE"), 405, "method_not_allowed"),
        (exceptions.ValidationError({"name": ["必填"]}), 400, "invalid"),
    ],
)
def test_every_error_has_code_message_fields(exc, status, code):
    request = APIRequestFactory().get("/")
    resp = exception_handler(exc, {"request": request})
    assert resp.status_code == status
    assert set(resp.data) == {"code", "message", "fields"}
    assert resp.data["code"] == code
    assert resp.data["message"]
    assert isinstance(resp.data["fields"], dict)


def test_validation_fields_are_lists_of_messages():
    resp = exception_handler(
        exceptions.ValidationError({"name": ["必填"], "phone": {"x": ["坏"]}}), {}
    )
    assert resp.data["fields"] == {"name": ["必填"], "phone": ["坏"]}
    assert "必填" in resp.data["message"]


def test_unexpected_exception_is_left_to_django():
    assert exception_handler(RuntimeError("bug"), {}) is None


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/cases/", "/api/v1/citizens/"])
def test_a_call_without_credentials_is_401_with_the_token_scheme(client, path):
    resp = client.get(path, HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert resp.status_code == 401
    assert resp["WWW-Authenticate"] == "Token"
    body = resp.json()
    assert body["code"] == "not_authenticated" and body["message"] == "请先登录。"


@pytest.mark.django_db
def test_a_bad_token_is_401_not_403(client):
    resp = client.get(
        "/api/v1/cases/", HTTP_AUTHORIZATION="Token nope", HTTP_ACCEPT="application/json"
    )
    assert resp.status_code == 401
    assert resp.json()["code"] == "authentication_failed"
