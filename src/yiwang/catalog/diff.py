"""A readable diff between two guide versions: per field, then materials and
steps matched by name (added, removed, changed)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .models import GUIDE_FIELDS, GuideVersion, MaterialRequirement, ProcessStep
from .services import material_snapshot, step_snapshot


@dataclass
class Change:
    section: str  # "guide", "materials", "steps"
    field: str  # field name, or the material / step name
    label: str  # what a reader sees
    kind: str  # "changed", "added", "removed"
    old: str = ""
    new: str = ""
    lines: list[str] = field(default_factory=list)  # unified diff for long text

    def as_dict(self) -> dict:
        return {
            "section": self.section,
            "field": self.field,
            "label": self.label,
            "kind": self.kind,
            "old": self.old,
            "new": self.new,
            "lines": self.lines,
        }


def _display(version: GuideVersion, name: str) -> str:
    value = getattr(version, name)
    model_field = GuideVersion._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if name == "handling_forms":
        from .codesets import HandlingForm, labels

        return "、".join(labels(HandlingForm, value))
    if value is None:
        return ""
    return str(value)


def _text_lines(old: str, new: str) -> list[str]:
    if "\n" not in old and "\n" not in new and len(old) + len(new) < 120:
        return []
    return [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1)
        if not line.startswith(("---", "+++"))
    ]


def _describe(snapshot: dict, labels: dict) -> str:
    return "；".join(f"{labels.get(k, k)}：{v}" for k, v in snapshot.items() if v not in ("", None))


def _rows_diff(section, old_rows: list[dict], new_rows: list[dict], labels: dict) -> list[Change]:
    changes = []
    old_by = {r["name"]: r for r in old_rows}
    new_by = {r["name"]: r for r in new_rows}
    for name, row in new_by.items():
        if name not in old_by:
            changes.append(Change(section, name, name, "added", new=_describe(row, labels)))
        elif row != old_by[name]:
            diffs = [
                f"{labels.get(k, k)}：{old_by[name].get(k, '')} → {v}"
                for k, v in row.items()
                if old_by[name].get(k) != v
            ]
            changes.append(
                Change(
                    section,
                    name,
                    name,
                    "changed",
                    old=_describe(old_by[name], labels),
                    new=_describe(row, labels),
                    lines=diffs,
                )
            )
    for name, row in old_by.items():
        if name not in new_by:
            changes.append(Change(section, name, name, "removed", old=_describe(row, labels)))
    old_order = [r["name"] for r in old_rows if r["name"] in new_by]
    new_order = [r["name"] for r in new_rows if r["name"] in old_by]
    if old_order != new_order:
        changes.append(
            Change(
                section,
                "order",
                _("顺序"),
                "changed",
                old=" → ".join(old_order),
                new=" → ".join(new_order),
            )
        )
    return changes


def _labels(model, names) -> dict:
    return {n: str(model._meta.get_field(n).verbose_name) for n in names}


def diff(v1: GuideVersion, v2: GuideVersion) -> list[Change]:
    """What changed from ``v1`` to ``v2`` (usually older → newer)."""
    changes: list[Change] = []
    for name in GUIDE_FIELDS:
        old, new = _display(v1, name), _display(v2, name)
        if old != new:
            label = str(GuideVersion._meta.get_field(name).verbose_name)
            changes.append(Change("guide", name, label, "changed", old, new, _text_lines(old, new)))
    m_labels = _labels(
        MaterialRequirement,
        [
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
        ],
    )
    changes += _rows_diff(
        "materials",
        [material_snapshot(m) for m in v1.materials.select_related("proof").order_by("position")],
        [material_snapshot(m) for m in v2.materials.select_related("proof").order_by("position")],
        m_labels,
    )
    s_labels = _labels(ProcessStep, ["name", "department", "role", "days", "description"])
    changes += _rows_diff(
        "steps",
        [step_snapshot(s) for s in v1.steps.select_related("department").order_by("position")],
        [step_snapshot(s) for s in v2.steps.select_related("department").order_by("position")],
        s_labels,
    )
    return changes


def as_text(changes: list[Change]) -> str:
    """Plain text, one change per line (the CLI, logs)."""
    out = []
    sign = {"added": "+", "removed": "-", "changed": "~"}
    for c in changes:
        if c.kind == "changed":
            out.append(f"{sign[c.kind]} [{c.section}] {c.label}: {c.old} → {c.new}")
        elif c.kind == "added":
            out.append(f"+ [{c.section}] {c.label}: {c.new}")
        else:
            out.append(f"- [{c.section}] {c.label}: {c.old}")
    return "\n".join(out)
