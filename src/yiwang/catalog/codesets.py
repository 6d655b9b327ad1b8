"""Code sets of GB/T 39046—2020 附录A used by the catalog.

The database stores named values (``administrative_license``); the national
numeric codes are mapped only at the edges (import, export, data exchange)
through the ``*_CODES`` tables, because sources number some sets differently
and the real data drops leading zeros ("1" for "01").
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.regions.models import Level  # county / town / village: the three lists


class ItemType(models.TextChoices):
    ADMINISTRATIVE_LICENSE = "administrative_license", _("行政许可")
    ADMINISTRATIVE_PENALTY = "administrative_penalty", _("行政处罚")
    ADMINISTRATIVE_COERCION = "administrative_coercion", _("行政强制")
    ADMINISTRATIVE_LEVY = "administrative_levy", _("行政征收")
    ADMINISTRATIVE_PAYMENT = "administrative_payment", _("行政给付")
    ADMINISTRATIVE_INSPECTION = "administrative_inspection", _("行政检查")
    ADMINISTRATIVE_CONFIRMATION = "administrative_confirmation", _("行政确认")
    ADMINISTRATIVE_REWARD = "administrative_reward", _("行政奖励")
    ADMINISTRATIVE_ADJUDICATION = "administrative_adjudication", _("行政裁决")
    OTHER_POWER = "other_power", _("其他行政权力")
    PUBLIC_SERVICE = "public_service", _("公共服务")


ITEM_TYPE_CODES = {
    "01": ItemType.ADMINISTRATIVE_LICENSE,
    "02": ItemType.ADMINISTRATIVE_PENALTY,
    "03": ItemType.ADMINISTRATIVE_COERCION,
    "04": ItemType.ADMINISTRATIVE_LEVY,
    "05": ItemType.ADMINISTRATIVE_PAYMENT,
    "06": ItemType.ADMINISTRATIVE_INSPECTION,
    "07": ItemType.ADMINISTRATIVE_CONFIRMATION,
    "08": ItemType.ADMINISTRATIVE_REWARD,
    "09": ItemType.ADMINISTRATIVE_ADJUDICATION,
    "10": ItemType.OTHER_POWER,
    "20": ItemType.PUBLIC_SERVICE,
}
ITEM_TYPE_TO_CODE = {v: k for k, v in ITEM_TYPE_CODES.items()}


def item_type_from_code(value) -> ItemType | None:
    """``"1"``, ``"01"``, ``1``, ``"行政许可"`` or ``"administrative_license"``
    → ItemType; None when unknown."""
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    if text.isdigit():
        return ITEM_TYPE_CODES.get(text.zfill(2))
    for choice in ItemType:
        if text in (choice.value, str(choice.label)):
            return choice
    return None


# 行使层级 codes for the three levels the platform runs.
LEVEL_CODES = {"4": Level.COUNTY, "5": Level.TOWN, "6": Level.VILLAGE}


class ServiceObject(models.TextChoices):
    NATURAL_PERSON = "natural_person", _("自然人")
    ENTERPRISE = "enterprise", _("企业法人")
    PUBLIC_INSTITUTION = "public_institution", _("事业法人")
    SOCIAL_ORGANISATION = "social_organisation", _("社会组织法人")
    GOVERNMENT_BODY = "government_body", _("行政机关")
    OTHER_ORGANISATION = "other_organisation", _("其他组织")


SERVICE_OBJECT_CODES = {
    "1": ServiceObject.NATURAL_PERSON,
    "2": ServiceObject.ENTERPRISE,
    "3": ServiceObject.PUBLIC_INSTITUTION,
    "4": ServiceObject.SOCIAL_ORGANISATION,
    "5": ServiceObject.GOVERNMENT_BODY,
    "6": ServiceObject.OTHER_ORGANISATION,
}


class HandlingForm(models.TextChoices):
    WINDOW = "window", _("窗口办理")
    PC_ONLINE = "pc_online", _("电脑端网上办理")
    MOBILE_ONLINE = "mobile_online", _("移动端网上申请")
    MAIL = "mail", _("快递申请")
    OTHER = "other", _("其他")


HANDLING_FORM_CODES = {
    "1": HandlingForm.WINDOW,
    "2": HandlingForm.PC_ONLINE,
    "3": HandlingForm.MOBILE_ONLINE,
    "4": HandlingForm.MAIL,
    "9": HandlingForm.OTHER,
}


class CaseType(models.TextChoices):
    """办件类型."""

    INSTANT = "instant", _("即办件")
    PROMISED = "promised", _("承诺件")
    OTHER = "other", _("其他")


CASE_TYPE_CODES = {"1": CaseType.INSTANT, "2": CaseType.PROMISED, "9": CaseType.OTHER}


class OnlineDepth(models.TextChoices):
    """网上办理深度 as the plans name it (003: 二(三)2)."""

    FULL_ONLINE = "full_online", _("全程网办（一趟不用跑）")
    ONE_VISIT = "one_visit", _("最多跑一趟")
    ON_THE_SPOT = "on_the_spot", _("即办（当场办结）")
    ON_SITE = "on_site", _("到现场办理")


class TimeUnit(models.TextChoices):
    WORKING_DAY = "working_day", _("工作日")
    NATURAL_DAY = "natural_day", _("自然日")


class MaterialSource(models.TextChoices):
    APPLICANT = "applicant", _("申请人自备")
    E_LICENSE = "e_license", _("电子证照")
    SHARED_DATA = "shared_data", _("共享数据")
    GOVERNMENT = "government", _("政府部门核发")


class Scope(models.TextChoices):
    """通办范围."""

    NONE = "none", _("不通办")
    COUNTY = "county", _("全县通办")
    CROSS_COUNTY = "cross_county", _("跨县通办")
    CROSS_CITY = "cross_city", _("跨市通办")
    CROSS_PROVINCE = "cross_province", _("跨省通办")
    NATIONAL = "national", _("全国通办")


def labels(choices_cls, values) -> list[str]:
    """Labels of a list of stored values (unknown values shown as they are)."""
    mapping = dict(choices_cls.choices)
    return [str(mapping.get(v, v)) for v in values or []]


def values_from_labels(choices_cls, texts, codes: dict | None = None) -> list[str]:
    """Stored values from labels, values or national codes (edges: import)."""
    out = []
    by_label = {str(label): value for value, label in choices_cls.choices}
    for text in texts:
        text = str(text).strip()
        if not text:
            continue
        if text in choices_cls.values:
            out.append(text)
        elif text in by_label:
            out.append(by_label[text])
        elif codes and text in codes:
            out.append(str(codes[text]))
        else:
            raise ValueError(text)
    return out
