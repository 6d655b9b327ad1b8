"""API for accounts: registration, token login, the caller's own account,
citizen records and the staff directory (both scoped: out of scope is 404).

Personal data is masked in every response; ``POST citizens/{id}/reveal/``
with a reason is the one way to the clear value, and it is audited.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from yiwang.core import pii
from yiwang.core.api import ChoiceLabelField, ModelSerializer, Serializer
from yiwang.core.errors import Forbidden, ValidationFailed

from . import services
from .models import AccountKind, StaffRole, User
from .rules import CITIZEN_RECORDS, STAFF_DIRECTORY
from .scopes import ScopedQuerysetMixin

# ---------------------------------------------------------------------------
# Serializers


class StaffRoleSerializer(ModelSerializer):
    role_display = ChoiceLabelField("role")
    region = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    hall = serializers.CharField(source="hall.name", read_only=True, default=None)
    window = serializers.CharField(source="window.name", read_only=True, default=None)
    department = serializers.CharField(source="department.name", read_only=True, default=None)

    class Meta:
        model = StaffRole
        fields = [
            "id",
            "role",
            "role_display",
            "region",
            "region_name",
            "hall",
            "window",
            "department",
        ]


class AccountSerializer(ModelSerializer):
    """An account with its personal data masked."""

    id_number = serializers.CharField(source="masked_id_number", read_only=True)
    phone = serializers.CharField(source="masked_phone", read_only=True)
    region = serializers.CharField(source="region.code", read_only=True, default=None)
    region_name = serializers.CharField(source="region.name", read_only=True, default=None)

    class Meta:
        model = User
        fields = [
            "id",
            "kind",
            "real_name",
            "id_number",
            "phone",
            "credit_code",
            "legal_representative",
            "region",
            "region_name",
            "status",
            "closed_at",
            "date_joined",
        ]
        read_only_fields = fields


class MeSerializer(AccountSerializer):
    roles = serializers.SerializerMethodField()

    class Meta(AccountSerializer.Meta):
        fields = [*AccountSerializer.Meta.fields, "username", "preferred_language", "roles"]
        read_only_fields = fields

    def get_roles(self, obj) -> list[dict]:
        if obj.kind != AccountKind.STAFF:
            return []
        roles = obj.roles.filter(is_active=True).select_related(
            "region", "hall", "window", "department"
        )
        return StaffRoleSerializer(roles, many=True).data


class StaffSerializer(ModelSerializer):
    phone = serializers.CharField(source="masked_phone", read_only=True)
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "real_name", "phone", "status", "roles"]
        read_only_fields = fields

    def get_roles(self, obj) -> list[dict]:
        roles = [r for r in obj.roles.all() if r.is_active]
        return StaffRoleSerializer(roles, many=True).data


def _text(**kwargs):
    # Optional at the serializer level: the service gives the precise message.
    return serializers.CharField(required=False, allow_blank=True, default="", **kwargs)


class RegisterCitizenSerializer(Serializer):
    id_number = _text(help_text="18位居民身份证号码")
    real_name = _text()
    phone = _text()
    password = _text(write_only=True, style={"input_type": "password"})
    region_code = _text(help_text="居住地12位区划代码（可选）")


class RegisterEnterpriseSerializer(Serializer):
    credit_code = _text(help_text="18位统一社会信用代码")
    name = _text()
    legal_representative = _text()
    phone = _text()
    password = _text(write_only=True, style={"input_type": "password"})
    region_code = _text()


class TokenRequestSerializer(Serializer):
    identifier = _text(help_text="公众：身份证号码、统一社会信用代码或手机号码")
    username = _text(help_text="工作人员：用户名")
    password = _text(write_only=True)
    otp_token = _text(help_text="工作人员：6位动态验证码")


class ProfileUpdateSerializer(Serializer):
    phone = serializers.CharField(required=False, allow_blank=True)
    real_name = serializers.CharField(required=False, allow_blank=True)
    legal_representative = serializers.CharField(required=False, allow_blank=True)
    region_code = serializers.CharField(required=False, allow_blank=True)
    preferred_language = serializers.CharField(required=False, allow_blank=True)


class DeregisterSerializer(Serializer):
    reason = _text()
    password = _text(write_only=True, help_text="确认注销：当前密码")


class RevealSerializer(Serializer):
    reason = _text(help_text="查看事由（记入审计）")
    field = serializers.ChoiceField(choices=["id_number", "phone"], default="id_number")


# ---------------------------------------------------------------------------
# Views


class AccountViewSet(viewsets.GenericViewSet):
    """Registration, token login and the caller's own account."""

    queryset = User.objects.none()
    serializer_class = MeSerializer

    @extend_schema(request=RegisterCitizenSerializer, responses={201: MeSerializer})
    @action(
        detail=False,
        methods=["post"],
        url_path="register/citizen",
        permission_classes=[permissions.AllowAny],
        authentication_classes=[],
    )
    def register_citizen(self, request):
        data = _validated(RegisterCitizenSerializer, request)
        user = services.register_citizen(
            data["id_number"],
            data["real_name"],
            data["phone"],
            data["password"],
            data["region_code"] or None,
        )
        return Response(MeSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RegisterEnterpriseSerializer, responses={201: MeSerializer})
    @action(
        detail=False,
        methods=["post"],
        url_path="register/enterprise",
        permission_classes=[permissions.AllowAny],
        authentication_classes=[],
    )
    def register_enterprise(self, request):
        data = _validated(RegisterEnterpriseSerializer, request)
        user = services.register_enterprise(
            data["credit_code"],
            data["name"],
            data["legal_representative"],
            data["phone"],
            data["password"],
            data["region_code"] or None,
        )
        return Response(MeSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer(
                "TokenResponse", {"token": serializers.CharField(), "account": MeSerializer()}
            )
        },
    )
    @action(
        detail=False,
        methods=["post"],
        permission_classes=[permissions.AllowAny],
        authentication_classes=[],
    )
    def token(self, request):
        """Citizens and enterprises: identifier + password. Staff: username +
        password + otp_token (a TOTP device must be set up)."""
        data = _validated(TokenRequestSerializer, request)
        if data["username"]:
            outcome = services.authenticate_staff(
                data["username"], data["password"], data["otp_token"], require_otp=True
            )
        else:
            outcome = services.authenticate_citizen(data["identifier"], data["password"])
        key = services.issue_token(outcome.user)
        return Response({"token": key, "account": MeSerializer(outcome.user).data})

    @extend_schema(methods=["GET"], responses=MeSerializer)
    @extend_schema(methods=["PATCH"], request=ProfileUpdateSerializer, responses=MeSerializer)
    @action(detail=False, methods=["get", "patch"])
    def me(self, request):
        if request.method == "PATCH":
            data = _validated(ProfileUpdateSerializer, request)
            user = services.update_profile(request.user, request.user, **data)
            return Response(MeSerializer(user).data)
        return Response(MeSerializer(request.user).data)

    @extend_schema(request=DeregisterSerializer, responses=MeSerializer)
    @action(detail=False, methods=["post"], url_path="me/deregister")
    def deregister(self, request):
        data = _validated(DeregisterSerializer, request)
        if not request.user.check_password(data["password"]):
            message = _("密码不正确，未注销")
            raise ValidationFailed(
                message, code="deregister.password", fields={"password": [message]}
            )
        user = services.deregister(request.user, request.user, data["reason"])
        return Response(MeSerializer(user).data)


def _validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return {
        k: (v.strip() if isinstance(v, str) and k != "password" else v)
        for k, v in serializer.validated_data.items()
    }


class CitizenViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Citizen and enterprise records, scoped by where they live: a village
    agent sees that village, a town clerk the town and its villages, a
    county sysadmin everyone. Filters: ``q`` (name), ``id_number``,
    ``phone``, ``credit_code``, ``region`` (code prefix), ``status``."""

    queryset = (
        User.objects.exclude(kind=AccountKind.STAFF)
        .select_related("region")
        .order_by("-date_joined")
    )
    serializer_class = AccountSerializer
    scope = CITIZEN_RECORDS
    filter_backends: list = []

    def get_queryset(self):
        qs = super().get_queryset()
        params = self.request.query_params
        if params.get("q"):
            qs = qs.filter(real_name__contains=params["q"].strip())
        if params.get("id_number"):
            qs = qs.filter(id_number_hash=pii.search_hash("id_number", params["id_number"]))
        if params.get("phone"):
            qs = qs.filter(phone_hash=pii.search_hash("phone", params["phone"]))
        if params.get("credit_code"):
            qs = qs.filter(credit_code=params["credit_code"].strip().upper())
        if params.get("region"):
            qs = qs.filter(region__code__startswith=params["region"].strip().rstrip("0") or "-")
        if params.get("status"):
            qs = qs.filter(status=params["status"])
        return qs

    @extend_schema(
        request=RevealSerializer,
        responses={
            200: inline_serializer(
                "RevealResponse",
                {"field": serializers.CharField(), "value": serializers.CharField()},
            )
        },
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """The clear ID number (or phone) with a reason; only clerks and
        agents whose region covers the person; every reveal is audited."""
        citizen = self.get_object()
        data = _validated(RevealSerializer, request)
        if not request.user.has_perm("accounts.reveal_pii", citizen):
            raise Forbidden(
                _("只有辖区内的窗口人员或代办员可以查看完整个人信息"), code="pii.forbidden"
            )
        value = pii.reveal(request.user, citizen, data["field"], data["reason"])
        return Response({"field": data["field"], "value": value, data["field"]: value})


class StaffViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """The staff directory: a sysadmin sees everyone, a town clerk the staff
    whose roles lie in the town, a department approver their department."""

    queryset = (
        User.objects.filter(kind=AccountKind.STAFF)
        .prefetch_related("roles__region", "roles__hall", "roles__window", "roles__department")
        .order_by("username")
    )
    serializer_class = StaffSerializer
    scope = STAFF_DIRECTORY
    filter_backends: list = []


def register(router):
    router.register("accounts", AccountViewSet, basename="accounts")
    router.register("citizens", CitizenViewSet, basename="citizen")
    router.register("staff", StaffViewSet, basename="staff")
