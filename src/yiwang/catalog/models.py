"""The service-item catalog (事项清单) and its guides (办事指南).

* ``ServiceItem`` — one item, one code (同一事项、同一标准、同一编码). The raw code
  is the key; names are not (two real names repeat).
* ``GuideVersion`` — the guide (办事指南) of an item, versioned: draft → review →
  published → retired (see ``lifecycle``). A published or retired version
  never changes; a case points at the exact version it was applied under.
* ``MaterialRequirement`` and ``ProcessStep`` belong to a version; the ordered
  steps of a version are the item's process template (办理流程) as of that version.
* ``RetainedProof`` — the retained-proofs list (保留证明清单).
* ``ItemLevel`` — the county / town / village lists, with village admission (准入制).

Only ``catalog.services`` writes these models.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.errors import Conflict
from yiwang.core.models import TimeStampedModel, UUIDModel

from .codesets import (
    CaseType,
    ItemType,
    Level,
    MaterialSource,
    OnlineDepth,
    Scope,
    TimeUnit,
)


class ServiceItem(TimeStampedModel):
    code = models.CharField(_("事项编码"), max_length=64, unique=True)
    # The code split into parts where its shape is recognised (see codes.py).
    code_shape = models.CharField(_("编码形态"), max_length=40, blank=True)
    basic_code = models.CharField(_("基本编码"), max_length=32, blank=True, db_index=True)
    code_parts = models.JSONField(_("编码分段"), default=dict, blank=True)
    code_issues = models.JSONField(_("编码问题"), default=list, blank=True)
    name = models.CharField(_("事项名称"), max_length=200)
    group = models.CharField(_("主项"), max_length=200, blank=True)
    item_type = models.CharField(_("事项类型"), max_length=40, choices=ItemType.choices)
    department = models.ForeignKey(
        "regions.Department",
        verbose_name=_("实施部门"),
        on_delete=models.PROTECT,
        related_name="service_items",
    )
    service_objects = models.JSONField(_("服务对象"), default=list, blank=True)
    halls = models.ManyToManyField(
        "regions.Hall", verbose_name=_("可办大厅"), blank=True, related_name="service_items"
    )
    is_active = models.BooleanField(_("有效"), default=True)
    # Browse categories (see themes.py): slugs separated by spaces, with a
    # space at each end, so `themes__contains=" birth "` works on every database.
    themes = models.CharField(_("主题"), max_length=300, blank=True, default="")
    life_events = models.CharField(_("人生事件"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("政务服务事项")
        verbose_name_plural = _("政务服务事项")
        ordering = ["code"]
        indexes = [models.Index(fields=["item_type", "is_active"])]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    @property
    def theme_list(self) -> list[str]:
        return self.themes.split()

    @property
    def life_event_list(self) -> list[str]:
        return self.life_events.split()


def tag_string(slugs) -> str:
    """Slugs as stored in ``ServiceItem.themes`` / ``life_events``."""
    slugs = [s for s in dict.fromkeys(slugs or ()) if s]
    return f" {' '.join(slugs)} " if slugs else ""


class GuideStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    REVIEW = "review", _("待审核")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已废止")


# The guide elements a version carries, in display order. Used by copying,
# the diff, export/import and the immutability check.
GUIDE_FIELDS = (
    "name",
    "legal_basis",
    "conditions",
    "procedure",
    "promised_days",
    "promised_unit",
    "promised_note",
    "statutory_days",
    "statutory_unit",
    "statutory_note",
    "fee_charged",
    "fee_basis",
    "fee_standard",
    "online_depth",
    "visits",
    "visits_reason",
    "handling_forms",
    "case_type",
    "handling_place",
    "handling_hours",
    "consult_phone",
    "complaint_phone",
    "online_url",
    "result_name",
    "result_delivery",
    "intermediary_services",
    "quantity_limit",
    "special_procedures",
    "scope",
    "supports_appointment",
    "supports_online_payment",
    "supports_delivery",
    "faq",
    "is_generated",
)


class GuideVersion(TimeStampedModel):
    item = models.ForeignKey(
        ServiceItem, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(
        _("状态"), max_length=10, choices=GuideStatus.choices, default=GuideStatus.DRAFT
    )
    # Guide data made up by the demo generator, labelled "演示数据" on pages.
    is_generated = models.BooleanField(_("演示数据"), default=False)

    # The eight disclosures (八公开) and the other guide elements (GB/T 39046 表4).
    name = models.CharField(_("事项名称"), max_length=200)
    legal_basis = models.TextField(_("设定依据"), blank=True)
    conditions = models.TextField(_("受理条件"), blank=True)
    procedure = models.TextField(_("办理流程说明"), blank=True)
    promised_days = models.PositiveIntegerField(_("承诺办结时限"), null=True, blank=True)
    promised_unit = models.CharField(
        _("承诺时限单位"), max_length=12, choices=TimeUnit.choices, default=TimeUnit.WORKING_DAY
    )
    promised_note = models.CharField(_("承诺时限说明"), max_length=300, blank=True)
    statutory_days = models.PositiveIntegerField(_("法定办结时限"), null=True, blank=True)
    statutory_unit = models.CharField(
        _("法定时限单位"), max_length=12, choices=TimeUnit.choices, default=TimeUnit.WORKING_DAY
    )
    statutory_note = models.CharField(_("法定时限说明"), max_length=300, blank=True)
    fee_charged = models.BooleanField(_("是否收费"), default=False)
    fee_basis = models.TextField(_("收费依据"), blank=True)
    fee_standard = models.TextField(_("收费标准"), blank=True)
    online_depth = models.CharField(
        _("网上办理深度"), max_length=12, choices=OnlineDepth.choices, default=OnlineDepth.ON_SITE
    )
    visits = models.PositiveSmallIntegerField(_("到办事现场次数"), default=1)
    visits_reason = models.CharField(_("到现场原因"), max_length=300, blank=True)
    handling_forms = models.JSONField(_("办理形式"), default=list, blank=True)
    case_type = models.CharField(
        _("办件类型"), max_length=10, choices=CaseType.choices, default=CaseType.PROMISED
    )
    handling_place = models.CharField(_("办理地点"), max_length=300, blank=True)
    handling_hours = models.CharField(_("办理时间"), max_length=200, blank=True)
    consult_phone = models.CharField(_("咨询电话"), max_length=100, blank=True)
    complaint_phone = models.CharField(_("监督投诉电话"), max_length=100, blank=True)
    online_url = models.CharField(_("网办地址"), max_length=300, blank=True)
    result_name = models.CharField(_("审批结果名称"), max_length=200, blank=True)
    result_delivery = models.CharField(_("结果送达方式"), max_length=200, blank=True)
    intermediary_services = models.TextField(_("中介服务"), blank=True)
    quantity_limit = models.CharField(_("数量限制"), max_length=200, blank=True)
    special_procedures = models.TextField(_("特别程序"), blank=True)
    scope = models.CharField(
        _("通办范围"), max_length=16, choices=Scope.choices, default=Scope.NONE
    )
    supports_appointment = models.BooleanField(_("支持预约"), default=False)
    supports_online_payment = models.BooleanField(_("支持网上支付"), default=False)
    supports_delivery = models.BooleanField(_("支持物流快递"), default=False)
    faq = models.TextField(_("常见问题"), blank=True)

    # Who moved it and when (the lifecycle's trace; the audit trail has the rest).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=500, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    retired_at = models.DateTimeField(_("废止时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("办事指南版本")
        verbose_name_plural = _("办事指南版本")
        ordering = ["item", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="guide_version_unique_number"),
            models.UniqueConstraint(
                fields=["item"],
                condition=models.Q(status="published"),
                name="guide_version_one_published",
            ),
            models.UniqueConstraint(
                fields=["item"],
                condition=models.Q(status__in=["draft", "review"]),
                name="guide_version_one_open",
            ),
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self):
        return f"{self.item.code} v{self.number}（{self.get_status_display()}）"

    @property
    def is_frozen(self) -> bool:
        """Published and retired versions never change."""
        return self.status in (GuideStatus.PUBLISHED, GuideStatus.RETIRED)

    @property
    def is_editable(self) -> bool:
        return self.status == GuideStatus.DRAFT

    def content(self) -> dict:
        return {f: getattr(self, f) for f in GUIDE_FIELDS}

    def process_template(self):
        """The ordered steps (the item's process template as of this version)."""
        return self.steps.order_by("position")

    def save(self, *args, **kwargs):
        # Last line of defence behind the services: a frozen version's guide
        # content cannot change, whoever saves it.
        if not self._state.adding and self.pk:
            old = GuideVersion.objects.filter(pk=self.pk).first()
            if old is not None and old.is_frozen:
                changed = [f for f in GUIDE_FIELDS if getattr(old, f) != getattr(self, f)]
                if changed or old.item_id != self.item_id or old.number != self.number:
                    raise Conflict(
                        _("已发布的版本不可修改，请新建草稿"),
                        code="guide.frozen",
                        fields={f: [_("已发布的版本不可修改，请新建草稿")] for f in changed},
                    )
        super().save(*args, **kwargs)


def _guard_frozen(version_id):
    status = GuideVersion.objects.filter(pk=version_id).values_list("status", flat=True).first()
    if status in (GuideStatus.PUBLISHED, GuideStatus.RETIRED):
        raise Conflict(_("已发布的版本不可修改，请新建草稿"), code="guide.frozen")


class RetainedProof(TimeStampedModel):
    """An entry of the retained-proofs list (保留证明清单): the only proofs an
    item may demand (清单之外无证明)."""

    name = models.CharField(_("证明名称"), max_length=200, unique=True)
    issuing_body = models.CharField(_("开具单位"), max_length=200, blank=True)
    legal_basis = models.TextField(_("设定依据"), blank=True)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("保留证明事项")
        verbose_name_plural = _("保留证明清单")
        ordering = ["name"]

    def __str__(self):
        return self.name


MATERIAL_FIELDS = (
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
)


class MaterialRequirement(UUIDModel):
    version = models.ForeignKey(
        GuideVersion, verbose_name=_("指南版本"), on_delete=models.CASCADE, related_name="materials"
    )
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    name = models.CharField(_("材料名称"), max_length=200)
    issuing_body = models.CharField(_("出具机构"), max_length=200, blank=True)
    originals = models.PositiveSmallIntegerField(_("原件份数"), default=1)
    copies = models.PositiveSmallIntegerField(_("复印件份数"), default=0)
    required = models.BooleanField(_("是否必备"), default=True)
    source = models.CharField(
        _("来源"), max_length=12, choices=MaterialSource.choices, default=MaterialSource.APPLICANT
    )
    is_proof = models.BooleanField(_("属于证明"), default=False)
    proof = models.ForeignKey(
        RetainedProof,
        verbose_name=_("保留证明事项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="materials",
    )
    blank_form = models.FileField(_("空白表格"), upload_to="catalog/forms/", blank=True)
    sample = models.FileField(_("示例样表"), upload_to="catalog/samples/", blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["version", "position"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        _guard_frozen(self.version_id)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _guard_frozen(self.version_id)
        return super().delete(*args, **kwargs)


STEP_FIELDS = ("name", "department", "role", "days", "description")


class ProcessStep(UUIDModel):
    """One step (环节) of an item's process template, as of a guide version."""

    version = models.ForeignKey(
        GuideVersion, verbose_name=_("指南版本"), on_delete=models.CASCADE, related_name="steps"
    )
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    name = models.CharField(_("环节名称"), max_length=60)
    department = models.ForeignKey(
        "regions.Department",
        verbose_name=_("承办部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A staff role (accounts.models.Role value) that works this step.
    role = models.CharField(_("承办角色"), max_length=20, blank=True)
    days = models.PositiveSmallIntegerField(_("环节时限（工作日）"), default=0)
    description = models.TextField(_("办理要求"), blank=True)

    class Meta:
        verbose_name = _("办理环节")
        verbose_name_plural = _("办理环节")
        ordering = ["version", "position"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        _guard_frozen(self.version_id)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _guard_frozen(self.version_id)
        return super().delete(*args, **kwargs)


class LevelStatus(models.TextChoices):
    REQUESTED = "requested", _("待审批")
    APPROVED = "approved", _("已准入")
    REJECTED = "rejected", _("已驳回")


class ItemLevel(TimeStampedModel):
    """An item on the county, town or village list. County and town entries
    are approved when set; a village entry needs county approval (准入制)."""

    item = models.ForeignKey(
        ServiceItem, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="levels"
    )
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=LevelStatus.choices, default=LevelStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    reason = models.CharField(_("理由"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("事项层级清单")
        verbose_name_plural = _("事项层级清单")
        ordering = ["item", "level"]
        constraints = [models.UniqueConstraint(fields=["item", "level"], name="item_level_unique")]
        indexes = [models.Index(fields=["level", "status"])]

    def __str__(self):
        return f"{self.item.code} · {self.get_level_display()} · {self.get_status_display()}"
