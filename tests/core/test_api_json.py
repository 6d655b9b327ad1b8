"""The API's JSON: written and read by orjson, what DRF's own renderer and
parser give (byte for byte, floats with an exponent aside)."""

import datetime as dt
import decimal
import io
import json
import uuid

import pytest
from django.utils.translation import gettext_lazy
from rest_framework import parsers, renderers
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.test import APIRequestFactory
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList
from rest_framework.views import APIView

from yiwang.core.api import JSONParser, JSONRenderer

SHANGHAI = dt.timezone(dt.timedelta(hours=8))

RICH = ReturnDict(
    {
        "id": uuid.UUID("0193a3c2-7f00-7abc-8def-0123456789ab"),
        "at_utc": dt.datetime(2026, 12, 5, 8, 1, 2, 345678, tzinfo=dt.UTC),
        "at_shanghai": dt.datetime(2026, 12, 5, 16, 1, 2, tzinfo=SHANGHAI),
        "naive": dt.datetime(2026, 12, 5, 16, 1, 2),
        "day": dt.date(2026, 12, 5),
        "time": dt.time(9, 30),
        "took": dt.timedelta(days=1, seconds=3),
        "fee": decimal.Decimal("12.50"),
        "label": gettext_lazy("请先登录"),
        "blob": b"raw",
        "name": "广安区 “一网通办” …",
        "separators": "a\u2028b\u2029c",
        "counts": {1: "one", 2: "two"},
        "steps": ReturnList([{"n": 1, "ok": True, "note": None, "ratio": 0.1}], serializer=None),
        "pair": (1, 2),
        "big": 2**70,
    },
    serializer=None,
)


def drf(data, media_type="application/json", context=None):
    return renderers.JSONRenderer().render(data, media_type, context or {})


def test_the_renderer_writes_what_drf_writes():
    ours = JSONRenderer().render(RICH, "application/json", {})
    assert ours == drf(RICH)
    assert "\u2028".encode() not in ours and b"\\u2028" in ours  # kept a JavaScript subset
    assert "广安区".encode() in ours  # UTF-8, not \\u escapes
    without_big = {k: v for k, v in RICH.items() if k != "big"}  # orjson's own path
    assert JSONRenderer().render(without_big, "application/json", {}) == drf(without_big)


@pytest.mark.parametrize(
    "media_type,context",
    [("application/json; indent=2", {}), ("application/json", {"indent": 4}), (None, {})],
)
def test_indenting_and_no_media_type_are_as_drf_has_them(media_type, context):
    data = {"a": [1, 2], "b": "乙"}
    assert JSONRenderer().render(data, media_type, context) == drf(data, media_type, context)


def test_nothing_renders_as_no_bytes():
    assert JSONRenderer().render(None) == b""


def parse(body: bytes, encoding="utf-8"):
    # DRF's request gives the parser the charset of the Content-Type.
    return JSONParser().parse(io.BytesIO(body), "application/json", {"encoding": encoding})


@pytest.mark.parametrize(
    "body",
    [
        '{"item": "x", "applicant": {"name": "张三", "id_number": "51160219900101123X"}}',
        '{"n": 123456789012345678901234, "m": -9223372036854775809}',  # exact, not floats
        '{"n": 1.5e3, "list": [true, false, null], "a": 1, "a": 2}',
        '"\\ud800"',  # a lone surrogate, which orjson refuses
        "[1e400]",  # infinity, which orjson refuses and DRF's parser reads
    ],
)
def test_the_parser_reads_what_drf_reads(body):
    raw = body.encode()
    drf_parsed = parsers.JSONParser().parse(io.BytesIO(raw), "application/json", {})
    assert parse(raw) == drf_parsed == json.loads(body)


def test_another_charset_is_read_as_declared():
    body = '{"name": "café"}'.encode("latin-1")
    assert parse(body, "latin-1") == {"name": "café"}


@pytest.mark.parametrize("body", [b"{", b"NaN", b'{"a": 1,}', b"\xff"])
def test_bad_json_is_refused_as_drf_refuses_it(body):
    with pytest.raises(ParseError) as ours:
        parse(body)
    with pytest.raises(ParseError) as theirs:
        parsers.JSONParser().parse(io.BytesIO(body), "application/json", {})
    assert str(ours.value.detail) == str(theirs.value.detail)


class Echo(APIView):
    authentication_classes = []
    permission_classes = []

    def post(self, request):
        return Response({"got": request.data, "at": dt.datetime(2026, 12, 5, tzinfo=dt.UTC)})


def test_api_views_use_them_by_default():
    assert api_settings.DEFAULT_RENDERER_CLASSES[0] is JSONRenderer
    assert api_settings.DEFAULT_PARSER_CLASSES[0] is JSONParser
    factory = APIRequestFactory()
    view = Echo.as_view()
    body = json.dumps({"name": "李四", "n": 10**20}, ensure_ascii=False).encode()
    resp = view(factory.post("/", body, content_type="application/json"))
    resp.render()
    assert resp.status_code == 200
    assert (
        resp.content
        == '{"got":{"name":"李四","n":100000000000000000000},"at":"2026-12-05T00:00:00Z"}'.encode()
    )
    bad = view(factory.post("/", b"{oops", content_type="application/json"))
    bad.render()
    assert bad.status_code == 400
    assert json.loads(bad.content)["code"] == "parse_error"
