"""Demo accounts for the demo county (广安区): one staff member per role,
five citizens living in 浓洄街道 (or whichever town exists) and one in a
village of another town — with that village's own agent, so the demo shows
scopes at work (the 浓洄 clerk and agent cannot see her) — and two
enterprises. Runs after ``regions.demo.load()``; idempotent.

Every demo account's password is ``DEMO_PASSWORD``. Every demo staff member
has a confirmed TOTP device with the fixed base32 secret ``DEMO_TOTP_SECRET``,
so a tester computes the current code with
``oathtool --totp -b YIWANGDEMOTOTPSECRETYIWANGDEMO23`` or
``python -c "import pyotp; print(pyotp.TOTP('YIWANGDEMOTOTPSECRETYIWANGDEMO23').now())"``.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from yiwang.core import pii
from yiwang.core.identifiers import generate_credit_code, generate_resident_id
from yiwang.regions.models import Department, Hall, Region, Window

from . import services
from .models import AccountKind, AccountStatus, Role, User

DEMO_PASSWORD = "Yiwang@2026"
DEMO_TOTP_SECRET = "YIWANGDEMOTOTPSECRETYIWANGDEMO23"  # 32 base32 chars = 20 bytes
COUNTY_CODE = "511602000000"
PREFERRED_TOWN = "511602001000"  # 浓洄街道
PREFERRED_DEPARTMENTS = ("区民政局", "区人社局")

CITIZENS = [
    # (name, birth date, sequence, phone, lives in: "village", "town" or
    # "other" — a village of another town)
    ("张建国", dt.date(1968, 3, 12), 131, "13990001001", "village"),
    ("李秀英", dt.date(1975, 11, 2), 242, "13990001002", "village"),
    ("王小明", dt.date(1990, 1, 1), 113, "13990001003", "village"),
    ("刘芳", dt.date(1988, 6, 30), 224, "13990001004", "town"),
    ("陈志强", dt.date(2001, 9, 15), 355, "13990001005", "town"),
    ("周桂兰", dt.date(1952, 4, 8), 466, "13990001006", "other"),
]
ENTERPRISES = [
    # (name, legal representative, authority+type, org code, phone)
    ("广安市浓洄便民食品有限公司", "赵德明", "91", "MA62Q0A01", "13990002001"),
    ("广安区协兴农机专业合作社", "孙有田", "93", "MA62Q0B02", "13990002002"),
]


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message)


def _pick_places():
    county = Region.objects.filter(code=COUNTY_CODE).first()
    if county is None:
        raise RuntimeError(
            "区划 511602000000 广安区不存在：请先运行 regions.demo.load() / "
            "run the regions demo first (yiwang demo load)"
        )
    town = (
        Region.objects.filter(code=PREFERRED_TOWN).first()
        or Region.objects.filter(parent=county, level="town", children__isnull=False)
        .order_by("code")
        .first()
    )
    village = Region.objects.filter(parent=town, level="village").order_by("code").first()
    other_village = (
        Region.objects.filter(parent__parent=county, level="village")
        .exclude(parent=town)
        .order_by("code")
        .first()
    )
    department = None
    for name in PREFERRED_DEPARTMENTS:
        department = Department.objects.filter(name=name).first()
        if department:
            break
    department = department or Department.objects.order_by("name").first()
    county_hall = Hall.objects.filter(region=county).order_by("name").first()
    town_hall = Hall.objects.filter(region=town).order_by("name").first()
    window = (
        Window.objects.filter(hall=county_hall, is_comprehensive=True).order_by("number").first()
        if county_hall
        else None
    )
    return county, town, village, other_village, department, county_hall, town_hall, window


def _staff_specs(county, town, village, other_village, department, county_hall, town_hall, window):
    def scope(**kw):
        return {k: v for k, v in kw.items() if v is not None}

    return [
        ("demo-sysadmin", "系统管理员演示", Role.SYSADMIN, scope(region=county)),
        ("demo-catalog", "事项管理员演示", Role.CATALOG_ADMIN, scope(region=county)),
        ("demo-supervisor", "电子监察演示", Role.SUPERVISOR, scope(region=county)),
        (
            "demo-county-clerk",
            "县综合窗口演示",
            Role.CLERK,
            scope(region=county, hall=county_hall, window=window),
        ),
        ("demo-town-clerk", "镇窗口演示", Role.CLERK, scope(region=town, hall=town_hall)),
        ("demo-agent", "村代办员演示", Role.AGENT, scope(region=village)),
        ("demo-agent-2", "外镇代办员演示", Role.AGENT, scope(region=other_village)),
        (
            "demo-approver",
            "部门审批演示",
            Role.APPROVER,
            scope(region=department.region if department else county, department=department),
        ),
        ("demo-hotline", "12345话务演示", Role.HOTLINE, scope(region=county)),
        ("demo-data", "数据专员演示", Role.DATA_OFFICER, scope(region=county)),
    ]


def _scope_label(spec: dict) -> str:
    parts = [spec["region"].name]
    if spec.get("hall"):
        parts.append(spec["hall"].name)
    if spec.get("window"):
        parts.append(f"{spec['window'].number}号{spec['window'].name}")
    if spec.get("department"):
        parts.append(spec["department"].name)
    return " · ".join(parts)


def load(stdout=None) -> list[dict]:
    """Create the demo accounts (what exists is left alone) and return the
    demo logins: ``{"role", "role_label", "login", "password", "totp_secret", "scope"}``."""
    places = _pick_places()
    town, village, other_village = places[1], places[2], places[3]
    logins: list[dict] = []
    created = 0
    with transaction.atomic():
        for username, name, role, spec in _staff_specs(*places):
            if not spec.get("region") or (role == Role.APPROVER and not spec.get("department")):
                continue  # a county without that place (tests' small trees)
            user = User.objects.filter(username=username).first()
            if user is None:
                user = services.create_staff(
                    username, name, DEMO_PASSWORD, roles=[{"role": role, **spec}], by=None
                )
                services.reset_totp(user, None, secret_base32=DEMO_TOTP_SECRET)
                created += 1
            logins.append(
                {
                    "role": role,
                    "role_label": str(Role(role).label),
                    "login": username,
                    "username": username,
                    "password": DEMO_PASSWORD,
                    "totp_secret": DEMO_TOTP_SECRET,
                    "scope": _scope_label(spec),
                }
            )

        for name, born, seq, phone, where in CITIZENS:
            home = {"village": village, "other": other_village}.get(where) or town
            id_number = generate_resident_id(COUNTY_CODE[:6], born, seq)
            exists = User.objects.filter(
                id_number_hash=pii.search_hash("id_number", id_number), status=AccountStatus.ACTIVE
            ).exists()
            if not exists:
                services.register_citizen(id_number, name, phone, DEMO_PASSWORD, home.code)
                created += 1
            logins.append(
                {
                    "role": AccountKind.CITIZEN,
                    "role_label": str(AccountKind.CITIZEN.label),
                    "login": id_number,
                    "phone": phone,
                    "name": name,
                    "password": DEMO_PASSWORD,
                    "totp_secret": "",
                    "scope": home.name,
                }
            )

        for name, legal, head, org, phone in ENTERPRISES:
            code = generate_credit_code(f"{head}{COUNTY_CODE[:6]}{org}")
            if not User.objects.filter(credit_code=code, status=AccountStatus.ACTIVE).exists():
                services.register_enterprise(code, name, legal, phone, DEMO_PASSWORD, town.code)
                created += 1
            logins.append(
                {
                    "role": AccountKind.ENTERPRISE,
                    "role_label": str(AccountKind.ENTERPRISE.label),
                    "login": code,
                    "phone": phone,
                    "name": name,
                    "password": DEMO_PASSWORD,
                    "totp_secret": "",
                    "scope": town.name,
                }
            )
    _say(stdout, f"演示账户 Demo accounts: 新建 created {created}，共 total {len(logins)}")
    return logins
