"""The moves table: for every lifecycle move the API and the pages offer, its
service function, the body it takes (a DRF serializer, whose fields are the
service's keywords), and the page's message once it is done.

The API validates the JSON or multipart body with the move's serializer; the
detail page feeds the same serializer with the move's form (``request.POST``
and ``request.FILES``, read by the move's ``form``), so that one definition
says what a move takes. ``run`` validates and calls the service; a refused
body is a ``ValidationFailed`` with the API's error body, which the page shows
on the form it came from like any service refusal.

The serializers check the shape of a body (types, lengths, choices); the
rules that need the case (a reason is required, an extension fits the days
left, a handover goes to an approver of the department) are the service's,
with its precise messages, on both surfaces.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from yiwang.core.api import Serializer, validation_failed

from . import services
from .models import Case, Delivery, SuspensionKind

# Rows offered on the corrections form (一次性告知: everything at once).
CORRECTION_ROWS = 6


class RevisionSerializer(Serializer):
    revision = serializers.IntegerField(required=False, min_value=0)


class OpinionSerializer(RevisionSerializer):
    opinion = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ReasonsSerializer(RevisionSerializer):
    reasons = serializers.CharField(max_length=2000, allow_blank=True)


class CorrectionItemSerializer(Serializer):
    material = serializers.CharField(max_length=200, allow_blank=True)
    reason = serializers.CharField(max_length=500, allow_blank=True)


class CorrectionsSerializer(RevisionSerializer):
    items = CorrectionItemSerializer(many=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class SupplySerializer(RevisionSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class HandoverSerializer(OpinionSerializer):
    to = serializers.UUIDField(allow_null=True)


class SuspendSerializer(RevisionSerializer):
    kind = serializers.ChoiceField(
        choices=SuspensionKind.choices,
        error_messages={"invalid_choice": gettext_lazy("特别程序种类无效")},
    )
    reason = serializers.CharField(max_length=2000, allow_blank=True)


class ResumeSerializer(RevisionSerializer):
    result = serializers.CharField(required=False, allow_blank=True, max_length=2000)


_DAYS_MISSING = gettext_lazy("请填写延长的工作日数")


class ExtensionSerializer(RevisionSerializer):
    days = serializers.IntegerField(
        help_text="1 … YIWANG_MAX_EXTENSION_DAYS（默认 10）减去已批准的天数",
        error_messages={"required": _DAYS_MISSING, "null": _DAYS_MISSING, "invalid": _DAYS_MISSING},
    )
    reason = serializers.CharField(max_length=2000, allow_blank=True)


class ExtensionDecisionSerializer(RevisionSerializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class IssueSerializer(RevisionSerializer):
    method = serializers.ChoiceField(choices=Delivery.choices, required=False)
    signed_by = serializers.CharField(required=False, allow_blank=True, max_length=100)
    tracking_no = serializers.CharField(required=False, allow_blank=True, max_length=40)


class AttachSerializer(OpinionSerializer):
    file = serializers.FileField()
    name = serializers.CharField(max_length=200, allow_blank=True)


class WithdrawSerializer(RevisionSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


# ---------------------------------------------------------------------------
# How the detail page's forms read (the API takes the body as it is)


def posted(request):
    """A move's form as its body: the posted fields and files together, as
    DRF's ``request.data`` has them (an empty optional input counts as absent)."""
    data = request.POST.copy()
    data.update(request.FILES)
    return data


def correction_items(post) -> list[dict]:
    """The corrections form's rows (``material-<i>``, ``reason-<i>``); empty rows do not count."""
    rows = []
    for i in range(CORRECTION_ROWS):
        material = post.get(f"material-{i}", "").strip()
        reason = post.get(f"reason-{i}", "").strip()
        if material or reason:
            rows.append({"material": material, "reason": reason})
    return rows


def _corrections_form(request) -> dict:
    post = request.POST
    return {
        "revision": post.get("revision"),
        "items": correction_items(post),
        "note": post.get("note", ""),
    }


def _decision_form(request):
    """Approved only by the form's own "1" (批准), anything else is a refusal."""
    data = posted(request)
    data["approve"] = "true" if request.POST.get("approve") == "1" else "false"
    return data


_CORRECTION_INPUT = re.compile(r"c-(\d+)")


def _corrected_files(request) -> dict:
    """The supply form's files, one input per notice item (``c-<i>``)."""
    files = {}
    for name in request.FILES:
        match = _CORRECTION_INPUT.fullmatch(name)
        if match:
            files[int(match.group(1))] = request.FILES.getlist(name)
    return {"files": files}


# ---------------------------------------------------------------------------
# The table


def _nothing(request) -> dict:
    return {}


@dataclass(frozen=True)
class Move:
    """One move as the API and the detail page take it.

    The service gets every field of the validated body but ``revision``
    (which is its ``expected_revision``) under the field's name, or under the
    name ``renamed`` gives it; an optional field left out is not passed, so
    the service's default holds."""

    service: Callable
    serializer: type[serializers.Serializer]
    # what the page says once the move is done
    done: Promise
    # body field → service keyword, where they differ
    renamed: Mapping[str, str] = field(default_factory=dict)
    # the page: the move's form as the body to validate
    form: Callable = posted
    # the page: service keywords read from the request as they are (no part of the API body)
    extra: Callable = _nothing

    def arguments(self, data: Mapping) -> dict:
        """The service's keywords from a validated body."""
        return {self.renamed.get(k, k): v for k, v in data.items() if k != "revision"}


MOVES: dict[str, Move] = {
    "submit": Move(services.submit, RevisionSerializer, gettext_lazy("申请已提交")),
    "accept": Move(services.accept, OpinionSerializer, gettext_lazy("已受理，受理通知书已生成")),
    "refuse": Move(services.refuse, ReasonsSerializer, gettext_lazy("已不予受理，通知书已生成")),
    "request_corrections": Move(
        services.request_corrections,
        CorrectionsSerializer,
        gettext_lazy("已一次性告知补正，补正告知书已生成"),
        form=_corrections_form,
    ),
    "supply_corrections": Move(
        services.supply_corrections,
        SupplySerializer,
        gettext_lazy("补正材料已提交"),
        extra=_corrected_files,
    ),
    "claim": Move(services.claim, RevisionSerializer, gettext_lazy("已签收")),
    "pass": Move(services.pass_step, OpinionSerializer, gettext_lazy("已通过本环节")),
    "return": Move(services.return_step, OpinionSerializer, gettext_lazy("已退回上一环节")),
    "handover": Move(services.handover, HandoverSerializer, gettext_lazy("已转交")),
    "deny": Move(services.deny, ReasonsSerializer, gettext_lazy("已作出不予许可决定")),
    "suspend": Move(
        services.suspend, SuspendSerializer, gettext_lazy("特别程序已启动，办理时限暂停计算")
    ),
    "resume": Move(
        services.resume, ResumeSerializer, gettext_lazy("特别程序已结束，时限已重新计算")
    ),
    "request_extension": Move(
        services.request_extension,
        ExtensionSerializer,
        gettext_lazy("延长申请已提交，等待本部门其他审批人员批准"),
    ),
    "decide_extension": Move(
        services.decide_extension,
        ExtensionDecisionSerializer,
        gettext_lazy("已审批延长申请"),
        form=_decision_form,
    ),
    "issue": Move(services.issue, IssueSerializer, gettext_lazy("已出件")),
    # staff add a file to the case's record
    "attach": Move(
        services.attach, AttachSerializer, gettext_lazy("附件已添加"), renamed={"file": "upload"}
    ),
    "withdraw": Move(services.withdraw, WithdrawSerializer, gettext_lazy("申请已撤回")),
}


def run(case: Case, name: str, body, *, by, **extra):
    """Validate ``body`` for move ``name`` and call its service (with
    ``extra`` keywords as they are): what the service answers (the moved
    case, for most). A refused body changes nothing and is a
    ``ValidationFailed`` carrying the field messages."""
    move = MOVES[name]
    serializer = move.serializer(data=body)
    if not serializer.is_valid():
        raise validation_failed(serializer.errors)
    data = serializer.validated_data
    return move.service(
        case, by=by, expected_revision=data.get("revision"), **move.arguments(data), **extra
    )
