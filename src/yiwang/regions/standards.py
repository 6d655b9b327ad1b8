"""The standard window sets and the codes' shape (STANDARDS.md, "Identifiers").

The 赤壁 plan (seeds 002: 二(五)2) fixes the windows every town hall and every
village room opens. Categories are plain strings so that a county may add its
own; these are the ones the plans name.
"""

from __future__ import annotations

from .models import Level

COMPREHENSIVE = "综合"

TOWN_WINDOW_SET = (
    "卫计",
    "民政",
    "人社",
    "公安",
    "司法",
    "工商",
    "国税",
    "国土",
    "住建",
    "财政",
    "农牧林水",
    COMPREHENSIVE,
)
VILLAGE_WINDOW_SET = ("卫计", "民政", "人社", "国土", "财政", COMPREHENSIVE)

# Which of the county's departments stand behind each standard category.
CATEGORY_DEPARTMENTS = {
    "卫计": ("区卫健局",),
    "民政": ("区民政局",),
    "人社": ("区人社局",),
    "公安": ("区公安分局",),
    "司法": ("区司法局",),
    "工商": ("区市监局",),
    "国税": ("广安区税务局",),
    "国土": ("区自然资源和规划局",),
    "住建": ("区住建局",),
    "财政": ("区财政局",),
    "农牧林水": ("区农业农村局", "区林业局", "区水务局"),
}


def level_of_code(code: str) -> str:
    """The level a 12-digit code's shape implies: county 6 + town 3 + village 3,
    with the lower parts zero above the level."""
    if code[6:] == "000000":
        return Level.COUNTY
    if code[9:] == "000":
        return Level.TOWN
    return Level.VILLAGE


def parent_code_of(code: str) -> str:
    """The code of the division directly above, by shape. A county's parent
    (the prefecture, e.g. 511600000000) is outside the platform."""
    level = level_of_code(code)
    if level == Level.VILLAGE:
        return code[:9] + "000"
    if level == Level.TOWN:
        return code[:6] + "000000"
    return code[:4] + "00000000"


def code_problems(code: str, level: str | None = None) -> list[str]:
    """Reasons a code is not a valid division code (of ``level``, if given).
    Messages are plain strings; callers translate the ones they show."""
    from django.utils.translation import gettext as _

    if len(code) != 12 or not code.isdigit():
        return [_("区划代码必须是 12 位数字")]
    problems = []
    shape = level_of_code(code)
    if level and level not in Level.values:
        problems.append(_("层级必须是 county、town 或 village"))
    elif level and level != shape:
        problems.append(
            _("层级为 %(level)s，但代码形态是 %(shape)s") % {"level": level, "shape": shape}
        )
    if code[4:6] == "00":
        problems.append(_("县级部分（第 5–6 位）不能为 00"))
    if shape in (Level.TOWN, Level.VILLAGE) and not 1 <= int(code[6:9]) <= 399:
        problems.append(_("乡级部分（第 7–9 位）必须在 001–399 之间"))
    if shape == Level.VILLAGE and not 1 <= int(code[9:]) <= 399:
        problems.append(_("村级部分（第 10–12 位）必须在 001–399 之间"))
    return problems
