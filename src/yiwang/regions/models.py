"""The three-level service system (三级体系): divisions, halls, windows,
resident departments."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import TimeStampedModel


class Level(models.TextChoices):
    COUNTY = "county", _("县级")
    TOWN = "town", _("乡镇级")
    VILLAGE = "village", _("村级")


class HallKind(models.TextChoices):
    """What a hall is. The kind follows the level of its region: a county has
    its government-service centre and possibly branch centres (分中心, e.g. a
    real-estate registration hall); a town its convenience-service centre; a
    village or community its service room (站/室)."""

    CENTRE = "centre", _("政务服务中心")
    BRANCH = "branch", _("政务服务分中心")
    TOWN = "town", _("便民服务中心")
    VILLAGE = "village", _("便民服务室")


# The kinds a hall may have at each level; the first is the default.
HALL_KINDS_BY_LEVEL = {
    Level.COUNTY: (HallKind.CENTRE, HallKind.BRANCH),
    Level.TOWN: (HallKind.TOWN,),
    Level.VILLAGE: (HallKind.VILLAGE,),
}


class Region(TimeStampedModel):
    """A statistical division (行政区划) with its 12-digit code."""

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of codes ("/511602000000/511602001000/") so that
    # "this region and everything below it" is one indexed prefix query.
    path = models.CharField(_("路径"), max_length=200, db_index=True, editable=False)
    is_active = models.BooleanField(_("有效"), default=True)
    retired_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "is_active"])]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    def save(self, *args, **kwargs):
        # The path follows the parent; services move regions, save keeps it true.
        self.path = (self.parent.path if self.parent_id else "/") + self.code + "/"
        super().save(*args, **kwargs)

    def contains(self, other: "Region") -> bool:
        """True when ``other`` is this region or lies below it."""
        return other.path.startswith(self.path)


class Department(TimeStampedModel):
    """A resident department (进驻部门) of the county."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    code = models.CharField(_("统一社会信用代码/组织机构代码"), max_length=18, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.PROTECT)
    is_active = models.BooleanField(_("有效"), default=True)
    retired_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("进驻部门")
        verbose_name_plural = _("进驻部门")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Hall(TimeStampedModel):
    """A service hall: the county centre (政务服务中心), a town hall
    (便民服务中心) or a village room (便民服务室)."""

    region = models.ForeignKey(
        Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="halls"
    )
    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=10, choices=HallKind.choices)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=40, blank=True)
    opening_hours = models.CharField(_("办公时间"), max_length=120, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    retired_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("服务大厅")
        verbose_name_plural = _("服务大厅")
        ordering = ["region__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="hall_unique_name_in_region")
        ]

    def __str__(self):
        return self.name

    @property
    def level(self) -> str:
        return self.region.level


class Window(TimeStampedModel):
    """A window (窗口) in a hall: a department's window or the comprehensive
    window (综合窗口) that accepts any item."""

    hall = models.ForeignKey(
        Hall, verbose_name=_("大厅"), on_delete=models.PROTECT, related_name="windows"
    )
    number = models.CharField(_("窗口号"), max_length=10)
    name = models.CharField(_("名称"), max_length=60)
    # The standard window set (赤壁: 卫计, 民政, 人社 …, 综合).
    category = models.CharField(_("窗口类别"), max_length=20)
    is_comprehensive = models.BooleanField(_("综合窗口"), default=False)
    departments = models.ManyToManyField(
        Department, verbose_name=_("进驻部门"), blank=True, related_name="windows"
    )
    is_active = models.BooleanField(_("有效"), default=True)
    retired_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")
        ordering = ["hall", "number"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "number"], name="window_unique_number_in_hall")
        ]

    def __str__(self):
        return f"{self.hall.name} {self.number}号 {self.name}"
