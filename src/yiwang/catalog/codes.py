"""Item codes (事项编码): recognised shapes, parsing and the checks we can make.

Codes differ by province and by year (STANDARDS.md, "Item codes"). The raw code
is always kept verbatim as the item's unique key; parsing only splits it into
named parts where its shape is one we know, and says what is odd about it.

``CODE_SHAPES`` is the one place that knows the shapes. A county whose province
writes codes differently adds a row here (or replaces the list at start-up);
nothing else in the catalog looks at a code's characters.

Each shape has:

* ``name``: a short identifier stored on the item (``ServiceItem.code_shape``);
* ``pattern``: a regular expression with named groups (``basic``, ``region``,
  ``org``, ``level``, ``seq`` …), matched against the whole code;
* ``standard``: True for shapes that are the norm; a code matching a
  non-standard shape is imported and parsed but reported as a warning;
* ``note``: the reason given in that warning (Chinese, translated at display).

A code matching no shape is imported verbatim, unparsed, with a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Characters of a basic code (基本编码): digits and capital letters.
_BASIC = r"[0-9A-Z]{12}|[0-9A-Z]{14}"
# A department code: an 18-char unified social credit code, a 9-char
# organisation code, or a shorter / damaged local code (kept, but checked).
_ORG = r"[0-9A-Za-z]{7,18}"


@dataclass(frozen=True)
class CodeShape:
    name: str
    pattern: re.Pattern
    standard: bool
    note: str = ""
    description: str = ""


def _shape(name, regex, *, standard, note="", description=""):
    return CodeShape(name, re.compile(regex), standard, note, description)


CODE_SHAPES: list[CodeShape] = [
    # Sichuan's published 实施编码: BASIC-REGION12-000-DEPTCODE-LEVEL-SEQ.
    _shape(
        "sichuan",
        rf"^(?P<basic>{_BASIC})-(?P<region>\d{{12}})-(?P<ext>\d{{3}})-(?P<org>{_ORG})"
        r"-(?P<level>\d)-(?P<seq>\d{2})$",
        standard=True,
        description=gettext_lazy("四川实施编码：基本编码-区划代码-000-部门代码-层级-序号"),
    ),
    # The national 实施编码 (31 chars): USCC (18) + level (1) + basic code (12),
    # and the 业务办理项编码: the same + a 2-digit sequence.
    _shape(
        "national",
        r"^(?P<org>[0-9A-Z]{18})(?P<level>\d)(?P<basic>[0-9A-Z]{12})(?P<seq>\d{2})?$",
        standard=True,
        description=gettext_lazy(
            "国家实施编码：统一社会信用代码(18)+层级(1)+基本编码(12)[+序号(2)]"
        ),
    ),
    # The organisation code written with its check-digit hyphen ("00877868-5"):
    # one part too many.
    _shape(
        "sichuan_hyphenated_org",
        rf"^(?P<basic>{_BASIC})-(?P<region>\d{{12}})-(?P<ext>\d{{3}})"
        r"-(?P<org>[0-9A-Za-z]{8}-[0-9A-Za-z])-(?P<level>\d)-(?P<seq>\d{2})$",
        standard=False,
        note=gettext_lazy("部门代码按组织机构代码带连字符书写（7 段），已按 8+1 位部门代码解析"),
    ),
    # An older letter-prefixed basic code ("G-000007-001", "1J-5100-00027").
    _shape(
        "sichuan_letter_basic",
        r"^(?P<basic>[0-9A-Z]{1,2}-\d{4,6}-\d{3,5})-(?P<region>\d{12})-(?P<ext>\d{3})"
        rf"-(?P<org>{_ORG})-(?P<level>\d)-(?P<seq>\d{{2}})$",
        standard=False,
        note=gettext_lazy("基本编码为带连字符的旧式编码（8 段），已按旧式基本编码解析"),
    ),
]

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code
MAX_CODE_LENGTH = 64


@dataclass
class ParsedCode:
    raw: str
    shape: str = ""  # "" when no shape matched
    standard: bool = False
    parts: dict = field(default_factory=dict)
    warning: str = ""  # why the shape is odd (non-standard or unrecognised)
    issues: list[str] = field(default_factory=list)  # failed checks on parts

    @property
    def basic_code(self) -> str:
        return self.parts.get("basic", "")

    @property
    def org_code(self) -> str:
        return self.parts.get("org", "")

    @property
    def region_code(self) -> str:
        return self.parts.get("region", "")


def uscc_valid(code: str) -> bool:
    code = code.upper()
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(code[:17], USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31] == code[17]


def org_code_valid(code: str) -> bool:
    code = code.replace("-", "").upper()
    if len(code) != 9 or not re.fullmatch(r"[0-9A-Z]{8}[0-9X]", code):
        return False

    def val(c):
        return int(c) if c.isdigit() else ord(c) - 55

    total = sum(val(c) * w for c, w in zip(code[:8], ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    expected = {10: "X", 11: "0"}.get(check, str(check))
    return code[8] == expected


def _check_parts(parsed: ParsedCode, area_code: str = "") -> list[str]:
    issues = []
    org = parsed.parts.get("org", "")
    if org:
        plain = org.replace("-", "")
        if len(plain) == 18:
            if not uscc_valid(plain):
                issues.append(
                    _("部门代码 %(code)s 不是有效的统一社会信用代码（校验位不符）") % {"code": org}
                )
            elif plain != plain.upper():
                issues.append(_("部门代码 %(code)s 含小写字母") % {"code": org})
        elif len(plain) == 9:
            if not org_code_valid(plain):
                issues.append(
                    _("部门代码 %(code)s 不是有效的组织机构代码（校验位不符）") % {"code": org}
                )
        else:
            issues.append(
                _(
                    "部门代码 %(code)s 长度为 %(n)d 位，既不是 18 位统一社会信用代码也不是 9 位组织机构代码"
                )
                % {"code": org, "n": len(plain)}
            )
    return issues


def _region_mismatch(parsed: ParsedCode, area_code: str) -> str:
    region = parsed.parts.get("region", "")
    if region and area_code and region != area_code:
        return _("编码中的区划代码 %(region)s 与事项所属区划 %(area)s 不一致") % {
            "region": region,
            "area": area_code,
        }
    return ""


def parse_code(
    raw: str, *, area_code: str = "", shapes: list[CodeShape] | None = None
) -> ParsedCode:
    """Parse ``raw`` against the known shapes. Never raises for odd input:
    the result says what matched and what is wrong."""
    raw = (raw or "").strip()
    parsed = ParsedCode(raw=raw)
    for shape in CODE_SHAPES if shapes is None else shapes:
        match = shape.pattern.match(raw)
        if match:
            parsed.shape = shape.name
            parsed.standard = shape.standard
            parsed.parts = {k: v for k, v in match.groupdict().items() if v is not None}
            # Warnings (reported per row on import): a non-standard shape, or
            # a code that names another division than the item's.
            warnings = [str(shape.note)] if not shape.standard else []
            mismatch = _region_mismatch(parsed, area_code)
            if mismatch:
                warnings.append(mismatch)
            parsed.warning = "；".join(warnings)
            # Notes: failed checks on the parts (kept on the item, counted).
            parsed.issues = _check_parts(parsed, area_code)
            return parsed
    n = len(raw.split("-")) if raw else 0
    parsed.warning = _(
        "编码格式无法识别（%(n)d 段，不符合任何已知编码形态），按原样保留为事项编码"
    ) % {"n": n}
    return parsed


def code_problems(raw: str) -> list[str]:
    """Reasons ``raw`` cannot be an item code at all (empty, too long, spaces)."""
    raw = raw or ""
    if not raw.strip():
        return [_("事项编码不能为空")]
    problems = []
    if len(raw.strip()) > MAX_CODE_LENGTH:
        problems.append(_("事项编码超过 %(n)d 个字符") % {"n": MAX_CODE_LENGTH})
    if re.search(r"\s", raw.strip()):
        problems.append(_("事项编码不能包含空白字符"))
    return problems
