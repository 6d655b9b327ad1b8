"""API for the three-level system: divisions, halls, windows, departments.

Reading the directory is public (anyone, logged in or not, sees the active
divisions, halls, windows and departments). Writing — create, update,
retire, reactivate — is for system administrators; it goes through
``regions.services``. Retired objects are visible to administrators only;
for everyone else they do not exist (404), as the platform answers out-of-scope
objects. There is no DELETE: retiring keeps the row and its history.
"""

from __future__ import annotations

import django_filters
from django.db.models import Count, Prefetch, Q
from django.db.models.functions import Length
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from yiwang.core.errors import ValidationFailed

from . import services
from .models import Department, Hall, HallKind, Level, Region, Window
from .rules import can_administer

# --------------------------------------------------------------------------
# permissions


class DirectoryPermission(permissions.BasePermission):
    """Reads for everyone; writes for administrators. On a detail route the
    decision waits for the object lookup, so that what a caller cannot see
    answers 404 rather than 403."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS or getattr(view, "detail", False):
            return True
        return bool(can_administer(request.user))

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or bool(can_administer(request.user))


# --------------------------------------------------------------------------
# serializers


class ActorMixin:
    @property
    def actor(self):
        return self.context["request"].user


class RegionSerializer(ActorMixin, serializers.ModelSerializer):
    code = serializers.CharField(
        max_length=12, help_text="12 位统计用区划代码；创建后不能修改 / 12-digit division code"
    )
    level = serializers.ChoiceField(
        choices=Level.choices, required=False, help_text="由代码形态决定 / follows the code"
    )
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "path", "is_active", "retired_at"]
        read_only_fields = ["path", "is_active", "retired_at"]

    def create(self, validated_data):
        return services.create_region(by=self.actor, **validated_data)

    def update(self, instance, validated_data):
        problems = {}
        if validated_data.get("code", instance.code) != instance.code:
            problems["code"] = [_("区划代码不能修改")]
        if validated_data.get("level", instance.level) != instance.level:
            problems["level"] = [_("层级由区划代码决定，不能修改")]
        if problems:
            raise ValidationFailed(next(iter(problems.values()))[0], fields=problems)
        if "name" in validated_data:
            instance = services.rename_region(instance, by=self.actor, name=validated_data["name"])
        return instance


class HallSerializer(ActorMixin, serializers.ModelSerializer):
    region = serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), help_text="区划代码 / division code"
    )
    region_name = serializers.CharField(source="region.name", read_only=True)
    level = serializers.ChoiceField(source="region.level", choices=Level.choices, read_only=True)
    kind = serializers.ChoiceField(choices=HallKind.choices, required=False)
    window_count = serializers.IntegerField(read_only=True, required=False)

    class Meta:
        model = Hall
        validators: list = []  # the services check uniqueness, with their messages
        fields = [
            "id",
            "region",
            "region_name",
            "level",
            "kind",
            "name",
            "address",
            "phone",
            "opening_hours",
            "window_count",
            "is_active",
            "retired_at",
        ]
        read_only_fields = ["is_active", "retired_at"]

    def create(self, validated_data):
        return services.create_hall(by=self.actor, **validated_data)

    def update(self, instance, validated_data):
        return services.update_hall(instance, by=self.actor, **validated_data)


class WindowSerializer(ActorMixin, serializers.ModelSerializer):
    hall = serializers.PrimaryKeyRelatedField(queryset=Hall.objects.all())
    departments = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Department.objects.all(), required=False
    )
    department_names = serializers.SlugRelatedField(
        source="departments", slug_field="name", many=True, read_only=True
    )
    name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    category = serializers.CharField(max_length=20, required=False, allow_blank=True)

    class Meta:
        model = Window
        validators: list = []  # the services check uniqueness, with their messages
        fields = [
            "id",
            "hall",
            "number",
            "name",
            "category",
            "is_comprehensive",
            "departments",
            "department_names",
            "is_active",
            "retired_at",
        ]
        read_only_fields = ["is_active", "retired_at"]

    def create(self, validated_data):
        return services.create_window(by=self.actor, **validated_data)

    def update(self, instance, validated_data):
        hall = validated_data.pop("hall", instance.hall)
        if hall.pk != instance.hall_id:
            raise ValidationFailed(
                _("窗口不能移到其他大厅"), fields={"hall": [_("窗口不能移到其他大厅")]}
            )
        return services.update_window(instance, by=self.actor, **validated_data)


class DepartmentSerializer(ActorMixin, serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Department
        fields = ["id", "name", "short_name", "code", "region", "is_active", "retired_at"]
        read_only_fields = ["is_active", "retired_at"]
        extra_kwargs = {"name": {"validators": []}}  # uniqueness: the service

    def create(self, validated_data):
        return services.create_department(by=self.actor, **validated_data)

    def update(self, instance, validated_data):
        return services.update_department(instance, by=self.actor, **validated_data)


# --------------------------------------------------------------------------
# filters


def _subtree(queryset, field_path: str, code: str):
    region = Region.objects.filter(code=code).only("path").first()
    if region is None:
        return queryset.none()
    return queryset.filter(**{f"{field_path}__startswith": region.path})


class RegionFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Level.choices)
    parent = django_filters.CharFilter(field_name="parent__code", help_text="上级区划代码")
    within = django_filters.CharFilter(
        method="filter_within", help_text="该区划及其所有下级 / this division and all below it"
    )
    q = django_filters.CharFilter(method="filter_q", help_text="名称或代码前缀")
    active = django_filters.BooleanFilter(field_name="is_active")

    class Meta:
        model = Region
        fields = ["level", "parent", "within", "q", "active"]

    def filter_within(self, queryset, name, value):
        return _subtree(queryset, "path", value)

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__startswith=value))


class HallFilter(django_filters.FilterSet):
    region = django_filters.CharFilter(field_name="region__code", help_text="区划代码")
    within = django_filters.CharFilter(
        method="filter_within", help_text="该区划及其所有下级的大厅 / halls in this subtree"
    )
    level = django_filters.ChoiceFilter(field_name="region__level", choices=Level.choices)
    kind = django_filters.ChoiceFilter(choices=HallKind.choices)
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")
    active = django_filters.BooleanFilter(field_name="is_active")

    class Meta:
        model = Hall
        validators: list = []  # the services check uniqueness, with their messages
        fields = ["region", "within", "level", "kind", "q", "active"]

    def filter_within(self, queryset, name, value):
        return _subtree(queryset, "region__path", value)


class WindowFilter(django_filters.FilterSet):
    hall = django_filters.UUIDFilter(field_name="hall_id")
    within = django_filters.CharFilter(
        method="filter_within", help_text="该区划及其所有下级大厅的窗口"
    )
    category = django_filters.CharFilter()
    department = django_filters.UUIDFilter(field_name="departments__id", distinct=True)
    is_comprehensive = django_filters.BooleanFilter()
    active = django_filters.BooleanFilter(field_name="is_active")

    class Meta:
        model = Window
        validators: list = []  # the services check uniqueness, with their messages
        fields = ["hall", "within", "category", "department", "is_comprehensive", "active"]

    def filter_within(self, queryset, name, value):
        return _subtree(queryset, "hall__region__path", value)


class DepartmentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", help_text="名称或简称")
    code = django_filters.CharFilter()
    active = django_filters.BooleanFilter(field_name="is_active")

    class Meta:
        model = Department
        fields = ["q", "code", "active"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(short_name__icontains=value))


# --------------------------------------------------------------------------
# viewsets


class DirectoryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [DirectoryPermission]
    retire_service = None
    reactivate_service = None

    def visible(self, queryset):
        """Administrators see retired rows too; everyone else only active ones."""
        if can_administer(self.request.user):
            return queryset
        return queryset.filter(is_active=True)

    def _lifecycle(self, service):
        obj = service(self.get_object(), by=self.request.user)
        return Response(self.get_serializer(obj).data)

    @action(detail=True, methods=["post"])
    def retire(self, request, *args, **kwargs):
        """撤销（停用，保留历史）/ Retire: deactivate, keeping history."""
        return self._lifecycle(type(self).retire_service)

    @action(detail=True, methods=["post"])
    def reactivate(self, request, *args, **kwargs):
        """恢复 / Reactivate a retired object."""
        return self._lifecycle(type(self).reactivate_service)


def _lifecycle_schema(serializer):
    return extend_schema_view(
        retire=extend_schema(
            request=None,
            responses={200: serializer, 409: OpenApiResponse(description="已撤销或仍有下级")},
        ),
        reactivate=extend_schema(
            request=None,
            responses={200: serializer, 409: OpenApiResponse(description="未撤销或上级已撤销")},
        ),
    )


@_lifecycle_schema(RegionSerializer)
class RegionViewSet(DirectoryViewSet):
    """行政区划 / Divisions: county → towns/streets → villages/communities."""

    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    lookup_field = "code"
    lookup_value_regex = r"[0-9]{12}"
    retire_service = staticmethod(services.retire_region)
    reactivate_service = staticmethod(services.reactivate_region)

    def get_queryset(self):
        return self.visible(Region.objects.select_related("parent").order_by("path"))


@_lifecycle_schema(HallSerializer)
class HallViewSet(DirectoryViewSet):
    """服务大厅 / Halls: the county centre, town halls, village rooms."""

    serializer_class = HallSerializer
    filterset_class = HallFilter
    retire_service = staticmethod(services.retire_hall)
    reactivate_service = staticmethod(services.reactivate_hall)

    def get_queryset(self):
        return self.visible(
            Hall.objects.select_related("region")
            .annotate(window_count=Count("windows", filter=Q(windows__is_active=True)))
            .order_by("region__path", "name")
        )


@_lifecycle_schema(WindowSerializer)
class WindowViewSet(DirectoryViewSet):
    """窗口 / Windows of the halls, with the departments they serve."""

    serializer_class = WindowSerializer
    filterset_class = WindowFilter
    retire_service = staticmethod(services.retire_window)
    reactivate_service = staticmethod(services.reactivate_window)

    def get_queryset(self):
        queryset = self.visible(Window.objects.all())
        if not can_administer(self.request.user):
            queryset = queryset.filter(hall__is_active=True)
        return (
            queryset.select_related("hall")
            .prefetch_related(Prefetch("departments", queryset=Department.objects.order_by("name")))
            .order_by("hall__region__path", "hall__name", Length("number"), "number")
        )


@_lifecycle_schema(DepartmentSerializer)
class DepartmentViewSet(DirectoryViewSet):
    """进驻部门 / Resident departments."""

    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter
    retire_service = staticmethod(services.retire_department)
    reactivate_service = staticmethod(services.reactivate_department)

    def get_queryset(self):
        return self.visible(Department.objects.select_related("region").order_by("name"))


def register(router):
    router.register("regions", RegionViewSet, basename="region")
    router.register("halls", HallViewSet, basename="hall")
    router.register("windows", WindowViewSet, basename="window")
    router.register("departments", DepartmentViewSet, basename="department")
