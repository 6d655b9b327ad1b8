"""Account services: every state change of an account goes through here.

Registration (citizens by resident ID number, enterprises by credit code),
profile changes, deregistration (the account is closed, never deleted: its
records stay traceable, and the same ID number may register again as a new
account), staff and their roles, TOTP devices, and login attempts with
lockout.

Every function validates everything first and writes nothing when the input
is wrong; writes and the audit entry share one transaction. The clock is the
module-level ``now()``, which tests replace.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.core import pii
from yiwang.core.audit import record
from yiwang.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from yiwang.core.identifiers import parse_credit_code, parse_phone, parse_resident_id
from yiwang.core.ids import uuid7
from yiwang.regions.models import Department, Hall, Region, Window

from .models import AccountKind, AccountStatus, Role, StaffRole, User
from .scopes import has_role, in_region_scope

TOTP_ISSUER = "一网通办"


def now() -> dt.datetime:
    """The service clock (tests monkeypatch ``yiwang.accounts.services.now``)."""
    return timezone.now()


# ---------------------------------------------------------------------------
# Validation helpers: collect every field's problem, raise once.


class _Errors:
    def __init__(self):
        self.fields: dict[str, list] = {}
        self.first: tuple[str, str] | None = None

    def add(self, field: str, message, code: str):
        self.fields.setdefault(field, []).append(message)
        if self.first is None:
            self.first = (code, message)

    def absorb(self, exc: ValidationFailed):
        for name, messages in (exc.fields or {"non_field_errors": [exc.message]}).items():
            for m in messages:
                self.add(name, m, exc.code)

    def raise_if_any(self):
        if self.first:
            code, message = self.first
            raise ValidationFailed(message, code=code, fields=self.fields)


def _check(errors: _Errors, field: str, fn, *args, **kwargs):
    try:
        return fn(*args, field=field, **kwargs)
    except ValidationFailed as exc:
        errors.absorb(exc)
        return None


def _check_name(errors: _Errors, field: str, value, label: str, max_length: int = 100) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        errors.add(field, _("请填写%(label)s") % {"label": label}, f"{field}.required")
    elif len(text) > max_length:
        errors.add(
            field,
            _("%(label)s不能超过%(n)d个字") % {"label": label, "n": max_length},
            f"{field}.too_long",
        )
    return text


def _check_password(errors: _Errors, password: str, user: User):
    if not password:
        errors.add("password", _("请设置密码"), "password.required")
        return
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        for message in exc.messages:
            errors.add("password", message, "password.weak")


def _check_region_code(errors: _Errors, region_code) -> Region | None:
    if not region_code:
        return None
    region = Region.objects.filter(code=str(region_code).strip(), is_active=True).first()
    if region is None:
        errors.add(
            "region_code",
            _("区划代码 %(code)s 不在本平台的行政区划中") % {"code": region_code},
            "region.unknown",
        )
    return region


def _phone_taken(phone: str, exclude: User | None = None) -> bool:
    qs = User.objects.filter(
        phone_hash=pii.search_hash("phone", phone), status=AccountStatus.ACTIVE
    ).exclude(kind=AccountKind.STAFF)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.exists()


def _snapshot(user: User) -> dict:
    """What the audit trail keeps of an account: masked personal data only."""
    return {
        "kind": user.kind,
        "real_name": user.real_name,
        "id_number": user.masked_id_number,
        "phone": user.masked_phone,
        "credit_code": user.credit_code,
        "legal_representative": user.legal_representative,
        "region": user.region.code if user.region_id else None,
        "status": user.status,
        "preferred_language": user.preferred_language,
    }


def _new_username(prefix: str) -> str:
    return f"{prefix}-{uuid7().hex}"


# ---------------------------------------------------------------------------
# Registration


@transaction.atomic
def register_citizen(
    id_number: str,
    real_name: str,
    phone: str,
    password: str,
    region_code: str | None = None,
) -> User:
    """Open a citizen account (自然人) keyed by the resident ID number."""
    errors = _Errors()
    ric = _check(errors, "id_number", parse_resident_id, id_number)
    name = _check_name(errors, "real_name", real_name, _("姓名"), 50)
    phone_n = _check(errors, "phone", parse_phone, phone)
    region = _check_region_code(errors, region_code)
    user = User(kind=AccountKind.CITIZEN, real_name=name, username=_new_username("c"))
    _check_password(errors, password, user)
    errors.raise_if_any()

    id_hash = pii.search_hash("id_number", ric.number)
    if User.objects.filter(id_number_hash=id_hash, status=AccountStatus.ACTIVE).exists():
        message = _("该身份证号码已注册账户，请直接登录；如忘记密码请到窗口办理")
        raise Conflict(message, code="account.duplicate", fields={"id_number": [message]})
    if _phone_taken(phone_n):
        message = _("该手机号码已被其他账户使用")
        raise Conflict(message, code="phone.taken", fields={"phone": [message]})

    pii.seal_into(user, "id_number", ric.number)
    pii.seal_into(user, "phone", phone_n)
    user.region = region
    user.set_password(password)
    _save_new(user, "id_number")
    record(actor=user, action="account.register", target=user, after=_snapshot(user))
    return user


@transaction.atomic
def register_enterprise(
    credit_code: str,
    name: str,
    legal_representative: str,
    phone: str,
    password: str,
    region_code: str | None = None,
) -> User:
    """Open an enterprise account (法人) keyed by the unified social credit code."""
    errors = _Errors()
    uscc = _check(errors, "credit_code", parse_credit_code, credit_code)
    org_name = _check_name(errors, "name", name, _("单位名称"), 100)
    legal = _check_name(errors, "legal_representative", legal_representative, _("法定代表人"), 50)
    phone_n = _check(errors, "phone", parse_phone, phone)
    region = _check_region_code(errors, region_code)
    user = User(
        kind=AccountKind.ENTERPRISE,
        real_name=org_name,
        legal_representative=legal,
        username=_new_username("e"),
    )
    _check_password(errors, password, user)
    errors.raise_if_any()

    if User.objects.filter(credit_code=uscc.code, status=AccountStatus.ACTIVE).exists():
        message = _("该统一社会信用代码已注册账户，请直接登录")
        raise Conflict(message, code="account.duplicate", fields={"credit_code": [message]})
    if _phone_taken(phone_n):
        message = _("该手机号码已被其他账户使用")
        raise Conflict(message, code="phone.taken", fields={"phone": [message]})

    user.credit_code = uscc.code
    pii.seal_into(user, "phone", phone_n)
    user.region = region
    user.set_password(password)
    _save_new(user, "credit_code")
    record(actor=user, action="account.register", target=user, after=_snapshot(user))
    return user


def _save_new(user: User, key_field: str):
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError:  # a concurrent registration won the race
        message = _("该证件已注册账户，请直接登录")
        raise Conflict(message, code="account.duplicate", fields={key_field: [message]})


# ---------------------------------------------------------------------------
# Profile and lifecycle


PROFILE_FIELDS = ("phone", "real_name", "legal_representative", "region_code", "preferred_language")


def _may_manage(by: User | None, user: User) -> bool:
    """The account holder, a system call (``by=None``), a county sysadmin, or
    a clerk/agent whose region covers the citizen."""
    if by is None or by.pk == user.pk:
        return True
    if user.kind == AccountKind.STAFF:
        return has_role(by, Role.SYSADMIN) and all(
            in_region_scope(by, r.region, Role.SYSADMIN) for r in user.roles.all()
        )
    return in_region_scope(by, user.region, Role.CLERK, Role.AGENT, Role.SYSADMIN)


@transaction.atomic
def update_profile(user: User, by: User | None, **changes) -> User:
    """Change an account's phone, name, legal representative, region or
    language. Citizens cannot change the name bound to their ID number
    themselves (a clerk does it after checking documents)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not _may_manage(by, user):
        raise NotFound(_("账户不存在"), code="account.not_found")
    if user.status != AccountStatus.ACTIVE:
        raise Conflict(_("该账户已注销，不能修改"), code="account.closed")
    unknown = sorted(set(changes) - set(PROFILE_FIELDS))
    if unknown:
        message = _("不能修改这些字段：%(fields)s") % {"fields": "、".join(unknown)}
        raise ValidationFailed(
            message, code="profile.unknown_field", fields={f: [message] for f in unknown}
        )
    errors = _Errors()
    before = _snapshot(user)
    updates: dict = {}
    if "phone" in changes:
        updates["phone"] = _check(errors, "phone", parse_phone, changes["phone"])
    if "real_name" in changes:
        if user.kind == AccountKind.CITIZEN and by is not None and by.pk == user.pk:
            errors.add(
                "real_name",
                _("姓名与身份证号码绑定，如需更正请持身份证到窗口办理"),
                "real_name.locked",
            )
        else:
            updates["real_name"] = _check_name(
                errors, "real_name", changes["real_name"], _("姓名/名称")
            )
    if "legal_representative" in changes:
        if user.kind != AccountKind.ENTERPRISE:
            errors.add(
                "legal_representative", _("只有法人账户有法定代表人"), "profile.not_enterprise"
            )
        else:
            updates["legal_representative"] = _check_name(
                errors, "legal_representative", changes["legal_representative"], _("法定代表人"), 50
            )
    if "region_code" in changes:
        updates["region"] = _check_region_code(errors, changes["region_code"])
    if "preferred_language" in changes:
        lang = str(changes["preferred_language"] or "")
        if lang not in dict(settings.LANGUAGES):
            errors.add(
                "preferred_language",
                _("不支持的界面语言：%(lang)s") % {"lang": lang},
                "profile.language",
            )
        updates["preferred_language"] = lang
    errors.raise_if_any()
    if "phone" in updates:
        phone_n = updates.pop("phone")
        if _phone_taken(phone_n, exclude=user):
            message = _("该手机号码已被其他账户使用")
            raise Conflict(message, code="phone.taken", fields={"phone": [message]})
        pii.seal_into(user, "phone", phone_n)
    for name, value in updates.items():
        setattr(user, name, value)
    user.save()
    after = _snapshot(user)
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    if changed:
        record(
            actor=by,
            action="account.update",
            target=user,
            before={k: before[k] for k in changed},
            after=changed,
        )
    return user


@transaction.atomic
def deregister(user: User, by: User | None, reason: str) -> User:
    """Close an account (注销). The row stays with its records and audit
    trail; login is disabled; the ID number / credit code becomes free for a
    new account."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not _may_manage(by, user):
        raise NotFound(_("账户不存在"), code="account.not_found")
    if user.status == AccountStatus.CLOSED:
        raise Conflict(
            _("该账户已于 %(at)s 注销") % {"at": _fmt(user.closed_at)}, code="account.closed"
        )
    reason = " ".join(str(reason or "").split())
    if not reason:
        message = _("请填写注销原因")
        raise ValidationFailed(
            message, code="deregister.reason_required", fields={"reason": [message]}
        )
    before = _snapshot(user)
    user.status = AccountStatus.CLOSED
    user.closed_at = now()
    user.is_active = False
    user.save(update_fields=["status", "closed_at", "is_active"])
    _drop_tokens(user)
    if user.kind == AccountKind.STAFF:
        user.roles.filter(is_active=True).update(is_active=False)
    record(
        actor=by,
        action="account.deregister",
        target=user,
        before={"status": before["status"]},
        after={"status": user.status, "closed_at": user.closed_at, "reason": reason[:500]},
    )
    return user


def _drop_tokens(user: User):
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=user).delete()


def _fmt(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------------------
# Staff and roles


def _require_sysadmin(by: User | None, region: Region | None = None):
    """``by=None`` is the system (CLI, demo loader)."""
    if by is None:
        return
    if not has_role(by, Role.SYSADMIN):
        raise Forbidden(_("只有系统管理员可以管理工作人员"), code="staff.not_sysadmin")
    if region is not None and not in_region_scope(by, region, Role.SYSADMIN):
        raise Forbidden(_("该区划不在您的管理范围内"), code="staff.out_of_scope")


def _resolve_role_spec(spec: dict, errors: _Errors, index: int = 0) -> dict | None:
    """Turn {"role", "region"|"hall"|"window"|"department"} (objects, codes,
    ids or names) into StaffRole field values."""
    field = "roles" if index == 0 else f"roles[{index}]"
    role = spec.get("role")
    if role not in Role.values:
        errors.add(field, _("未知角色：%(role)s") % {"role": role}, "role.unknown")
        return None

    def get(model, value, *lookups):
        if value is None or value == "" or isinstance(value, model):
            return value or None
        for lookup in lookups:
            try:
                obj = model.objects.filter(**{lookup: value}).first()
            except (ValueError, DjangoValidationError):
                obj = None
            if obj is not None:
                return obj
        errors.add(
            field,
            _("找不到%(what)s：%(value)s") % {"what": model._meta.verbose_name, "value": value},
            "role.scope_unknown",
        )
        return None

    window = get(Window, spec.get("window"), "pk")
    hall = get(Hall, spec.get("hall"), "pk", "name") or (window.hall if window else None)
    department = get(Department, spec.get("department"), "pk", "name", "short_name")
    region = get(Region, spec.get("region"), "code", "pk")
    region = (
        region or (hall.region if hall else None) or (department.region if department else None)
    )
    if region is None:
        errors.add(field, _("角色须指定区划、大厅、窗口或部门范围"), "role.scope_required")
        return None
    if role == Role.APPROVER and department is None:
        errors.add(field, _("部门审批人员须指定所属部门"), "role.department_required")
        return None
    if hall is not None and not hall.region.path.startswith(region.path):
        errors.add(field, _("大厅不在所选区划内"), "role.scope_mismatch")
        return None
    return {
        "role": role,
        "region": region,
        "hall": hall,
        "window": window,
        "department": department,
    }


@transaction.atomic
def create_staff(
    username: str,
    real_name: str,
    password: str,
    roles: list[dict] | None = None,
    by: User | None = None,
    phone: str | None = None,
) -> User:
    """Create a staff account with its roles. ``roles`` is a list of
    ``{"role": "clerk", "region"|"hall"|"window"|"department": …}``."""
    errors = _Errors()
    username = str(username or "").strip()
    if not username:
        errors.add("username", _("请填写用户名"), "username.required")
    elif len(username) > 150 or not all(c.isalnum() or c in "@.+-_" for c in username):
        errors.add("username", _("用户名只能包含字母、数字和 @ . + - _"), "username.invalid")
    elif User.objects.filter(username=username).exists():
        errors.add("username", _("用户名 %(u)s 已被使用") % {"u": username}, "username.taken")
    name = _check_name(errors, "real_name", real_name, _("姓名"), 50)
    phone_n = _check(errors, "phone", parse_phone, phone) if phone else None
    user = User(kind=AccountKind.STAFF, username=username, real_name=name)
    _check_password(errors, password, user)
    specs = [_resolve_role_spec(s, errors, i) for i, s in enumerate(roles or [])]
    errors.raise_if_any()
    for spec in specs:
        _require_sysadmin(by, spec["region"])
    if not specs:
        _require_sysadmin(by)
    if phone_n:
        pii.seal_into(user, "phone", phone_n)
    user.set_password(password)
    user.save(force_insert=True)
    for spec in specs:
        StaffRole.objects.create(user=user, **spec)
    record(
        actor=by,
        action="staff.create",
        target=user,
        after={
            "username": username,
            "real_name": name,
            "roles": [_role_repr(s) for s in specs],
        },
    )
    return user


def _role_repr(spec) -> dict:
    get = spec.get if isinstance(spec, dict) else lambda k: getattr(spec, k)
    return {
        "role": get("role"),
        "region": get("region").code if get("region") else None,
        "hall": str(get("hall").pk) if get("hall") else None,
        "window": str(get("window").pk) if get("window") else None,
        "department": get("department").name if get("department") else None,
    }


@transaction.atomic
def assign_role(user: User, by: User | None, role: str, **scope) -> StaffRole:
    """Grant ``role`` with a scope (``region``, ``hall``, ``window``,
    ``department``); granting the same role and scope twice is a no-op."""
    if user.kind != AccountKind.STAFF:
        raise ValidationFailed(_("只能给工作人员账户分配角色"), code="role.not_staff")
    if user.status != AccountStatus.ACTIVE:
        raise Conflict(_("该账户已注销，不能分配角色"), code="account.closed")
    errors = _Errors()
    spec = _resolve_role_spec({"role": role, **scope}, errors)
    errors.raise_if_any()
    _require_sysadmin(by, spec["region"])
    existing = StaffRole.objects.filter(user=user, is_active=True, **spec).first()
    if existing:
        return existing
    staff_role = StaffRole.objects.create(user=user, **spec)
    user.__dict__.pop("_yiwang_roles", None)
    record(actor=by, action="staff.assign_role", target=user, after=_role_repr(spec))
    return staff_role


@transaction.atomic
def revoke_role(staff_role: StaffRole, by: User | None) -> StaffRole:
    """Withdraw a role; the row stays (inactive) so past acts stay explained."""
    staff_role = StaffRole.objects.select_for_update().get(pk=staff_role.pk)
    _require_sysadmin(by, staff_role.region)
    if not staff_role.is_active:
        raise Conflict(_("该角色已撤销"), code="role.already_revoked")
    staff_role.is_active = False
    staff_role.save(update_fields=["is_active", "updated_at"])
    record(
        actor=by, action="staff.revoke_role", target=staff_role.user, before=_role_repr(staff_role)
    )
    return staff_role


# ---------------------------------------------------------------------------
# TOTP (staff second factor)


def totp_uri(user: User, device: TOTPDevice) -> str:
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    label = quote(f"{TOTP_ISSUER}:{user.username}")
    params = urlencode(
        {
            "secret": secret,
            "issuer": TOTP_ISSUER,
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{params}"


def totp_secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


@transaction.atomic
def setup_totp(user: User, secret_base32: str | None = None) -> tuple[TOTPDevice, str]:
    """Start (or restart) setting up a TOTP device: an unconfirmed device and
    its provisioning URI. ``confirm_totp`` activates it once the staff member
    types a code from their app. A fixed ``secret_base32`` is for the demo."""
    if user.kind != AccountKind.STAFF:
        raise ValidationFailed(_("只有工作人员账户需要设置动态验证码"), code="totp.not_staff")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    if secret_base32:
        padded = secret_base32.upper() + "=" * (-len(secret_base32) % 8)
        key = base64.b32decode(padded).hex()
    else:
        key = os.urandom(20).hex()
    device = TOTPDevice.objects.create(user=user, name="default", key=key, confirmed=False)
    return device, totp_uri(user, device)


def _verify_totp(device: TOTPDevice, token) -> bool:
    token = str(token or "").strip()
    if not (token.isdigit() and len(token) == device.digits):
        return False
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = now().timestamp()
    if totp.verify(int(token), device.tolerance, device.last_t + 1):
        device.last_t = totp.t()
        device.last_used_at = now()
        device.save(update_fields=["last_t", "last_used_at"])
        return True
    return False


@transaction.atomic
def confirm_totp(user: User, token) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        raise Conflict(_("请先生成动态验证码密钥"), code="totp.no_pending_device")
    if not _verify_totp(device, token):
        message = _("动态验证码不正确，请核对手机上的6位数字后重试")
        raise ValidationFailed(message, code="totp.invalid", fields={"otp_token": [message]})
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record(actor=user, action="staff.totp_confirmed", target=user, after={"device": device.pk})
    return device


@transaction.atomic
def reset_totp(
    user: User, by: User | None, secret_base32: str | None = None
) -> tuple[TOTPDevice | None, str]:
    """Remove a staff member's devices (lost phone). Without a secret they
    set a new one up at their next login; with one (demo, CLI) the new
    device is confirmed at once."""
    _require_sysadmin(by)
    TOTPDevice.objects.filter(user=user).delete()
    device, uri = None, ""
    if secret_base32:
        device, uri = setup_totp(user, secret_base32)
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    record(actor=by, action="staff.totp_reset", target=user, after={"preset": bool(secret_base32)})
    return device, uri


# ---------------------------------------------------------------------------
# Login attempts and lockout


@dataclass
class LoginOutcome:
    user: User
    device: TOTPDevice | None = None  # the verified TOTP device (staff)
    needs_totp_setup: bool = False  # staff without a device yet


def _max_failures() -> int:
    return int(getattr(settings, "YIWANG_LOGIN_MAX_FAILURES", 5))


def _lock_minutes() -> int:
    return int(getattr(settings, "YIWANG_LOGIN_LOCK_MINUTES", 15))


def _bad_credentials(code="login.invalid", field="password"):
    message = _("账号或密码不正确")
    return ValidationFailed(message, code=code, fields={field: [message]})


def _check_not_locked(user: User):
    if user.status != AccountStatus.ACTIVE or not user.is_active:
        message = _("该账户已注销，不能登录")
        raise ValidationFailed(message, code="login.closed", fields={"non_field_errors": [message]})
    if user.locked_until and user.locked_until > now():
        message = _("连续登录失败次数过多，账户已锁定至 %(until)s，请届时再试") % {
            "until": _fmt(user.locked_until)
        }
        raise ValidationFailed(message, code="login.locked", fields={"non_field_errors": [message]})


def _register_failure(user: User, code: str, message, field: str):
    """Count a failure (committed even though the login fails) and lock the
    account when the limit is reached."""
    locked = False
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
        user.refresh_from_db(fields=["failed_logins", "locked_until"])
        left = _max_failures() - user.failed_logins
        if left <= 0:
            locked = True
            user.locked_until = now() + dt.timedelta(minutes=_lock_minutes())
            user.failed_logins = 0
            user.save(update_fields=["locked_until", "failed_logins"])
            record(
                actor=None, action="account.locked", target=user, after={"until": user.locked_until}
            )
        else:
            record(actor=None, action="account.login_failed", target=user, after={"reason": code})
    if locked:
        message = _("%(reason)s。连续失败%(n)d次，账户已锁定至 %(until)s") % {
            "reason": message,
            "n": _max_failures(),
            "until": _fmt(user.locked_until),
        }
        raise ValidationFailed(message, code="login.locked", fields={"non_field_errors": [message]})
    message = _("%(reason)s，再失败%(n)d次账户将被锁定%(m)d分钟") % {
        "reason": message,
        "n": left,
        "m": _lock_minutes(),
    }
    raise ValidationFailed(message, code=code, fields={field: [message]})


def _register_success(user: User):
    user.failed_logins = 0
    user.locked_until = None
    user.last_login = now()
    user.save(update_fields=["failed_logins", "locked_until", "last_login"])
    record(actor=user, action="account.login", target=user)


def find_public_account(identifier: str) -> User | None:
    """The active citizen or enterprise account named by an ID number, a
    credit code or a phone number (None when there is none)."""
    text = pii.normalise("id_number", identifier)
    qs = User.objects.filter(status=AccountStatus.ACTIVE).exclude(kind=AccountKind.STAFF)
    if len(text) == 11 and text.isdigit():
        return qs.filter(phone_hash=pii.search_hash("phone", text)).first()
    if len(text) == 18:
        by_id = qs.filter(id_number_hash=pii.search_hash("id_number", text)).first()
        return by_id or qs.filter(credit_code=text).first()
    return None


def authenticate_citizen(identifier: str, password: str) -> LoginOutcome:
    """Log a citizen or enterprise in by ID number, credit code or phone."""
    text = pii.normalise("id_number", identifier)
    if not text:
        message = _("请输入身份证号码、统一社会信用代码或手机号码")
        raise ValidationFailed(
            message, code="login.identifier_required", fields={"identifier": [message]}
        )
    if not ((len(text) == 11 and text.isdigit()) or len(text) == 18):
        message = _("请输入18位身份证号码、18位统一社会信用代码或11位手机号码")
        raise ValidationFailed(
            message, code="login.identifier_format", fields={"identifier": [message]}
        )
    if not password:
        message = _("请输入密码")
        raise ValidationFailed(
            message, code="login.password_required", fields={"password": [message]}
        )
    user = find_public_account(text)
    if user is None:
        closed = (
            User.objects.filter(status=AccountStatus.CLOSED)
            .filter(id_number_hash=pii.search_hash("id_number", text))
            .exists()
            or User.objects.filter(status=AccountStatus.CLOSED, credit_code=text).exists()
        )
        if closed:
            message = _("该账户已注销，不能登录；如需继续使用请重新注册")
            raise ValidationFailed(message, code="login.closed", fields={"identifier": [message]})
        User(password="").set_password(password)  # spend the same time as a real check
        raise _bad_credentials("login.invalid", "identifier")
    _check_not_locked(user)
    if not user.check_password(password):
        _register_failure(user, "login.invalid", _("账号或密码不正确"), "password")
    _register_success(user)
    return LoginOutcome(user=user)


def authenticate_staff(
    username: str, password: str, otp_token: str | None = None, *, require_otp: bool = False
) -> LoginOutcome:
    """Log a staff member in: username + password + a 6-digit TOTP code.
    A staff member without a confirmed device logs in with the password
    alone and ``needs_totp_setup`` (the pages send them to set it up), unless
    ``require_otp`` (the API token endpoint)."""
    username = str(username or "").strip()
    if not username:
        message = _("请输入用户名")
        raise ValidationFailed(
            message, code="login.username_required", fields={"username": [message]}
        )
    if not password:
        message = _("请输入密码")
        raise ValidationFailed(
            message, code="login.password_required", fields={"password": [message]}
        )
    user = User.objects.filter(username=username, kind=AccountKind.STAFF).first()
    if user is None:
        User(password="").set_password(password)
        raise _bad_credentials("login.invalid", "username")
    _check_not_locked(user)
    if not user.check_password(password):
        _register_failure(user, "login.invalid", _("账号或密码不正确"), "password")
    device = confirmed_device(user)
    if device is None:
        if require_otp:
            message = _("尚未设置动态验证码，请先在网页上登录并完成设置")
            raise ValidationFailed(
                message, code="login.totp_not_set_up", fields={"otp_token": [message]}
            )
        _register_success(user)
        return LoginOutcome(user=user, needs_totp_setup=True)
    token = str(otp_token or "").strip()
    if not token:
        message = _("请输入手机上显示的6位动态验证码")
        raise ValidationFailed(message, code="login.otp_required", fields={"otp_token": [message]})
    if not _verify_totp(device, token):
        _register_failure(user, "login.otp_invalid", _("动态验证码不正确"), "otp_token")
    _register_success(user)
    return LoginOutcome(user=user, device=device)


@transaction.atomic
def unlock(user: User, by: User | None) -> User:
    """Lift a login lock before it expires."""
    _require_sysadmin(by)
    user.failed_logins = 0
    user.locked_until = None
    user.save(update_fields=["failed_logins", "locked_until"])
    record(actor=by, action="account.unlock", target=user)
    return user


def issue_token(user: User) -> str:
    """The API token for a logged-in account (one per account)."""
    from rest_framework.authtoken.models import Token

    token, _created = Token.objects.get_or_create(user=user)
    return token.key
