"""Factories other apps reuse: a small real region tree of 广安区, citizens,
enterprises and staff with a role and scope.

    tree = region_tree()                       # county/towns/villages/halls/departments
    citizen = CitizenFactory(region=tree.village)
    clerk = staff_with_role("clerk", region=tree.town, hall=tree.town_hall)
    approver = staff_with_role("approver", department=tree.department)
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import factory
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from factory.django import DjangoModelFactory

from yiwang.accounts.models import AccountKind, Role, StaffRole, User
from yiwang.core import pii
from yiwang.core.identifiers import generate_credit_code, generate_resident_id
from yiwang.regions.models import Department, Hall, Region, Window

DEFAULT_PASSWORD = "Yiwang@2026"
TEST_TOTP_SECRET = "YIWANGDEMOTOTPSECRETYIWANGDEMO23"


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"511602{300 + n % 600:03d}000")
    name = factory.Sequence(lambda n: f"测试镇{n}")
    level = "town"
    parent = None


def _hall_kind(region: Region) -> dict:
    field_names = {f.name for f in Hall._meta.get_fields()}
    if "kind" not in field_names:
        return {}
    return {"kind": {"county": "centre", "town": "town", "village": "village"}[region.level]}


def make_hall(region: Region, name: str) -> Hall:
    hall, _ = Hall.objects.get_or_create(region=region, name=name, defaults=_hall_kind(region))
    return hall


def make_department(name: str, region: Region, short: str = "") -> Department:
    dept, _ = Department.objects.get_or_create(
        name=name, defaults={"region": region, "short_name": short}
    )
    return dept


def region_tree() -> SimpleNamespace:
    """广安区 → 浓洄街道 (翠屏路社区, 厚街社区) and 北辰街道 (渠江北路社区),
    with the county centre, the two town halls, a comprehensive window, and
    two county departments. Real codes; idempotent."""
    r = RegionFactory
    county = r(code="511602000000", name="广安区", level="county")
    town = r(code="511602001000", name="浓洄街道", level="town", parent=county)
    village = r(code="511602001001", name="翠屏路社区居委会", level="village", parent=town)
    village2 = r(code="511602001002", name="厚街社区居委会", level="village", parent=town)
    other_town = r(code="511602002000", name="北辰街道", level="town", parent=county)
    other_village = r(
        code="511602002001", name="渠江北路社区居委会", level="village", parent=other_town
    )
    county_hall = make_hall(county, "广安区政务服务中心")
    town_hall = make_hall(town, "浓洄街道便民服务中心")
    other_town_hall = make_hall(other_town, "北辰街道便民服务中心")
    window, _ = Window.objects.get_or_create(
        hall=county_hall,
        number="1",
        defaults={"name": "综合窗口", "category": "综合", "is_comprehensive": True},
    )
    department = make_department("区民政局", county, "民政")
    other_department = make_department("区人社局", county, "人社")
    return SimpleNamespace(
        county=county,
        town=town,
        village=village,
        village2=village2,
        other_town=other_town,
        other_village=other_village,
        county_hall=county_hall,
        town_hall=town_hall,
        other_town_hall=other_town_hall,
        window=window,
        department=department,
        other_department=other_department,
    )


def resident_id(n: int, region6: str = "511602") -> str:
    born = dt.date(1960, 1, 1) + dt.timedelta(days=(97 * n) % 20000)
    return generate_resident_id(region6, born, n % 1000)


def credit_code(n: int) -> str:
    return generate_credit_code(f"91511602MA62{n:05d}")


class _PiiUserFactory(DjangoModelFactory):
    class Meta:
        model = User

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        id_number = kwargs.pop("id_number", None)
        phone = kwargs.pop("phone", None)
        password = kwargs.pop("password", DEFAULT_PASSWORD)
        user = model_class(*args, **kwargs)
        if id_number:
            pii.seal_into(user, "id_number", id_number)
        if phone:
            pii.seal_into(user, "phone", phone)
        user.set_password(password)
        user.save()
        user.clear_password = password
        user.clear_id_number = id_number
        user.clear_phone = phone
        return user


class CitizenFactory(_PiiUserFactory):
    kind = AccountKind.CITIZEN
    username = factory.Sequence(lambda n: f"c-test-{n}")
    real_name = factory.Sequence(lambda n: f"测试群众{n}")
    id_number = factory.Sequence(lambda n: resident_id(n + 1))
    phone = factory.Sequence(lambda n: f"137{n:08d}")
    region = None


class EnterpriseFactory(_PiiUserFactory):
    kind = AccountKind.ENTERPRISE
    username = factory.Sequence(lambda n: f"e-test-{n}")
    real_name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    legal_representative = "测试法人"
    credit_code = factory.Sequence(lambda n: credit_code(n + 1))
    phone = factory.Sequence(lambda n: f"136{n:08d}")
    region = None


class StaffFactory(_PiiUserFactory):
    kind = AccountKind.STAFF
    username = factory.Sequence(lambda n: f"staff{n}")
    real_name = factory.Sequence(lambda n: f"工作人员{n}")


def add_totp(user: User, secret: str = TEST_TOTP_SECRET) -> TOTPDevice:
    import base64

    key = base64.b32decode(secret + "=" * (-len(secret) % 8)).hex()
    return TOTPDevice.objects.create(user=user, name="default", key=key, confirmed=True)


def staff_with_role(
    role: str,
    region: Region | None = None,
    *,
    hall: Hall | None = None,
    window: Window | None = None,
    department: Department | None = None,
    totp: bool = True,
    **fields,
) -> User:
    """A staff member holding ``role`` with the given scope (the region
    defaults to the hall's or the department's)."""
    if region is None:
        region = (hall.region if hall else None) or (department.region if department else None)
    user = StaffFactory(**fields)
    StaffRole.objects.create(
        user=user, role=role, region=region, hall=hall, window=window, department=department
    )
    if totp:
        user.totp_device = add_totp(user)
    return user


def totp_code(device: TOTPDevice, at: dt.datetime) -> str:
    """The device's code at ``at``."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at.timestamp()
    return f"{totp.token():0{device.digits}d}"


__all__ = [
    "CitizenFactory",
    "EnterpriseFactory",
    "StaffFactory",
    "RegionFactory",
    "Role",
    "add_totp",
    "region_tree",
    "resident_id",
    "credit_code",
    "staff_with_role",
    "totp_code",
]
