"""Accounts: citizens (自然人), enterprises (法人), staff, and staff roles
scoped to a region, hall, window or department."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.ids import uuid7
from yiwang.core.models import TimeStampedModel


class AccountKind(models.TextChoices):
    CITIZEN = "citizen", _("自然人")
    ENTERPRISE = "enterprise", _("法人")
    STAFF = "staff", _("工作人员")


class AccountStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    CLOSED = "closed", _("已注销")


class User(AbstractUser):
    """One login for everyone. Citizens log in with their ID number or phone,
    enterprises with their credit code, staff with a username + TOTP."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    kind = models.CharField(_("账户类型"), max_length=12, choices=AccountKind.choices)
    real_name = models.CharField(_("姓名/名称"), max_length=100, blank=True)
    # Personal data: SM4-encrypted value + keyed search hash (see core.pii).
    id_number_enc = models.BinaryField(_("证件号码（密文）"), null=True, blank=True, editable=False)
    id_number_hash = models.CharField(
        _("证件号码检索摘要"), max_length=64, blank=True, db_index=True, editable=False
    )
    phone_enc = models.BinaryField(_("手机号码（密文）"), null=True, blank=True, editable=False)
    phone_hash = models.CharField(
        _("手机号码检索摘要"), max_length=64, blank=True, db_index=True, editable=False
    )
    # Enterprises: the unified social credit code is public registration data.
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, db_index=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("所在区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    closed_at = models.DateTimeField(_("注销时间"), null=True, blank=True)
    failed_logins = models.PositiveIntegerField(_("连续登录失败次数"), default=0)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)
    preferred_language = models.CharField(_("界面语言"), max_length=10, default="zh-hans")

    class Meta:
        verbose_name = _("账户")
        verbose_name_plural = _("账户")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=models.Q(status="active") & ~models.Q(id_number_hash=""),
                name="user_unique_active_id_number",
            ),
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=models.Q(status="active") & ~models.Q(credit_code=""),
                name="user_unique_active_credit_code",
            ),
        ]

    def __str__(self):
        return self.real_name or self.username

    # Personal data is only ever shown masked from the model; the clear value
    # comes from core.pii.reveal(), which audits the reveal.
    @property
    def masked_id_number(self) -> str:
        from yiwang.core.pii import masked

        return masked(self, "id_number")

    @property
    def masked_phone(self) -> str:
        from yiwang.core.pii import masked

        return masked(self, "phone")

    @property
    def is_citizen(self) -> bool:
        return self.kind == AccountKind.CITIZEN

    @property
    def is_enterprise(self) -> bool:
        return self.kind == AccountKind.ENTERPRISE

    @property
    def is_staff_member(self) -> bool:
        return self.kind == AccountKind.STAFF

    @property
    def is_closed(self) -> bool:
        return self.status == AccountStatus.CLOSED

    @property
    def login_name(self) -> str:
        """What the person types to log in (never the clear ID number)."""
        if self.kind == AccountKind.STAFF:
            return self.username
        if self.kind == AccountKind.ENTERPRISE:
            return self.credit_code
        return self.masked_id_number


class Role(models.TextChoices):
    """Staff roles (PRODUCT.md, "Who uses it")."""

    CLERK = "clerk", _("窗口人员")
    AGENT = "agent", _("代办员")
    APPROVER = "approver", _("部门审批人员")
    CATALOG_ADMIN = "catalog_admin", _("事项管理员")
    SUPERVISOR = "supervisor", _("电子监察")
    HOTLINE = "hotline", _("12345 话务员")
    DATA_OFFICER = "data_officer", _("数据专员")
    SYSADMIN = "sysadmin", _("系统管理员")


class StaffRole(TimeStampedModel):
    """A role held by a staff member, with its scope. A region scope covers
    that region and everything below it; a hall or window scope covers that
    hall's region subtree for reading and that hall for acting; a department
    scope covers that department's work."""

    user = models.ForeignKey(
        User, verbose_name=_("工作人员"), on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("区划范围"), on_delete=models.PROTECT
    )
    hall = models.ForeignKey(
        "regions.Hall", verbose_name=_("大厅"), null=True, blank=True, on_delete=models.PROTECT
    )
    window = models.ForeignKey(
        "regions.Window", verbose_name=_("窗口"), null=True, blank=True, on_delete=models.PROTECT
    )
    department = models.ForeignKey(
        "regions.Department",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("岗位角色")
        verbose_name_plural = _("岗位角色")

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.region.name}"
