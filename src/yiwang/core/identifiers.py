"""National identifiers: the resident ID number (公民身份号码, GB 11643) and the
unified social credit code (统一社会信用代码, GB 32100).

``python-stdnum`` checks the arithmetic but not everything a registration
desk needs: it answers "invalid" without saying which part is wrong, it
accepts region prefixes no province has, and it rejects credit codes whose
registration authority is a letter (``N`` agriculture, ``Y`` other, ``A``
military). These parsers say precisely what is wrong, in a message a clerk
can read to the applicant, each failure with its own ``code``.

The generators (``generate_resident_id``, ``generate_credit_code``) make
valid numbers for demo and test data.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .errors import ValidationFailed

# ---------------------------------------------------------------------------
# Resident ID (GB 11643)

RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RIC_CHECK = "10X98765432"
RIC_RE = re.compile(r"^\d{17}[\dX]$")

# Province-level division codes (GB/T 2260). 71 Taiwan, 81 Hong Kong, 82 Macao.
PROVINCE_CODES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)
EARLIEST_BIRTH_YEAR = 1900


@dataclass(frozen=True)
class ResidentId:
    number: str  # normalised: 18 characters, upper-case X
    region_code: str  # 6 digits, the division where the number was issued
    birth_date: dt.date
    sequence: str  # 3 digits; odd for men, even for women
    sex: str  # "M" or "F"

    @property
    def check_char(self) -> str:
        return self.number[-1]


# Region checks: each takes the 6-digit prefix and answers True (known),
# False (unknown: reject) or None (no opinion). The default checks only the
# province part, because a county platform must accept people born anywhere;
# a deployment with a full GB/T 2260 table can add a stricter check.
RegionCheck = Callable[[str], "bool | None"]


def province_check(region6: str) -> bool | None:
    return region6[:2] in PROVINCE_CODES


REGION_CHECKS: list[RegionCheck] = [province_check]


def region_known(region6: str, checks: list[RegionCheck] | None = None) -> bool:
    """Apply the checks in order: the first False rejects; a True from a later
    check does not overrule an earlier False."""
    for check in REGION_CHECKS if checks is None else checks:
        verdict = check(region6)
        if verdict is False:
            return False
    return True


def normalise(value) -> str:
    """Full-width to half-width, drop spaces and hyphens, upper-case."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    return re.sub(r"[\s\-]", "", text).upper()


def ric_check_char(first17: str) -> str:
    return RIC_CHECK[sum(int(c) * w for c, w in zip(first17, RIC_WEIGHTS, strict=True)) % 11]


def parse_resident_id(
    value,
    *,
    today: dt.date | None = None,
    field: str = "id_number",
    region_checks: list[RegionCheck] | None = None,
) -> ResidentId:
    """Parse and validate a resident ID number; raise ``ValidationFailed``
    with a precise message and a code per failure:

    ``id_number.required``, ``id_number.length``, ``id_number.characters``,
    ``id_number.region``, ``id_number.birth_date``, ``id_number.birth_date_future``,
    ``id_number.birth_date_too_early``, ``id_number.check_digit``.
    """

    def fail(code: str, message: str):
        raise ValidationFailed(message, code=code, fields={field: [message]})

    number = normalise(value)
    if not number:
        fail("id_number.required", _("请填写身份证号码"))
    if len(number) != 18:
        fail(
            "id_number.length",
            _("身份证号码应为18位（前17位数字，最后一位为数字或X），实际为%(n)d位")
            % {"n": len(number)},
        )
    if not RIC_RE.match(number):
        bad = next(
            (i, c)
            for i, c in enumerate(number)
            if not (c.isdigit() and c.isascii()) and not (i == 17 and c == "X")
        )
        fail(
            "id_number.characters",
            _(
                "身份证号码应为18位，前17位只能是数字、最后一位为数字或X；第%(pos)d位“%(char)s”不符合"
            )
            % {"pos": bad[0] + 1, "char": bad[1]},
        )
    region6, birth, seq = number[:6], number[6:14], number[14:17]
    if not region_known(region6, region_checks):
        fail(
            "id_number.region",
            _("身份证号码前6位 %(code)s 不是有效的行政区划代码") % {"code": region6},
        )
    pretty = f"{birth[:4]}-{birth[4:6]}-{birth[6:]}"
    try:
        born = dt.date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    except ValueError:
        fail("id_number.birth_date", _("出生日期 %(date)s 不存在") % {"date": pretty})
    today = today or dt.date.today()
    if born > today:
        fail(
            "id_number.birth_date_future",
            _("出生日期 %(date)s 晚于今天，不可能") % {"date": pretty},
        )
    if born.year < EARLIEST_BIRTH_YEAR:
        fail(
            "id_number.birth_date_too_early",
            _("出生日期 %(date)s 早于 %(year)d 年，请核对")
            % {"date": pretty, "year": EARLIEST_BIRTH_YEAR},
        )
    expected = ric_check_char(number[:17])
    if number[17] != expected:
        fail(
            "id_number.check_digit",
            _("身份证号码校验码错误：校验码应为 %(expected)s，实际为 %(actual)s")
            % {"expected": expected, "actual": number[17]},
        )
    return ResidentId(
        number=number,
        region_code=region6,
        birth_date=born,
        sequence=seq,
        sex="M" if int(seq) % 2 else "F",
    )


def is_valid_resident_id(value, **kwargs) -> bool:
    try:
        parse_resident_id(value, **kwargs)
    except ValidationFailed:
        return False
    return True


def generate_resident_id(region6: str, birth_date: dt.date, seq: int | str) -> str:
    """A valid ID number for demo and test data (``seq`` 0–999; odd = male)."""
    region6 = str(region6)[:6]
    if not re.fullmatch(r"\d{6}", region6):
        raise ValueError("region6 must be 6 digits")
    seq3 = f"{int(seq):03d}"
    if len(seq3) != 3:
        raise ValueError("seq must be 0..999")
    first17 = f"{region6}{birth_date:%Y%m%d}{seq3}"
    return first17 + ric_check_char(first17)


# ---------------------------------------------------------------------------
# Unified social credit code (GB 32100)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# GB 32100 Annex A: registration authority (登记管理部门) → its entity types
# (机构类别). A dict so a deployment can add codes the standard's later
# amendments introduce.
REGISTRATION_AUTHORITIES: dict[str, tuple[str, str]] = {
    "1": ("机构编制", "1239"),
    "2": ("外交", "19"),
    "3": ("司法行政", "1234569"),
    "4": ("文化", "19"),
    "5": ("民政", "1239"),
    "6": ("旅游", "129"),
    "7": ("宗教", "129"),
    "8": ("工会", "19"),
    "9": ("工商/市场监管", "123"),
    "A": ("中央军委改革和编制办公室", "19"),
    "N": ("农业农村", "1239"),
    "Y": ("其他", "1"),
}
# Positions 3–8: the registering division; "10" is the central level.
USCC_REGION_PREFIXES = PROVINCE_CODES | {"10"}


@dataclass(frozen=True)
class CreditCode:
    code: str
    authority: str  # position 1
    entity_type: str  # position 2
    region_code: str  # positions 3–8
    organisation_code: str  # positions 9–17 (GB 11714 organisation code)

    @property
    def authority_name(self) -> str:
        return REGISTRATION_AUTHORITIES[self.authority][0]


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def parse_credit_code(value, *, field: str = "credit_code") -> CreditCode:
    """Parse and validate a unified social credit code; ``ValidationFailed``
    codes: ``credit_code.required``, ``credit_code.length``,
    ``credit_code.characters``, ``credit_code.authority``,
    ``credit_code.entity_type``, ``credit_code.region``, ``credit_code.check_char``."""

    def fail(code: str, message: str):
        raise ValidationFailed(message, code=code, fields={field: [message]})

    code = normalise(value)
    if not code:
        fail("credit_code.required", _("请填写统一社会信用代码"))
    if len(code) != 18:
        fail(
            "credit_code.length",
            _("统一社会信用代码应为18位，实际为%(n)d位") % {"n": len(code)},
        )
    for i, c in enumerate(code):
        if c not in USCC_ALPHABET:
            fail(
                "credit_code.characters",
                _(
                    "统一社会信用代码第%(pos)d位“%(char)s”不是允许的字符"
                    "（只能是数字和除 I、O、Z、S、V 以外的大写字母）"
                )
                % {"pos": i + 1, "char": c},
            )
    authority = REGISTRATION_AUTHORITIES.get(code[0])
    if authority is None:
        fail(
            "credit_code.authority",
            _("统一社会信用代码第1位“%(char)s”不是有效的登记管理部门代码") % {"char": code[0]},
        )
    if code[1] not in authority[1]:
        fail(
            "credit_code.entity_type",
            _("统一社会信用代码第2位“%(char)s”不是%(authority)s登记的机构类别")
            % {"char": code[1], "authority": authority[0]},
        )
    region = code[2:8]
    if not region.isdigit() or region[:2] not in USCC_REGION_PREFIXES:
        fail(
            "credit_code.region",
            _("统一社会信用代码第3至8位 %(code)s 不是有效的登记管理机关行政区划码")
            % {"code": region},
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        fail(
            "credit_code.check_char",
            _("统一社会信用代码校验码错误：校验码应为 %(expected)s，实际为 %(actual)s")
            % {"expected": expected, "actual": code[17]},
        )
    return CreditCode(
        code=code,
        authority=code[0],
        entity_type=code[1],
        region_code=region,
        organisation_code=code[8:17],
    )


def is_valid_credit_code(value, **kwargs) -> bool:
    try:
        parse_credit_code(value, **kwargs)
    except ValidationFailed:
        return False
    return True


def generate_credit_code(
    prefix17_or_parts: str | tuple | list | dict,
) -> str:
    """A valid credit code for demo and test data: give the first 17
    characters, or the parts ``(authority, entity_type, region6, org9)``
    (also as a dict with those keys)."""
    value = prefix17_or_parts
    if isinstance(value, dict):
        value = (value["authority"], value["entity_type"], value["region6"], value["org9"])
    if isinstance(value, tuple | list):
        authority, entity_type, region6, org9 = (str(p) for p in value)
        value = f"{authority}{entity_type}{region6:0<6}{org9:0>9}"
    first17 = normalise(value)
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        raise ValueError("need 17 characters from the GB 32100 alphabet")
    return first17 + uscc_check_char(first17)


# ---------------------------------------------------------------------------
# Mobile phone numbers (mainland China)

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def parse_phone(value, *, field: str = "phone") -> str:
    """A mainland mobile number, normalised to 11 digits (a +86/0086 prefix
    is dropped). Codes: ``phone.required``, ``phone.invalid``."""
    number = normalise(value).replace("(", "").replace(")", "")
    for prefix in ("+86", "0086"):
        if number.startswith(prefix) and len(number) == 11 + len(prefix):
            number = number[len(prefix) :]
    if not number:
        message = _("请填写手机号码")
        raise ValidationFailed(message, code="phone.required", fields={field: [message]})
    if not PHONE_RE.match(number):
        message = _("手机号码应为以1开头的11位数字，例如 13812345678")
        raise ValidationFailed(message, code="phone.invalid", fields={field: [message]})
    return number
