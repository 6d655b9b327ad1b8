"""Consistency rules a guide must pass before it is published.

They come from STANDARDS.md: the guide elements, the data-quality checks seen
on real platforms (即办 ⇒ 即办件; 全程网办 ⇒ 0 visits; visits > 0 ⇒ a reason;
a 行政许可 has 受理, 审查, 决定, 办结, 送达), the time limits (promised ≤
statutory; the steps' days sum to no more than the promised limit), the
retained-proofs list (清单之外无证明), and the failures of the State Council's
2017 check (steps that do not say what they require, missing time limits,
fees or contacts, vague materials).

Each rule is a ``Rule(code, label, check)``; ``check(guide)`` yields
``(field, message)`` pairs. ``violations(version)`` runs them all; the service
refuses publication with every violation named by rule and field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .codesets import CaseType, ItemType, OnlineDepth, TimeUnit

# The steps an administrative licence must have (STANDARDS.md).
LICENSE_STEPS = ("受理", "审查", "决定", "办结", "送达")
# Material names that say nothing (STANDARDS.md: 13% of guides had them).
VAGUE_MATERIAL_PATTERNS = (
    re.compile(r"其他.*材料"),
    re.compile(r"相关.*材料"),
    re.compile(r"根据.*(法律|法规|规定).*(需要|要求)"),
    re.compile(r"等材料$"),
)
# A material whose name ends like this is a proof (证明) and must be on the
# retained-proofs list even when nobody ticked "is a proof".
PROOF_NAME_SUFFIXES = ("证明", "证明书", "证明材料", "证明信")


@dataclass
class GuideSnapshot:
    """What the rules look at: a version's fields plus its materials and steps
    as plain objects (saved rows or unsaved form data alike)."""

    version: object
    item_type: str
    materials: list
    steps: list


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    check: Callable[[GuideSnapshot], Iterator[tuple[str, str]]]


@dataclass(frozen=True)
class Violation:
    rule: str
    label: str
    field: str
    message: str

    def __str__(self):
        return _("规则「%(label)s」（%(rule)s），字段 %(field)s：%(message)s") % {
            "label": self.label,
            "rule": self.rule,
            "field": self.field,
            "message": self.message,
        }


def looks_like_proof(name: str) -> bool:
    return (name or "").strip().endswith(PROOF_NAME_SUFFIXES)


def _required_elements(g: GuideSnapshot):
    v = g.version
    for field, label in (
        ("name", _("事项名称")),
        ("legal_basis", _("设定依据")),
        ("conditions", _("受理条件")),
        ("handling_place", _("办理地点")),
        ("handling_hours", _("办理时间")),
        ("consult_phone", _("咨询电话")),
        ("complaint_phone", _("监督投诉电话")),
    ):
        if not str(getattr(v, field) or "").strip():
            yield field, _("必须填写%(label)s") % {"label": label}
    if v.promised_days is None:
        yield "promised_days", _("必须填写承诺办结时限")
    if v.statutory_days is None:
        yield "statutory_days", _("必须填写法定办结时限")
    if not g.materials:
        yield "materials", _("至少列出一项申请材料")
    if not g.steps:
        yield "steps", _("至少列出一个办理环节")
    if not v.handling_forms:
        yield "handling_forms", _("必须选择至少一种办理形式")


def _fees(g: GuideSnapshot):
    v = g.version
    if v.fee_charged:
        if not (v.fee_basis or "").strip():
            yield "fee_basis", _("收费的事项必须写明收费依据")
        if not (v.fee_standard or "").strip():
            yield "fee_standard", _("收费的事项必须写明收费标准")
    elif not (v.fee_standard or "").strip():
        yield "fee_standard", _("不收费的事项收费标准应写明“不收费”")


def _instant_case_type(g: GuideSnapshot):
    v = g.version
    if v.online_depth == OnlineDepth.ON_THE_SPOT and v.case_type != CaseType.INSTANT:
        yield "case_type", _("网上办理深度为“即办”，办件类型必须是“即办件”")


def _full_online_no_visits(g: GuideSnapshot):
    v = g.version
    if v.online_depth == OnlineDepth.FULL_ONLINE and (v.visits or 0) != 0:
        yield "visits", _("全程网办的事项到现场次数必须为 0，现为 %(n)d") % {"n": v.visits}


def _visits_reason(g: GuideSnapshot):
    v = g.version
    if (v.visits or 0) > 0 and not (v.visits_reason or "").strip():
        yield "visits_reason", _("到现场次数为 %(n)d，必须说明到现场的原因") % {"n": v.visits}


def _one_visit_at_most(g: GuideSnapshot):
    v = g.version
    if v.online_depth == OnlineDepth.ONE_VISIT and (v.visits or 0) > 1:
        yield "visits", _("“最多跑一趟”的事项到现场次数不能超过 1，现为 %(n)d") % {"n": v.visits}


def _license_steps(g: GuideSnapshot):
    if g.item_type != ItemType.ADMINISTRATIVE_LICENSE:
        return
    names = [s.name for s in g.steps]
    missing = [n for n in LICENSE_STEPS if not any(n in name for name in names)]
    if missing:
        yield (
            "steps",
            _("行政许可事项必须包含受理、审查、决定、办结、送达环节，缺少：%(m)s")
            % {"m": "、".join(missing)},
        )


def _as_natural_days(days: int, unit: str) -> float:
    # A working week is 5 days in 7: the bound used when units differ.
    return days * 7 / 5 if unit == TimeUnit.WORKING_DAY else days


def _promised_within_statutory(g: GuideSnapshot):
    v = g.version
    if v.promised_days is None or v.statutory_days is None:
        return
    if v.promised_unit == v.statutory_unit:
        too_long = v.promised_days > v.statutory_days
    else:
        too_long = math.floor(_as_natural_days(v.promised_days, v.promised_unit)) > math.ceil(
            _as_natural_days(v.statutory_days, v.statutory_unit)
        )
    if too_long:
        yield (
            "promised_days",
            _("承诺时限 %(p)d%(pu)s 超过法定时限 %(s)d%(su)s")
            % {
                "p": v.promised_days,
                "pu": TimeUnit(v.promised_unit).label,
                "s": v.statutory_days,
                "su": TimeUnit(v.statutory_unit).label,
            },
        )


def _steps_within_promised(g: GuideSnapshot):
    v = g.version
    if v.promised_days is None:
        return
    total = sum(int(s.days or 0) for s in g.steps)
    limit = v.promised_days
    if v.promised_unit == TimeUnit.NATURAL_DAY:
        limit = math.floor(v.promised_days * 5 / 7) if v.promised_days else 0
    if total > limit:
        yield (
            "steps",
            _("各环节时限合计 %(t)d 个工作日，超过承诺时限 %(p)d 个工作日")
            % {
                "t": total,
                "p": limit,
            },
        )


def _steps_say_what(g: GuideSnapshot):
    for i, step in enumerate(g.steps, start=1):
        if not (step.description or "").strip():
            yield (
                "steps",
                _("第 %(i)d 个环节「%(name)s」没有写明办理要求") % {"i": i, "name": step.name},
            )


def _materials_specific(g: GuideSnapshot):
    for m in g.materials:
        if any(p.search(m.name or "") for p in VAGUE_MATERIAL_PATTERNS):
            yield "materials", _("材料「%(name)s」表述含糊，须写明具体材料") % {"name": m.name}


def _proofs_retained(g: GuideSnapshot):
    for m in g.materials:
        if not (getattr(m, "is_proof", False) or looks_like_proof(m.name)):
            continue
        proof = getattr(m, "proof", None) if getattr(m, "proof_id", None) else None
        if proof is None or not proof.is_active:
            yield (
                "materials",
                _("证明「%(name)s」不在保留证明清单内（清单之外无证明）") % {"name": m.name},
            )


RULES: list[Rule] = [
    Rule("required_elements", gettext_lazy("必备要素齐全"), _required_elements),
    Rule("fees", gettext_lazy("收费依据与标准"), _fees),
    Rule("instant_case_type", gettext_lazy("即办须为即办件"), _instant_case_type),
    Rule("full_online_no_visits", gettext_lazy("全程网办须零跑动"), _full_online_no_visits),
    Rule("one_visit_at_most", gettext_lazy("最多跑一趟"), _one_visit_at_most),
    Rule("visits_reason", gettext_lazy("到现场须说明原因"), _visits_reason),
    Rule("license_steps", gettext_lazy("行政许可环节完整"), _license_steps),
    Rule(
        "promised_within_statutory",
        gettext_lazy("承诺时限不超过法定时限"),
        _promised_within_statutory,
    ),
    Rule(
        "steps_within_promised", gettext_lazy("环节时限合计不超过承诺时限"), _steps_within_promised
    ),
    Rule("steps_say_what", gettext_lazy("环节写明办理要求"), _steps_say_what),
    Rule("materials_specific", gettext_lazy("材料表述具体"), _materials_specific),
    Rule("proofs_retained", gettext_lazy("清单之外无证明"), _proofs_retained),
]


def snapshot(version) -> GuideSnapshot:
    return GuideSnapshot(
        version=version,
        item_type=version.item.item_type,
        materials=list(version.materials.select_related("proof").order_by("position")),
        steps=list(version.steps.order_by("position")),
    )


def violations(version_or_snapshot) -> list[Violation]:
    g = (
        version_or_snapshot
        if isinstance(version_or_snapshot, GuideSnapshot)
        else snapshot(version_or_snapshot)
    )
    found = []
    for rule in RULES:
        for field, message in rule.check(g):
            found.append(Violation(rule.code, str(rule.label), field, str(message)))
    return found
