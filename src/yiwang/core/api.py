"""API plumbing shared by every app: the one error format, the serializer
base, and the core routes.

Every error body is ``{"code": str, "message": str, "fields": {name: [str]}}``.
"""

from __future__ import annotations

import contextlib
import copy
import io
import re

import orjson
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from rest_framework import exceptions, parsers, renderers, serializers, status
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from .errors import ServiceError, ValidationFailed
from .prepared import PreparedQuery


class _FieldsOncePerClass:
    """The field set worked out once per serializer class instead of on
    every instance (for a model serializer, reading the model's fields and
    building each serializer field is most of the cost of serializing one
    object; for any serializer, DRF deep-copies every declared field, which
    builds each one anew). Each instance gets its own copy of every field to
    bind: a shallow one (binding only sets attributes of the copy; a nested
    serializer's copy binds fields of its own when first asked), or a deep
    one, as DRF makes, for a field holding a bound child (a list or dict
    field, a to-many relation, ``many=True``). Not for serializers whose
    fields depend on the instance or the request."""

    _DEEP = (
        serializers.ListSerializer,
        serializers.ListField,
        serializers.DictField,
        serializers.ManyRelatedField,
    )

    def get_fields(self):
        cls = type(self)
        prototype = cls.__dict__.get("_field_prototype")
        if prototype is None:
            prototype = super().get_fields()
            cls._field_prototype = prototype
        deep = self._DEEP
        fields = {}
        for name, field in prototype.items():
            if isinstance(field, deep):
                fields[name] = copy.deepcopy(field)
            else:
                # copy.copy, without its generic protocol (a tenth of a
                # response's cost with thirty fields).
                twin = object.__new__(type(field))
                twin.__dict__.update(field.__dict__)
                twin.__dict__.pop("fields", None)  # a nested serializer's own
                fields[name] = twin
        return fields


class Serializer(_FieldsOncePerClass, serializers.Serializer):
    """The base of the apps' plain (input) serializers."""


class ModelSerializer(_FieldsOncePerClass, serializers.ModelSerializer):
    """The base of the apps' model serializers."""


# --- JSON ---------------------------------------------------------------------

# DRF's own JSON writer and reader, with the encoding and decoding done by
# orjson (C) instead of the standard library's json with DRF's Python hooks:
# ~0.1 ms of every API call here. The same text: compact, UTF-8, U+2028 and
# U+2029 escaped, dates, times and everything else orjson does not write
# itself (lazy strings, decimals, bytes, querysets …) by DRF's encoder; only
# a float with an exponent is spelt otherwise (1e16, not 1e+16). What
# orjson cannot write (an integer beyond 64 bits) and pretty-printing
# (``indent``) take DRF's own path; a NaN, which DRF refuses, is written null.
_ORJSON_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)
_LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


class JSONRenderer(renderers.JSONRenderer):
    """``REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"]``: see above."""

    _default = JSONEncoder().default

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        context = renderer_context or {}
        if accepted_media_type and accepted_media_type != self.media_type:
            indent = self.get_indent(accepted_media_type, context)  # "…; indent=4"
        else:
            indent = context.get("indent")
        if indent is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=self._default, option=_ORJSON_OPTIONS)
        except (orjson.JSONEncodeError, ValueError):
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80" in out:
            for raw, escaped in _LINE_SEPARATORS:
                out = out.replace(raw, escaped)
        return out


_UTF8 = ("utf-8", "utf8")
_LONG_NUMBER = re.compile(rb"[0-9]{19}")


class JSONParser(parsers.JSONParser):
    """``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``: a UTF-8 body read by
    orjson. DRF's parser reads what orjson would read otherwise or refuses
    (another charset; a number of 19 digits or more, which orjson may turn
    into a float; a lone surrogate), and words every refusal."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        if stream is not None and parsers.get_encoding(parser_context).lower() in _UTF8:
            body = stream.read()
            if not _LONG_NUMBER.search(body):
                with contextlib.suppress(orjson.JSONDecodeError):
                    return orjson.loads(body)
            stream = io.BytesIO(body)
        return super().parse(stream, media_type, parser_context)


class PreparedRelatedField(serializers.PrimaryKeyRelatedField):
    """DRF's primary-key field, looking the key up with a prepared query
    (``core.prepared.by_pk``, made once at import) instead of compiling
    ``queryset.get(pk=…)`` on every request; the same answers and messages.
    For an input field on a hot path (an application's item)::

        ACTIVE_ITEM = by_pk(ServiceItem.objects.filter(is_active=True))
        item = PreparedRelatedField(ACTIVE_ITEM)
    """

    def __init__(self, lookup: PreparedQuery, **kwargs):
        self.lookup = lookup
        super().__init__(queryset=lookup.queryset, **kwargs)

    def to_internal_value(self, data):
        if self.pk_field is not None:
            data = self.pk_field.to_internal_value(data)
        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            found = self.lookup.first(data)
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if found is None:
            self.fail("does_not_exist", pk_value=data)
        return found


class ChoiceLabelField(serializers.CharField):
    """The label of a model's choice field in the request's language, as
    ``get_<field>_display()`` gives it (the value itself when it is not one of
    the choices)::

        status_label = ChoiceLabelField("status")

    Rather than ``CharField(source="get_status_display")``: for a method
    source DRF inspects the method's signature on every object it prints
    (a third of the label's cost, fifty times on a page of cases)."""

    def __init__(self, choice_field: str, **kwargs):
        self.choice_field = choice_field
        kwargs.setdefault("source", "*")
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return getattr(value, f"get_{self.choice_field}_display")()


_DEFAULT_MESSAGES = {
    "not_found": gettext_noop("未找到。"),
    "not_authenticated": gettext_noop("请先登录。"),
    "authentication_failed": gettext_noop("身份验证失败。"),
    "permission_denied": gettext_noop("没有权限执行此操作。"),
    "method_not_allowed": gettext_noop("不支持该请求方法。"),
    "throttled": gettext_noop("请求过于频繁，请稍后再试。"),
    "parse_error": gettext_noop("请求格式有误。"),
    "unsupported_media_type": gettext_noop("不支持的内容类型。"),
    "not_acceptable": gettext_noop("无法提供所请求的内容格式。"),
}


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _flatten(value)]
    if isinstance(detail, list):
        return [m for value in detail for m in _flatten(value)]
    return [str(detail)]


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"code": code, "message": str(message), "fields": fields or {}}


def validation_failed(detail) -> ValidationFailed:
    """A serializer's refusal (``serializer.errors``, a ``ValidationError``'s
    detail) as the service error with the same body, so that a page can show
    it the way it shows a service's refusal."""
    if isinstance(detail, dict):
        fields = {str(name): _flatten(value) for name, value in detail.items()}
    else:
        fields = {"non_field_errors": _flatten(detail)}
    first = next(iter(fields.values()), [""])
    first = first[0] if first else ""
    message = _("提交的数据有误：%(first)s") % {"first": first} if first else _("提交的数据有误。")
    return ValidationFailed(message, code="invalid", fields=fields)


def error_response(exc: ServiceError) -> Response:
    """A service error as an API response (for views that catch it themselves)."""
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return Response(exc.as_dict(), status=exc.status, headers=headers)


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        return error_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: let Django report it as a 500

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, exceptions.ValidationError):
        body = validation_failed(exc.detail).as_dict()
        return Response(body, status=exc.status_code, headers=headers)

    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else "error"
    if exc.status_code == status.HTTP_404_NOT_FOUND:
        code = "not_found"
    message = (
        _(_DEFAULT_MESSAGES[code]) if code in _DEFAULT_MESSAGES else " ".join(_flatten(exc.detail))
    )
    return Response(error_body(code, message), status=exc.status_code, headers=headers)


def register(router):
    """Core routes (search and others add theirs here)."""
