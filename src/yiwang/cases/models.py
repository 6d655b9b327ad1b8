"""Cases (办件): an application under one published guide version, from the
front desk through the back-office steps to the issued result.

* ``Case`` — the application: who applied (a snapshot of the applicant, with
  the ID number and phone stored as personal data), where (the accepting hall
  and its region), under which guide version, and the derived clock (the
  promised and statutory ends, recomputed from the stored suspensions).
* ``CaseEvent`` — the case's own history: every move of the lifecycle, in
  order, with who, when, the opinion and what it carried. The current status
  is derived from it (the last event's ``to_status``) and checked against it.
* ``CaseStep`` — the steps (环节) instantiated from the version's process
  template when the case is accepted, each with its owner and its deadline.
* ``CaseMaterial`` — the uploaded materials.
* ``CorrectionNotice`` — one notice listing everything to correct (一次性告知).
* ``Suspension`` — special procedures (特别程序) that pause the clock.
* ``Extension`` — an approved extension of the statutory period (延长审批).
* ``CaseDocument`` — the PDFs the case produces (notices, the result).
* ``CaseCounter`` — the counters behind the case numbers (per region and day).

Only ``cases.services`` writes these models.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import TimeStampedModel, UUIDModel


class Status(models.TextChoices):
    """The case statuses. Each maps to the national reporting code
    (STANDARDS.md, 工程建设项目审批 standard) in ``lifecycle.NATIONAL_CODES``."""

    DRAFT = "draft", _("草稿")
    RECEIVED = "received", _("已接件")
    CORRECTING = "correcting", _("待补正")
    ACCEPTED = "accepted", _("已受理")
    REFUSED = "refused", _("不予受理")
    IN_PROGRESS = "in_progress", _("办理中")
    SUSPENDED = "suspended", _("特别程序中")
    APPROVED = "approved", _("办结（通过）")
    DENIED = "denied", _("办结（不通过）")
    CANCELLED = "cancelled", _("已撤件")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_STATUSES = (
    Status.RECEIVED,
    Status.CORRECTING,
    Status.ACCEPTED,
    Status.IN_PROGRESS,
    Status.SUSPENDED,
)
CONCLUDED_STATUSES = (Status.APPROVED, Status.DENIED)


class Channel(models.TextChoices):
    ONLINE = "online", _("网上申请")
    WINDOW = "window", _("窗口收件")
    AGENT = "agent", _("代办")


class Delivery(models.TextChoices):
    """How the result reaches the applicant (出件方式)."""

    WINDOW = "window", _("窗口领取")
    MAIL = "mail", _("邮寄送达")
    DOWNLOAD = "download", _("网上下载")


class Case(TimeStampedModel):
    case_no = models.CharField(_("办件编号"), max_length=40, unique=True, null=True, blank=True)
    item = models.ForeignKey(
        "catalog.ServiceItem", verbose_name=_("事项"), on_delete=models.PROTECT, related_name="+"
    )
    version = models.ForeignKey(
        "catalog.GuideVersion",
        verbose_name=_("办事指南版本"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The implementing department of the item (a department approver's scope).
    department = models.ForeignKey(
        "regions.Department",
        verbose_name=_("实施部门"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # (department, status) below serves it
    )
    hall = models.ForeignKey(
        "regions.Hall", verbose_name=_("受理大厅"), on_delete=models.PROTECT, related_name="+"
    )
    # The region of the accepting hall: the clerks' and agents' scope.
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("受理区划"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # (region, status) below serves it
    )
    issue_hall = models.ForeignKey(
        "regions.Hall",
        verbose_name=_("出件大厅"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    channel = models.CharField(_("申请渠道"), max_length=10, choices=Channel.choices)
    delivery = models.CharField(
        _("出件方式"), max_length=10, choices=Delivery.choices, default=Delivery.WINDOW
    )
    mail_address = models.CharField(_("邮寄地址"), max_length=300, blank=True)

    # The applicant: an account when there is one, always a snapshot.
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人账户"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        db_index=False,  # (applicant, status) below serves it
    )
    applicant_kind = models.CharField(_("申请人类型"), max_length=12)
    applicant_name = models.CharField(_("申请人"), max_length=100)
    id_number_enc = models.BinaryField(_("证件号码（密文）"), null=True, editable=False)
    id_number_hash = models.CharField(_("证件号码检索摘要"), max_length=64)
    phone_enc = models.BinaryField(_("联系电话（密文）"), null=True, editable=False)
    phone_hash = models.CharField(_("联系电话检索摘要"), max_length=64)
    # Who entered it for the applicant: the clerk at a window, or the agent (代办).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代办员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    title = models.CharField(_("申请事由"), max_length=300, blank=True)
    form_data = models.JSONField(_("申请表"), default=dict, blank=True)

    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    # Bumped by every move: a client sends the version it saw; a stale one is a conflict.
    revision = models.PositiveIntegerField(_("修订号"), default=0)

    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    # The Shanghai date the period runs from: the day of acceptance, or the
    # day of receipt when corrections were not asked within 5 working days.
    received_on = models.DateField(_("收件日期"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    accepted_on = models.DateField(_("时限起算日"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    deemed_accepted = models.BooleanField(_("逾期视为受理"), default=False)
    promised_days = models.PositiveIntegerField(_("承诺时限"), null=True, blank=True)
    statutory_days = models.PositiveIntegerField(_("法定时限"), null=True, blank=True)
    time_unit = models.CharField(_("时限单位"), max_length=12, default="working_day")
    promised_due = models.DateField(_("承诺办结日"), null=True, blank=True, db_index=True)
    statutory_due = models.DateField(_("法定办结日"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    concluded_on_time = models.BooleanField(_("按时办结"), null=True, blank=True)
    result_note = models.TextField(_("办理结果说明"), blank=True)
    issued_at = models.DateTimeField(_("出件时间"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("出件人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    tracking_no = models.CharField(_("快递单号"), max_length=40, blank=True)
    receipt_signed_by = models.CharField(_("领取人签收"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["region", "status"]),
            models.Index(fields=["department", "status"]),
            models.Index(fields=["applicant", "status"]),
            models.Index(fields=["created_at"]),
            # The clerk's search by applicant name (selectors.search).
            models.Index(fields=["applicant_name"], name="case_applicant_name"),
            # Equality only (a search hash, a status): declared here rather
            # than with db_index, which on PostgreSQL adds a second index for
            # LIKE on every such column — written on every insert, never read.
            models.Index(fields=["id_number_hash"], name="case_id_number_hash"),
            models.Index(fields=["phone_hash"], name="case_phone_hash"),
            models.Index(fields=["status"], name="case_status"),
        ]

    def __str__(self):
        return self.case_no or f"草稿 {self.pk}"

    @property
    def masked_id_number(self) -> str:
        from yiwang.core.pii import masked

        return masked(self, "id_number")

    @property
    def masked_phone(self) -> str:
        from yiwang.core.pii import masked

        return masked(self, "phone")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_concluded(self) -> bool:
        return self.status in CONCLUDED_STATUSES

    def current_step(self):
        return self.steps.filter(state=StepState.ACTIVE).first()


class CaseEvent(UUIDModel):
    """One move of a case (its timeline). Append-only: the services only insert."""

    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,  # the unique (case, seq) serves it
    )
    seq = models.PositiveIntegerField(_("序号"))
    action = models.CharField(_("动作"), max_length=30)
    from_status = models.CharField(_("原状态"), max_length=12, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, choices=Status.choices)
    national_code = models.CharField(_("国家标准状态代码"), max_length=4, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_name = models.CharField(_("办理人"), max_length=100, blank=True)
    at = models.DateTimeField(_("时间"))
    step_name = models.CharField(_("环节"), max_length=60, blank=True)
    opinion = models.TextField(_("意见"), blank=True)
    data = models.JSONField(_("附加信息"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("办件轨迹")
        verbose_name_plural = _("办件轨迹")
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="case_event_seq")]

    def __str__(self):
        return f"{self.case} #{self.seq} {self.action}"


class StepState(models.TextChoices):
    PENDING = "pending", _("未开始")
    ACTIVE = "active", _("办理中")
    DONE = "done", _("已完成")
    RETURNED = "returned", _("已退回")
    SKIPPED = "skipped", _("未办理")


class StepKind(models.TextChoices):
    ACCEPTANCE = "acceptance", _("受理")
    REVIEW = "review", _("审批")
    DELIVERY = "delivery", _("送达")


class CaseStep(UUIDModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("序号"))
    name = models.CharField(_("环节名称"), max_length=60)
    kind = models.CharField(_("环节类型"), max_length=12, choices=StepKind.choices)
    department = models.ForeignKey(
        "regions.Department",
        verbose_name=_("承办部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    role = models.CharField(_("承办角色"), max_length=20, blank=True)
    days = models.PositiveSmallIntegerField(_("环节时限（工作日）"), default=0)
    description = models.TextField(_("办理要求"), blank=True)
    # A person the step is handed to (认领 / 转交); empty: anyone of the department.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办理人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=StepState.choices, default=StepState.PENDING
    )
    started_on = models.DateField(_("开始日期"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    due_on = models.DateField(_("环节到期日"), null=True, blank=True, db_index=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = models.CharField(_("业务动作"), max_length=12, blank=True)
    opinion = models.TextField(_("意见"), blank=True)

    class Meta:
        verbose_name = _("办件环节")
        verbose_name_plural = _("办件环节")
        ordering = ["case", "position"]
        constraints = [
            models.UniqueConstraint(fields=["case", "position"], name="case_step_position")
        ]
        indexes = [
            models.Index(fields=["department", "state", "due_on"]),
            # The approver's queue (selectors.queue): its order, and its count
            # from the index alone.
            models.Index(
                fields=["department", "due_on", "started_at", "assignee"],
                condition=models.Q(state="active", kind="review"),
                name="case_step_queue",
            ),
        ]

    def __str__(self):
        return f"{self.case} · {self.name}"


class CaseMaterial(UUIDModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    requirement = models.ForeignKey(
        "catalog.MaterialRequirement",
        verbose_name=_("材料要求"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    name = models.CharField(_("材料名称"), max_length=200)
    # Stored outside the web root (MEDIA_ROOT/cases/<case>/<uuid>.<ext>),
    # downloaded only through the case's own views.
    path = models.CharField(_("存储路径"), max_length=300)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=80)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("摘要"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"))
    is_current = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["case", "uploaded_at"]

    def __str__(self):
        return self.name


class CorrectionNotice(UUIDModel):
    """补正告知: everything the applicant must correct, listed once."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="corrections")
    items = models.JSONField(_("补正内容"))  # [{"material": name, "reason": text}]
    note = models.TextField(_("说明"), blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("告知时间"))
    resolved_at = models.DateTimeField(_("补正时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("补正告知")
        verbose_name_plural = _("补正告知")
        ordering = ["case", "issued_at"]


class SuspensionKind(models.TextChoices):
    """特别程序 (STANDARDS.md): periods excluded from the limit (行政许可法 art. 45)."""

    HEARING = "hearing", _("听证")
    TENDER = "tender", _("招标")
    AUCTION = "auction", _("拍卖")
    INSPECTION = "inspection", _("检验")
    TESTING = "testing", _("检测")
    QUARANTINE = "quarantine", _("检疫")
    APPRAISAL = "appraisal", _("鉴定")
    EXPERT_REVIEW = "expert_review", _("专家评审")
    SITE_CHECK = "site_check", _("实地核查")
    OTHER = "other", _("其他特别程序")


class Suspension(UUIDModel):
    """A special procedure: the clock stops from ``started_on`` and runs
    again on ``ended_on`` (the working days in between are not counted)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="suspensions")
    kind = models.CharField(_("特别程序种类"), max_length=16, choices=SuspensionKind.choices)
    reason = models.TextField(_("理由"))
    started_on = models.DateField(_("开始日期"))
    started_at = models.DateTimeField(_("开始时间"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    result = models.TextField(_("特别程序结果"), blank=True)

    class Meta:
        verbose_name = _("特别程序")
        verbose_name_plural = _("特别程序")
        ordering = ["case", "started_at"]


class ExtensionStatus(models.TextChoices):
    REQUESTED = "requested", _("待批准")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")


class Extension(UUIDModel):
    """延长审批: more working days on the statutory period, once approved."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField(_("延长工作日"))
    reason = models.TextField(_("理由"))
    status = models.CharField(
        _("状态"), max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    decision_note = models.TextField(_("批准意见"), blank=True)

    class Meta:
        verbose_name = _("延长审批")
        verbose_name_plural = _("延长审批")
        ordering = ["case", "requested_at"]


class DocumentKind(models.TextChoices):
    ACCEPTANCE = "acceptance", _("受理通知书")
    REFUSAL = "refusal", _("不予受理通知书")
    CORRECTION = "correction", _("补正告知书")
    APPROVAL = "approval", _("准予许可决定书")
    DENIAL = "denial", _("不予许可决定书")
    RECEIPT = "receipt", _("出件签收单")


class CaseDocument(UUIDModel):
    """A PDF the case produced. Rendered by a background job; until then
    ``path`` is empty and pages show "生成中"."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("文书类型"), max_length=12, choices=DocumentKind.choices)
    number = models.CharField(_("文书编号"), max_length=60)
    # What the notice says, frozen when the move happened (the PDF is made from it).
    content = models.JSONField(_("文书内容"), default=dict, encoder=DjangoJSONEncoder)
    path = models.CharField(_("存储路径"), max_length=300, blank=True)
    sha256 = models.CharField(_("摘要"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("生成时间"))
    rendered_at = models.DateTimeField(_("渲染时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("办件文书")
        verbose_name_plural = _("办件文书")
        ordering = ["case", "created_at"]


class CaseCounter(models.Model):
    """The last case number used per region and Shanghai day. Bumped with
    ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` inside the submitting
    transaction, so numbers never repeat and never skip, and only writers of
    the same region and day wait on each other."""

    key = models.CharField(max_length=40, primary_key=True)  # "<region code>:<yyyymmdd>"
    value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("办件编号计数器")
        verbose_name_plural = _("办件编号计数器")

    def __str__(self):
        return f"{self.key} = {self.value}"


class Notification(UUIDModel):
    """A message to an applicant about their case (in-app; SMS and e-mail
    copies go out through the channel plugins)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, related_name="+")
    event = models.ForeignKey(CaseEvent, on_delete=models.CASCADE, null=True, related_name="+")
    message = models.CharField(_("消息"), max_length=500)
    created_at = models.DateTimeField(_("时间"))
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息通知")
        verbose_name_plural = _("消息通知")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="notification_once_per_event")
        ]


class OutgoingMessage(UUIDModel):
    """What the simulated SMS channel "sent" (the demo shows it; a real
    channel keeps its own records)."""

    channel = models.CharField(_("渠道"), max_length=20)
    to = models.CharField(_("接收号码（脱敏）"), max_length=20)
    text = models.CharField(_("内容"), max_length=500)
    sent_at = models.DateTimeField(_("发送时间"))

    class Meta:
        verbose_name = _("外发短信")
        verbose_name_plural = _("外发短信")
        ordering = ["-sent_at"]
