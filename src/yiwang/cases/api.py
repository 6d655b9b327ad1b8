"""The cases API: apply, upload, move a case through its lifecycle, see its
timeline; the approver's queue; the public progress lookup.

Every move is ``POST /api/v1/cases/{id}/{action}/`` with the body the action
needs (``moves.MOVES``, shared with the pages) and, optionally, ``revision``
(the revision the client saw: a stale one is a 409 ``case.stale``). An illegal move is a 409 naming the current status;
a case outside the caller's scope is a 404, exactly like a missing one.
"""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from yiwang.catalog.models import ServiceItem
from yiwang.core.api import ChoiceLabelField, ModelSerializer, PreparedRelatedField, Serializer
from yiwang.core.errors import NotFound
from yiwang.core.prepared import by_pk
from yiwang.regions.models import Hall

from . import lifecycle, moves, parties, progress_lookup, selectors, services
from .models import (
    Case,
    CaseDocument,
    CaseEvent,
    CaseMaterial,
    CaseStep,
    Delivery,
    Status,
)


def _validated(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class CaseStepSerializer(ModelSerializer):
    department = serializers.CharField(source="department.name", default="", read_only=True)
    assignee = serializers.SerializerMethodField()

    class Meta:
        model = CaseStep
        fields = [
            "id",
            "position",
            "name",
            "kind",
            "department",
            "role",
            "days",
            "state",
            "assignee",
            "started_on",
            "due_on",
            "finished_at",
            "outcome",
            "opinion",
        ]

    def get_assignee(self, obj) -> str:
        return (obj.assignee.real_name or obj.assignee.username) if obj.assignee_id else ""


class CaseEventSerializer(ModelSerializer):
    class Meta:
        model = CaseEvent
        fields = [
            "seq",
            "action",
            "from_status",
            "to_status",
            "national_code",
            "actor_name",
            "at",
            "step_name",
            "opinion",
            "data",
        ]


class CaseMaterialSerializer(ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = CaseMaterial
        fields = [
            "id",
            "name",
            "requirement",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
            "url",
        ]

    def get_url(self, obj) -> str:
        return reverse("cases:material", args=[obj.case_id, obj.pk])


class CaseDocumentSerializer(ModelSerializer):
    title = ChoiceLabelField("kind")
    url = serializers.SerializerMethodField()
    ready = serializers.SerializerMethodField()

    class Meta:
        model = CaseDocument
        fields = ["id", "kind", "title", "number", "created_at", "ready", "url"]

    def get_ready(self, obj) -> bool:
        return bool(obj.path)

    def get_url(self, obj) -> str:
        return reverse("cases:document", args=[obj.case_id, obj.pk])


class CaseSerializer(ModelSerializer):
    item_name = serializers.CharField(source="item.name", read_only=True)
    item_code = serializers.CharField(source="item.code", read_only=True)
    hall_name = serializers.CharField(source="hall.name", read_only=True)
    status_label = ChoiceLabelField("status")
    id_number = serializers.CharField(source="masked_id_number", read_only=True)
    phone = serializers.CharField(source="masked_phone", read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "case_no",
            "item",
            "item_code",
            "item_name",
            "version",
            "hall",
            "hall_name",
            "issue_hall",
            "channel",
            "delivery",
            "status",
            "status_label",
            "revision",
            "applicant_kind",
            "applicant_name",
            "id_number",
            "phone",
            "title",
            "submitted_at",
            "received_on",
            "accepted_on",
            "promised_due",
            "statutory_due",
            "concluded_at",
            "concluded_on_time",
            "issued_at",
            "tracking_no",
        ]


class CaseCreatedSerializer(CaseSerializer):
    """What ``POST /cases/`` answers: the case, and the moves the caller may take."""

    actions = serializers.SerializerMethodField()
    missing_materials = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "form_data", "actions", "missing_materials"]

    def get_actions(self, obj) -> list[dict]:
        user = self.context["request"].user
        return [
            {"action": t.action, "label": str(t.label)} for t in parties.allowed_actions(user, obj)
        ]

    def get_missing_materials(self, obj) -> list[str]:
        return services.missing_materials(obj) if obj.status == Status.DRAFT else []


class CaseDetailSerializer(CaseCreatedSerializer):
    steps = CaseStepSerializer(many=True, read_only=True)
    events = CaseEventSerializer(many=True, read_only=True)
    materials = serializers.SerializerMethodField()
    documents = CaseDocumentSerializer(many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseCreatedSerializer.Meta.fields,
            "result_note",
            "receipt_signed_by",
            "deemed_accepted",
            "steps",
            "events",
            "materials",
            "documents",
        ]

    def get_materials(self, obj) -> list[dict]:
        return CaseMaterialSerializer(obj.materials.filter(is_current=True), many=True).data


class ApplicantSerializer(Serializer):
    kind = serializers.ChoiceField(choices=["citizen", "enterprise"], default="citizen")
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    id_number = serializers.CharField(max_length=30, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)


# Every application names its item (and often a hall): looked up prepared.
_ACTIVE_ITEM = by_pk(ServiceItem.objects.filter(is_active=True))
_ACTIVE_HALL = by_pk(Hall.objects.filter(is_active=True))


class CaseCreateSerializer(Serializer):
    item = PreparedRelatedField(_ACTIVE_ITEM)
    hall = PreparedRelatedField(_ACTIVE_HALL, required=False, allow_null=True)
    issue_hall = PreparedRelatedField(_ACTIVE_HALL, required=False, allow_null=True)
    applicant = ApplicantSerializer(required=False)
    title = serializers.CharField(max_length=300, required=False, allow_blank=True)
    form_data = serializers.DictField(required=False)
    delivery = serializers.ChoiceField(choices=Delivery.choices, default=Delivery.WINDOW)
    mail_address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    submit = serializers.BooleanField(default=False, help_text="提交（否则保存为草稿）")


class CaseUpdateSerializer(Serializer):
    title = serializers.CharField(max_length=300, required=False, allow_blank=True)
    form_data = serializers.DictField(required=False)


class UploadSerializer(Serializer):
    file = serializers.FileField()
    requirement = serializers.UUIDField(required=False, allow_null=True)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)


class QueueEntrySerializer(ModelSerializer):
    case = CaseSerializer(read_only=True)
    department = serializers.CharField(source="department.name", default="", read_only=True)

    class Meta:
        model = CaseStep
        fields = ["id", "name", "department", "days", "started_on", "due_on", "assignee", "case"]


_MOVE_RESPONSES = {
    200: CaseDetailSerializer,
    400: OpenApiResponse(description="invalid input"),
    403: OpenApiResponse(description="not a party to this move"),
    404: OpenApiResponse(description="no such case (or outside your scope)"),
    409: OpenApiResponse(description="illegal move for the current status, or a stale revision"),
}


# What ``CaseDetailSerializer`` prints of a case's relations.
_DETAIL_RELATIONS = ("steps__department", "steps__assignee", "events", "documents", "extensions")


def _detailed(qs):
    """Cases with what ``CaseDetailSerializer`` prints."""
    return qs.prefetch_related(*_DETAIL_RELATIONS)


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    queryset = Case.objects.none()
    filterset_fields = ["status", "channel", "item", "hall"]

    def get_queryset(self):
        qs = selectors.visible_cases(self.request.user)
        if self.action == "list":
            q = self.request.query_params.get("q")
            if q:
                qs = selectors.search(self.request.user, q)
            return qs.order_by("-created_at")
        if self.action == "retrieve":
            return _detailed(qs)
        # A move, an upload, a draft's change: the service reads (and locks)
        # what it needs, and the answer is read afresh by ``_out``.
        return qs

    def get_serializer_class(self):
        return CaseSerializer if self.action == "list" else CaseDetailSerializer

    def filter_queryset(self, queryset):
        # ``?status=…`` and the others filter the list. A case's own routes
        # (its detail, its moves) find it by its id within the caller's
        # scope only, without building the list's filter set every time.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def _out(self, case, moved=None, code=200):
        """The case as the detail prints it, after a change. ``moved`` is what
        the service answered: the case it locked, changed and committed (its
        scope checked by ``get_object`` and the move), which gets its
        relations read onto it instead of being read again with them; a
        service answering with something else (an extension, a file) has
        ``case`` read again."""
        if isinstance(moved, Case) and moved.pk == case.pk:
            case = moved
            prefetch_related_objects([case], *_DETAIL_RELATIONS)
        else:
            case = _detailed(selectors.visible_cases(self.request.user)).get(pk=case.pk)
        return Response(
            CaseDetailSerializer(case, context={"request": self.request}).data, status=code
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="办件编号、申请人、事项名称、证件号码或手机号")
        ],
        tags=["cases"],
        summary="办件列表（仅本人可见范围）/ list the cases you may see",
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=CaseCreateSerializer,
        responses={201: CaseCreatedSerializer, 400: OpenApiResponse(description="invalid input")},
        tags=["cases"],
        summary="申请（保存草稿或直接提交）/ apply (save a draft, or submit at once)",
    )
    def create(self, request):
        data = _validated(CaseCreateSerializer, request.data)

        move = services.submit_new if data["submit"] else services.create_draft
        case = move(
            data["item"],
            by=request.user,
            hall=data.get("hall"),
            applicant=data.get("applicant"),
            title=data.get("title", ""),
            form_data=data.get("form_data"),
            delivery=data["delivery"],
            issue_hall=data.get("issue_hall"),
            mail_address=data.get("mail_address", ""),
        )
        # A new case has no steps, timeline worth re-reading, or documents yet:
        # answer from what was just written instead of reading it all back.
        return Response(CaseCreatedSerializer(case, context={"request": request}).data, status=201)

    @extend_schema(
        request=CaseUpdateSerializer,
        responses=CaseDetailSerializer,
        tags=["cases"],
        summary="修改草稿 / change a draft",
    )
    def partial_update(self, request, pk=None):
        case = self.get_object()
        data = _validated(CaseUpdateSerializer, request.data)
        return self._out(case, services.update_draft(case, by=request.user, **data))

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={201: CaseMaterialSerializer},
        tags=["cases"],
        summary="上传申请材料 / upload a material (PDF, JPG, PNG, OFD)",
    )
    @action(detail=True, methods=["post"], url_path="materials")
    def upload(self, request, pk=None):
        case = self.get_object()
        data = _validated(UploadSerializer, request.data)
        material = services.add_material(
            case,
            by=request.user,
            upload=data["file"],
            requirement=data.get("requirement"),
            name=data.get("name", ""),
        )
        return Response(CaseMaterialSerializer(material).data, status=201)

    @extend_schema(
        responses=QueueEntrySerializer(many=True),
        tags=["cases"],
        summary="审批待办（按紧急程度）/ the approver's queue, most urgent first",
    )
    @action(detail=False, methods=["get"])
    def queue(self, request):
        qs = selectors.queue(request.user)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(QueueEntrySerializer(page, many=True).data)


def _make_move(name: str):
    entry = moves.MOVES[name]
    body = entry.serializer
    files = any(isinstance(f, serializers.FileField) for f in body().fields.values())

    def move(self, request, pk=None):
        case = self.get_object()
        return self._out(case, moves.run(case, name, request.data, by=request.user))

    move.__name__ = f"move_{name}"
    # The schema goes on after @action, which would otherwise reset it.
    routed = action(detail=True, methods=["post"], url_path=name.replace("_", "-"), url_name=name)
    return extend_schema(
        request={"multipart/form-data": body} if files else body,
        responses=_MOVE_RESPONSES,
        tags=["cases"],
        summary=f"{lifecycle.get(name).label} / {name}",
        description=entry.service.__doc__ or "",
    )(routed(move))


for _name in moves.MOVES:
    setattr(CaseViewSet, f"move_{_name}", _make_move(_name))


class ProgressQuerySerializer(Serializer):
    case_no = serializers.CharField(max_length=40)
    phone = serializers.CharField(max_length=20)


class PublicStepSerializer(ModelSerializer):
    class Meta:
        model = CaseStep
        fields = ["name", "state", "started_on", "due_on", "finished_at"]


class PublicEventSerializer(ModelSerializer):
    class Meta:
        model = CaseEvent
        fields = ["seq", "action", "to_status", "at", "step_name"]


class PublicProgressSerializer(ModelSerializer):
    item_name = serializers.CharField(source="item.name")
    hall_name = serializers.CharField(source="hall.name")
    status_label = ChoiceLabelField("status")
    applicant_name = serializers.SerializerMethodField()
    steps = PublicStepSerializer(many=True)
    events = PublicEventSerializer(many=True)

    class Meta:
        model = Case
        fields = [
            "case_no",
            "item_name",
            "hall_name",
            "status",
            "status_label",
            "applicant_name",
            "submitted_at",
            "accepted_on",
            "promised_due",
            "concluded_at",
            "issued_at",
            "steps",
            "events",
        ]

    def get_applicant_name(self, obj) -> str:
        from yiwang.core.pii import mask_name

        return mask_name(obj.applicant_name)


class ProgressView(APIView):
    """公开进度查询：办件编号 + 申请人手机号 / public progress (case number + phone)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []

    @extend_schema(
        parameters=[ProgressQuerySerializer],
        responses={
            200: PublicProgressSerializer,
            404: OpenApiResponse(description="no match"),
            429: OpenApiResponse(description="too many failed lookups from this address"),
        },
        tags=["cases"],
        summary="公开进度查询 / public progress lookup",
    )
    def get(self, request):
        data = _validated(ProgressQuerySerializer, request.query_params)
        case = progress_lookup.lookup(data["case_no"], data["phone"])
        if case is None:
            raise NotFound(_("未找到该办件，请核对办件编号和手机号"), code="not_found")
        return Response(PublicProgressSerializer(case).data)


def register(router):
    router.register("cases", CaseViewSet, basename="case")
