"""API for the catalog: items, guide versions (with their materials and steps),
retained proofs, and the level lists with village admission.

Reading published content is public: the item list and each item with its
current published guide, published guide versions, the retained-proofs list.
Drafts, versions in review, and every write are for catalog administrators
(and system administrators); writes go through ``catalog.services``. Errors
come in the one format; an illegal status move is 409 with the reason.
"""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from yiwang.accounts.models import Role
from yiwang.accounts.scopes import has_role, is_active_account
from yiwang.core.api import ChoiceLabelField, ModelSerializer, Serializer
from yiwang.core.errors import NotFound, ValidationFailed

from . import diff as diffing
from . import lifecycle, selectors, services
from .codesets import ItemType, Level, TimeUnit
from .models import (
    GUIDE_FIELDS,
    GuideStatus,
    GuideVersion,
    ItemLevel,
    LevelStatus,
    MaterialRequirement,
    ProcessStep,
    RetainedProof,
    ServiceItem,
)


def choice_field(choices, **kwargs) -> serializers.ChoiceField:
    """A choice field described by a pattern rather than an enum in the
    schema: choice sets shared by several fields (levels, statuses, time
    units) would otherwise collide as named enum components."""
    values = [value for value, _label in choices]

    @extend_schema_field(
        {
            "type": "string",
            "pattern": "^(" + "|".join(values) + ")$",
            "description": " / ".join(f"{value}={label}" for value, label in choices),
        }
    )
    class PatternChoiceField(serializers.ChoiceField):
        pass

    return PatternChoiceField(choices=choices, **kwargs)


def is_catalog_admin(user) -> bool:
    return is_active_account(user) and has_role(user, Role.CATALOG_ADMIN, Role.SYSADMIN)


class PublicReadAdminWrite(permissions.BasePermission):
    """Reads for everyone; writes for catalog administrators."""

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or is_catalog_admin(request.user)


class AdminOnly(permissions.BasePermission):
    def has_permission(self, request, view):
        return is_catalog_admin(request.user)


# ---------------------------------------------------------------------------
# serializers


class MaterialSerializer(ModelSerializer):
    proof = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)

    class Meta:
        model = MaterialRequirement
        fields = [
            "id",
            "position",
            "name",
            "issuing_body",
            "originals",
            "copies",
            "required",
            "source",
            "is_proof",
            "proof",
            "blank_form",
            "sample",
            "note",
        ]
        read_only_fields = fields


class MaterialWriteSerializer(Serializer):
    name = serializers.CharField(max_length=200)
    issuing_body = serializers.CharField(max_length=200, required=False, allow_blank=True)
    originals = serializers.IntegerField(min_value=0, max_value=99, required=False)
    copies = serializers.IntegerField(min_value=0, max_value=99, required=False)
    required = serializers.BooleanField(required=False)
    source = serializers.ChoiceField(
        choices=MaterialRequirement._meta.get_field("source").choices, required=False
    )
    is_proof = serializers.BooleanField(required=False)
    proof = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="保留证明清单中的证明名称或 ID / name or id of a retained proof",
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)
    position = serializers.IntegerField(min_value=1, max_value=999, required=False)


class StepSerializer(ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True, default="")

    class Meta:
        model = ProcessStep
        fields = [
            "id",
            "position",
            "name",
            "department",
            "department_name",
            "role",
            "days",
            "description",
        ]
        read_only_fields = fields


class StepWriteSerializer(Serializer):
    name = serializers.CharField(max_length=60)
    department = serializers.UUIDField(required=False, allow_null=True)
    role = serializers.ChoiceField(choices=Role.choices, required=False, allow_blank=True)
    days = serializers.IntegerField(min_value=0, max_value=365, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    position = serializers.IntegerField(min_value=1, max_value=999, required=False)


class TransitionSerializer(Serializer):
    action = serializers.CharField()
    label = serializers.CharField()


class GuideVersionSerializer(ModelSerializer):
    item_code = serializers.CharField(source="item.code", read_only=True)
    status = choice_field(GuideStatus.choices, read_only=True)
    promised_unit = choice_field(TimeUnit.choices, read_only=True)
    statutory_unit = choice_field(TimeUnit.choices, read_only=True)
    materials = MaterialSerializer(many=True, read_only=True)
    steps = StepSerializer(many=True, read_only=True)
    actions = serializers.SerializerMethodField()

    class Meta:
        model = GuideVersion
        fields = [
            "id",
            "item",
            "item_code",
            "number",
            "status",
            *GUIDE_FIELDS,
            "materials",
            "steps",
            "submitted_at",
            "reviewed_at",
            "review_note",
            "published_at",
            "retired_at",
            "created_at",
            "updated_at",
            "actions",
        ]
        read_only_fields = fields

    @extend_schema_field(TransitionSerializer(many=True))
    def get_actions(self, obj) -> list[dict]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if not is_catalog_admin(user):
            return []
        return [
            {"action": t.action, "label": str(t.label)}
            for t in lifecycle.allowed_actions(obj, user)
        ]


class GuideFieldsSerializer(ModelSerializer):
    """The guide fields a draft may change (all optional)."""

    promised_unit = choice_field(TimeUnit.choices, required=False)
    statutory_unit = choice_field(TimeUnit.choices, required=False)

    class Meta:
        model = GuideVersion
        fields = list(GUIDE_FIELDS)
        extra_kwargs = {f: {"required": False} for f in GUIDE_FIELDS}


class DraftCreateSerializer(Serializer):
    item = serializers.UUIDField()
    copy_from = serializers.UUIDField(required=False, allow_null=True)


class NoteSerializer(Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ItemSerializer(ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)
    item_type_label = ChoiceLabelField("item_type")
    levels = serializers.SerializerMethodField()

    class Meta:
        model = ServiceItem
        fields = [
            "id",
            "code",
            "name",
            "group",
            "item_type",
            "item_type_label",
            "department",
            "department_name",
            "service_objects",
            "levels",
            "code_shape",
            "basic_code",
            "code_issues",
            "is_active",
        ]
        read_only_fields = fields

    def get_levels(self, obj) -> list[str]:
        return sorted(e.level for e in obj.levels.all() if e.status == LevelStatus.APPROVED)


class ItemDetailSerializer(ItemSerializer):
    guide = serializers.SerializerMethodField()
    halls = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta(ItemSerializer.Meta):
        fields = [*ItemSerializer.Meta.fields, "code_parts", "halls", "guide"]
        read_only_fields = fields

    @extend_schema_field(GuideVersionSerializer(allow_null=True))
    def get_guide(self, obj) -> dict | None:
        version = selectors.published_version(obj)
        return GuideVersionSerializer(version, context=self.context).data if version else None


class ItemWriteSerializer(Serializer):
    code = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200)
    group = serializers.CharField(max_length=200, required=False, allow_blank=True)
    item_type = serializers.ChoiceField(choices=ItemType.choices)
    department = serializers.UUIDField()
    service_objects = serializers.ListField(child=serializers.CharField(), required=False)
    halls = serializers.ListField(child=serializers.UUIDField(), required=False)
    levels = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="county / town 直接列入；village 为准入申请 / county, town; village files a request",
    )


class ItemUpdateSerializer(Serializer):
    name = serializers.CharField(max_length=200, required=False)
    group = serializers.CharField(max_length=200, required=False, allow_blank=True)
    item_type = serializers.ChoiceField(choices=ItemType.choices, required=False)
    department = serializers.UUIDField(required=False)
    service_objects = serializers.ListField(child=serializers.CharField(), required=False)
    halls = serializers.ListField(child=serializers.UUIDField(), required=False)
    is_active = serializers.BooleanField(required=False)


class RetainedProofSerializer(ModelSerializer):
    class Meta:
        model = RetainedProof
        fields = ["id", "name", "issuing_body", "legal_basis", "is_active"]
        read_only_fields = ["id"]


class ItemLevelSerializer(ModelSerializer):
    level = choice_field(Level.choices)
    status = choice_field(LevelStatus.choices, read_only=True)
    item_code = serializers.CharField(source="item.code", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)

    class Meta:
        model = ItemLevel
        fields = [
            "id",
            "item",
            "item_code",
            "item_name",
            "level",
            "status",
            "requested_at",
            "decided_at",
            "reason",
        ]
        read_only_fields = ["id", "item_code", "item_name", "status", "requested_at", "decided_at"]


class ReasonSerializer(Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class DiffChangeSerializer(Serializer):
    section = serializers.CharField()
    field = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField()
    old = serializers.CharField()
    new = serializers.CharField()
    lines = serializers.ListField(child=serializers.CharField())


def _validated(serializer_class, data, **kwargs):
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# ---------------------------------------------------------------------------
# filters


class ItemFilter(django_filters.FilterSet):
    department = django_filters.UUIDFilter(field_name="department_id")
    item_type = django_filters.ChoiceFilter(choices=ItemType.choices)
    level = django_filters.ChoiceFilter(
        choices=Level.choices, method="filter_level", label="层级 level"
    )
    status = django_filters.ChoiceFilter(
        choices=GuideStatus.choices,
        method="filter_status",
        label="有该状态的指南版本 / has a guide version in this status",
    )
    code = django_filters.CharFilter(field_name="code", lookup_expr="startswith")
    name = django_filters.CharFilter(field_name="name", lookup_expr="contains")

    class Meta:
        model = ServiceItem
        fields = ["department", "item_type", "level", "status", "code", "name"]

    def filter_level(self, qs, name, value):
        approved = ItemLevel.objects.filter(
            item=OuterRef("pk"), level=value, status=LevelStatus.APPROVED
        )
        return qs.filter(Exists(approved))

    def filter_status(self, qs, name, value):
        return qs.filter(Exists(GuideVersion.objects.filter(item=OuterRef("pk"), status=value)))


class VersionFilter(django_filters.FilterSet):
    item = django_filters.UUIDFilter(field_name="item_id")
    status = django_filters.ChoiceFilter(choices=GuideStatus.choices)

    class Meta:
        model = GuideVersion
        fields = ["item", "status"]


class LevelFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Level.choices)
    status = django_filters.ChoiceFilter(choices=LevelStatus.choices)
    item = django_filters.UUIDFilter(field_name="item_id")

    class Meta:
        model = ItemLevel
        fields = ["level", "status", "item"]


# ---------------------------------------------------------------------------
# viewsets


@extend_schema_view(
    list=extend_schema(summary="事项清单 / list service items", tags=["catalog"]),
    retrieve=extend_schema(
        summary="事项及其现行指南 / an item with its published guide", tags=["catalog"]
    ),
)
class ItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [PublicReadAdminWrite]
    filterset_class = ItemFilter
    queryset = ServiceItem.objects.none()

    def get_queryset(self):
        qs = selectors.items().prefetch_related("levels").order_by("code")
        if not is_catalog_admin(self.request.user):
            qs = qs.filter(is_active=True)
        return qs

    def get_serializer_class(self):
        return ItemDetailSerializer if self.action == "retrieve" else ItemSerializer

    @extend_schema(
        request=ItemWriteSerializer,
        responses={201: ItemDetailSerializer},
        tags=["catalog"],
        summary="新建事项（含空白草稿）/ create an item with an empty draft",
    )
    def create(self, request):
        data = dict(_validated(ItemWriteSerializer, request.data))
        item = services.create_item(by=request.user, **data)
        return Response(ItemDetailSerializer(item, context={"request": request}).data, status=201)

    @extend_schema(
        request=ItemUpdateSerializer,
        responses=ItemDetailSerializer,
        tags=["catalog"],
        summary="修改事项 / change an item",
    )
    def partial_update(self, request, pk=None):
        item = self.get_object()
        data = dict(_validated(ItemUpdateSerializer, request.data))
        item = services.update_item(item, by=request.user, **data)
        return Response(ItemDetailSerializer(item, context={"request": request}).data)


@extend_schema_view(
    list=extend_schema(
        summary="指南版本（公众只见已发布）/ guide versions (public: published only)",
        tags=["catalog"],
    ),
    retrieve=extend_schema(summary="指南版本 / a guide version", tags=["catalog"]),
)
class GuideVersionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [PublicReadAdminWrite]
    serializer_class = GuideVersionSerializer
    filterset_class = VersionFilter
    queryset = GuideVersion.objects.none()

    def get_queryset(self):
        qs = GuideVersion.objects.select_related("item").prefetch_related(
            "materials__proof", "steps__department"
        )
        if not is_catalog_admin(self.request.user):
            qs = qs.filter(status=GuideStatus.PUBLISHED)
        return qs.order_by("item__code", "-number")

    def _out(self, version, code=200):
        version = (
            GuideVersion.objects.select_related("item")
            .prefetch_related("materials__proof", "steps__department")
            .get(pk=version.pk)
        )
        return Response(
            GuideVersionSerializer(version, context={"request": self.request}).data, status=code
        )

    @extend_schema(
        request=DraftCreateSerializer,
        responses={201: GuideVersionSerializer},
        tags=["catalog"],
        summary="新建草稿（复制现行版本）/ create a draft (copies the current version)",
    )
    def create(self, request):
        data = _validated(DraftCreateSerializer, request.data)
        item = ServiceItem.objects.filter(pk=data["item"]).first()
        if item is None:
            raise ValidationFailed(_("事项不存在"), fields={"item": [_("事项不存在")]})
        copy_from = None
        if data.get("copy_from"):
            copy_from = GuideVersion.objects.filter(pk=data["copy_from"]).first()
            if copy_from is None:
                raise ValidationFailed(
                    _("来源版本不存在"), fields={"copy_from": [_("来源版本不存在")]}
                )
        version = services.create_draft(item, by=request.user, copy_from=copy_from)
        return self._out(version, 201)

    @extend_schema(
        request=GuideFieldsSerializer,
        responses=GuideVersionSerializer,
        tags=["catalog"],
        summary="修改草稿 / change a draft (published versions never change: 409)",
    )
    def partial_update(self, request, pk=None):
        version = self.get_object()
        serializer = GuideFieldsSerializer(version, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.update_draft(version, by=request.user, **serializer.validated_data)
        return self._out(version)

    def _move(self, request, name, **kwargs):
        version = self.get_object()
        getattr(services, name)(version, by=request.user, **kwargs)
        return self._out(version)

    @extend_schema(
        request=None,
        responses={200: GuideVersionSerializer, 409: OpenApiResponse(description="illegal move")},
        tags=["catalog"],
        summary="提交审核 / submit for review",
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._move(request, "submit")

    @extend_schema(
        request=NoteSerializer,
        responses={200: GuideVersionSerializer, 409: OpenApiResponse(description="illegal move")},
        tags=["catalog"],
        summary="审核通过并发布 / approve and publish",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._move(request, "approve", note=_validated(NoteSerializer, request.data)["note"])

    @extend_schema(
        request=NoteSerializer,
        responses={200: GuideVersionSerializer, 409: OpenApiResponse(description="illegal move")},
        tags=["catalog"],
        summary="退回修改 / reject back to draft",
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._move(request, "reject", note=_validated(NoteSerializer, request.data)["note"])

    @extend_schema(
        request=NoteSerializer,
        responses={200: GuideVersionSerializer, 409: OpenApiResponse(description="illegal move")},
        tags=["catalog"],
        summary="废止 / retire",
    )
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        return self._move(request, "retire", note=_validated(NoteSerializer, request.data)["note"])

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "against",
                str,
                description="对比的版本 ID（默认：上一版本）/ version to compare with (default: the previous one)",
            )
        ],
        responses=DiffChangeSerializer(many=True),
        tags=["catalog"],
        summary="版本差异 / diff between versions",
    )
    @action(detail=True, methods=["get"])
    def diff(self, request, pk=None):
        version = self.get_object()
        against_id = request.query_params.get("against")
        if against_id:
            other = (
                self.get_queryset().filter(pk=against_id, item_id=version.item_id).first()
                if _is_uuid(against_id)
                else None
            )
            if other is None:
                raise NotFound(_("对比的版本不存在"))
        else:
            other = (
                self.get_queryset()
                .filter(item_id=version.item_id, number__lt=version.number)
                .order_by("-number")
                .first()
            )
            if other is None:
                return Response([])
        return Response([c.as_dict() for c in diffing.diff(other, version)])

    # -- nested: materials and steps -------------------------------------

    @extend_schema(
        methods=["get"],
        responses=MaterialSerializer(many=True),
        tags=["catalog"],
        summary="申请材料 / materials",
    )
    @extend_schema(
        methods=["post"],
        request=MaterialWriteSerializer,
        responses={201: MaterialSerializer},
        tags=["catalog"],
        summary="添加材料（证明须在保留证明清单内）/ add a material",
    )
    @action(detail=True, methods=["get", "post"])
    def materials(self, request, pk=None):
        version = self.get_object()
        if request.method == "GET":
            return Response(
                MaterialSerializer(version.materials.order_by("position"), many=True).data
            )
        data = dict(_validated(MaterialWriteSerializer, request.data))
        material = services.add_material(version, by=request.user, **data)
        return Response(MaterialSerializer(material).data, status=201)

    @extend_schema(
        methods=["patch"],
        request=MaterialWriteSerializer,
        responses=MaterialSerializer,
        tags=["catalog"],
        summary="修改材料 / change a material",
    )
    @extend_schema(
        methods=["delete"],
        responses={204: None},
        tags=["catalog"],
        summary="删除材料 / remove a material",
    )
    @action(
        detail=True, methods=["patch", "delete"], url_path=r"materials/(?P<material_id>[0-9a-f-]+)"
    )
    def material(self, request, pk=None, material_id=None):
        version = self.get_object()
        material = (
            version.materials.filter(pk=material_id).first() if _is_uuid(material_id) else None
        )
        if material is None:
            raise NotFound(_("材料不存在"))
        if request.method == "DELETE":
            services.delete_material(material, by=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = dict(_validated(MaterialWriteSerializer, request.data, partial=True))
        material = services.update_material(material, by=request.user, **data)
        return Response(MaterialSerializer(material).data)

    @extend_schema(
        methods=["get"],
        responses=StepSerializer(many=True),
        tags=["catalog"],
        summary="办理环节 / steps",
    )
    @extend_schema(
        methods=["post"],
        request=StepWriteSerializer,
        responses={201: StepSerializer},
        tags=["catalog"],
        summary="添加环节 / add a step",
    )
    @action(detail=True, methods=["get", "post"])
    def steps(self, request, pk=None):
        version = self.get_object()
        if request.method == "GET":
            return Response(StepSerializer(version.steps.order_by("position"), many=True).data)
        data = dict(_validated(StepWriteSerializer, request.data))
        step = services.add_step(version, by=request.user, **data)
        return Response(StepSerializer(step).data, status=201)

    @extend_schema(
        methods=["patch"],
        request=StepWriteSerializer,
        responses=StepSerializer,
        tags=["catalog"],
        summary="修改环节 / change a step",
    )
    @extend_schema(
        methods=["delete"],
        responses={204: None},
        tags=["catalog"],
        summary="删除环节 / remove a step",
    )
    @action(detail=True, methods=["patch", "delete"], url_path=r"steps/(?P<step_id>[0-9a-f-]+)")
    def step(self, request, pk=None, step_id=None):
        version = self.get_object()
        step = version.steps.filter(pk=step_id).first() if _is_uuid(step_id) else None
        if step is None:
            raise NotFound(_("环节不存在"))
        if request.method == "DELETE":
            services.delete_step(step, by=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = dict(_validated(StepWriteSerializer, request.data, partial=True))
        step = services.update_step(step, by=request.user, **data)
        return Response(StepSerializer(step).data)


def _is_uuid(value) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


@extend_schema_view(
    list=extend_schema(summary="保留证明清单 / the retained-proofs list", tags=["catalog"]),
    retrieve=extend_schema(summary="保留证明事项 / a retained proof", tags=["catalog"]),
    create=extend_schema(summary="新增保留证明 / add a retained proof", tags=["catalog"]),
    partial_update=extend_schema(
        summary="修改保留证明 / change a retained proof", tags=["catalog"]
    ),
)
class RetainedProofViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [PublicReadAdminWrite]
    serializer_class = RetainedProofSerializer
    queryset = RetainedProof.objects.none()

    def get_queryset(self):
        qs = RetainedProof.objects.order_by("name")
        return qs if is_catalog_admin(self.request.user) else qs.filter(is_active=True)

    def create(self, request):
        data = _validated(RetainedProofSerializer, request.data)
        proof = services.create_retained_proof(by=request.user, **data)
        return Response(RetainedProofSerializer(proof).data, status=201)

    def partial_update(self, request, pk=None):
        proof = self.get_object()
        serializer = RetainedProofSerializer(proof, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        proof = services.update_retained_proof(proof, by=request.user, **serializer.validated_data)
        return Response(RetainedProofSerializer(proof).data)


@extend_schema_view(
    list=extend_schema(
        summary="事项层级清单与村级准入申请 / level entries and village requests", tags=["catalog"]
    ),
    retrieve=extend_schema(summary="层级清单条目 / a level entry", tags=["catalog"]),
)
class ItemLevelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [AdminOnly]
    serializer_class = ItemLevelSerializer
    filterset_class = LevelFilter
    queryset = ItemLevel.objects.none()

    def get_queryset(self):
        return ItemLevel.objects.select_related("item").order_by("-requested_at")

    @extend_schema(
        request=ItemLevelSerializer,
        responses={201: ItemLevelSerializer},
        tags=["catalog"],
        summary="列入县/乡镇清单，或申请村级准入 / add to a list (village: request)",
    )
    def create(self, request):
        data = _validated(ItemLevelSerializer, request.data)
        entry = services.request_level(
            data["item"], data["level"], by=request.user, reason=data.get("reason", "")
        )
        return Response(ItemLevelSerializer(entry).data, status=201)

    @extend_schema(
        request=ReasonSerializer,
        responses=ItemLevelSerializer,
        tags=["catalog"],
        summary="批准村级准入（县级事项管理员）/ approve village admission (county admins)",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        entry = services.approve_level(
            self.get_object(),
            by=request.user,
            reason=_validated(ReasonSerializer, request.data)["reason"],
        )
        return Response(ItemLevelSerializer(entry).data)

    @extend_schema(
        request=ReasonSerializer,
        responses=ItemLevelSerializer,
        tags=["catalog"],
        summary="驳回村级准入 / reject village admission",
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        entry = services.reject_level(
            self.get_object(),
            by=request.user,
            reason=_validated(ReasonSerializer, request.data)["reason"],
        )
        return Response(ItemLevelSerializer(entry).data)


def register(router):
    router.register("catalog/items", ItemViewSet, basename="catalog-item")
    router.register("catalog/guide-versions", GuideVersionViewSet, basename="catalog-guide-version")
    router.register(
        "catalog/retained-proofs", RetainedProofViewSet, basename="catalog-retained-proof"
    )
    router.register("catalog/levels", ItemLevelViewSet, basename="catalog-level")
    from . import search_api

    search_api.register(router)
