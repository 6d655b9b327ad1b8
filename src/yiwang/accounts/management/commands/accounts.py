"""`yiwang accounts`: staff accounts, roles, TOTP devices and lockouts."""

from __future__ import annotations

import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from yiwang.core.errors import ServiceError
from yiwang.core.middleware import RequestContext, reset_context, set_context

SCOPE_HELP = (
    "范围 scope: --region 区划代码, --hall 大厅名称或ID, --window 窗口ID, --department 部门名称"
)


def _add_scope(parser):
    parser.add_argument("--region", help="区划代码 / region code (12 digits)")
    parser.add_argument("--hall", help="大厅名称或ID / hall name or id")
    parser.add_argument("--window", help="窗口ID / window id")
    parser.add_argument("--department", help="部门名称 / department name")


def _scope(options) -> dict:
    return {k: options[k] for k in ("region", "hall", "window", "department") if options.get(k)}


class Command(BaseCommand):
    help = (
        "账户管理 / Manage staff accounts, roles, TOTP devices and lockouts\n"
        "子命令 subcommands: create-staff, grant-role, revoke-role, reset-totp, unlock, list-staff"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        p = sub.add_parser("create-staff", help="新建工作人员 / create a staff account")
        p.add_argument("username")
        p.add_argument("--name", required=True, help="姓名 / real name")
        p.add_argument(
            "--password",
            help="密码（也可用环境变量 YIWANG_NEW_PASSWORD，或交互输入）/ password",
        )
        p.add_argument("--phone", help="手机号码 / phone")
        p.add_argument("--role", help="角色 / role: " + ", ".join(_roles()))
        _add_scope(p)

        p = sub.add_parser("grant-role", help="分配角色 / grant a role")
        p.add_argument("username")
        p.add_argument("role", help=", ".join(_roles()))
        _add_scope(p)

        p = sub.add_parser("revoke-role", help="撤销角色 / revoke a role")
        p.add_argument("username")
        p.add_argument("role")
        _add_scope(p)

        p = sub.add_parser("reset-totp", help="重置动态验证码 / reset the TOTP device")
        p.add_argument("username")
        p.add_argument("--secret", help="预设 base32 密钥（演示用）/ preset base32 secret")

        p = sub.add_parser("unlock", help="解除登录锁定 / lift a login lock")
        p.add_argument(
            "login", help="用户名、身份证号码、信用代码或手机号 / username, ID, code or phone"
        )

        p = sub.add_parser("list-staff", help="列出工作人员 / list staff")
        p.add_argument("--role", help="只列此角色 / only this role")
        p.add_argument("--region", help="只列此区划及以下 / only within this region code")

    def handle(self, *args, action, **options):
        token = set_context(RequestContext(channel="cli"))
        try:
            getattr(self, "do_" + action.replace("-", "_"))(options)
        except ServiceError as exc:
            details = "; ".join(
                f"{k}: {' '.join(str(m) for m in v)}" for k, v in exc.fields.items()
            )
            raise CommandError(f"{exc.message}" + (f" ({details})" if details else ""))
        finally:
            reset_context(token)

    # -- helpers

    def _staff(self, username):
        from yiwang.accounts.models import AccountKind, User

        user = User.objects.filter(username=username, kind=AccountKind.STAFF).first()
        if user is None:
            raise CommandError(f"找不到工作人员 {username} / no such staff member")
        return user

    # -- actions

    def do_create_staff(self, options):
        from yiwang.accounts import services

        password = options.get("password") or os.environ.get("YIWANG_NEW_PASSWORD")
        if not password:
            password = getpass.getpass("密码 Password: ")
        roles = [{"role": options["role"], **_scope(options)}] if options.get("role") else []
        user = services.create_staff(
            options["username"],
            options["name"],
            password,
            roles=roles,
            by=None,
            phone=options.get("phone"),
        )
        self.stdout.write(self.style.SUCCESS(f"已创建工作人员 Created staff {user.username}"))
        self.stdout.write("首次登录时将引导设置动态验证码 / TOTP set-up follows at first login")

    def do_grant_role(self, options):
        from yiwang.accounts import services

        user = self._staff(options["username"])
        role = services.assign_role(user, None, options["role"], **_scope(options))
        self.stdout.write(self.style.SUCCESS(f"已分配 Granted {role}"))

    def do_revoke_role(self, options):
        from yiwang.accounts import services
        from yiwang.accounts.models import StaffRole

        user = self._staff(options["username"])
        qs = StaffRole.objects.filter(user=user, role=options["role"], is_active=True)
        if options.get("region"):
            qs = qs.filter(region__code=options["region"])
        if options.get("department"):
            qs = qs.filter(department__name=options["department"])
        roles = list(qs)
        if not roles:
            raise CommandError(
                f"{user.username} 没有有效的角色 {options['role']} / no such active role"
            )
        if len(roles) > 1:
            raise CommandError(
                "有多个匹配的角色，请用 --region/--department 指明 / several match: narrow it"
            )
        services.revoke_role(roles[0], None)
        self.stdout.write(self.style.SUCCESS(f"已撤销 Revoked {roles[0]}"))

    def do_reset_totp(self, options):
        from yiwang.accounts import services

        user = self._staff(options["username"])
        _device, uri = services.reset_totp(user, None, secret_base32=options.get("secret"))
        if uri:
            self.stdout.write(self.style.SUCCESS(f"已设置 Set: {uri}"))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"已重置 {user.username} 的动态验证码，下次登录时重新设置 / reset: set up again at next login"
                )
            )

    def do_unlock(self, options):
        from yiwang.accounts import services
        from yiwang.accounts.models import User

        login = options["login"].strip()
        user = User.objects.filter(username=login).first() or services.find_public_account(login)
        if user is None:
            raise CommandError(f"找不到账户 {login} / no such account")
        services.unlock(user, None)
        self.stdout.write(self.style.SUCCESS(f"已解除锁定 Unlocked {user}"))

    def do_list_staff(self, options):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from yiwang.accounts.models import AccountKind, User

        qs = User.objects.filter(kind=AccountKind.STAFF).prefetch_related(
            "roles__region", "roles__department", "roles__hall"
        )
        if options.get("role"):
            qs = qs.filter(roles__role=options["role"], roles__is_active=True)
        if options.get("region"):
            qs = qs.filter(
                roles__region__path__contains=f"/{options['region']}/", roles__is_active=True
            )
        with_device = set(
            TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True)
        )
        for user in qs.distinct().order_by("username"):
            roles = "; ".join(
                f"{r.get_role_display()}@{r.region.name}"
                + (f"/{r.department.name}" if r.department_id else "")
                + (f"/{r.hall.name}" if r.hall_id else "")
                for r in user.roles.all()
                if r.is_active
            )
            flags = []
            if user.status != "active":
                flags.append("已注销 closed")
            if user.locked_until:
                flags.append(f"锁定至 locked until {user.locked_until:%Y-%m-%d %H:%M}")
            flags.append("TOTP ✓" if user.pk in with_device else "TOTP ✗")
            self.stdout.write(
                f"{user.username:<20} {user.real_name:<10} {roles}  [{', '.join(flags)}]"
            )


def _roles():
    from yiwang.accounts.models import Role

    return list(Role.values)
