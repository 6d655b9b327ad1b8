"""`yiwang accounts …`."""

import io

import pytest
from django.core.management import CommandError, call_command

from yiwang.accounts.models import StaffRole, User
from yiwang.cli import main

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("accounts", *args, stdout=out)
    return out.getvalue()


def test_staff_lifecycle_from_the_command_line(tree, clock):
    out = run(
        "create-staff",
        "cli-clerk",
        "--name",
        "命令行窗口",
        "--password",
        "Yiwang@2026",
        "--role",
        "clerk",
        "--region",
        tree.town.code,
    )
    assert "cli-clerk" in out
    user = User.objects.get(username="cli-clerk")
    assert user.roles.get().region == tree.town
    run("grant-role", "cli-clerk", "approver", "--department", "区民政局")
    assert StaffRole.objects.filter(user=user, role="approver", is_active=True).exists()
    listing = run("list-staff")
    assert "cli-clerk" in listing and "TOTP ✗" in listing
    run("revoke-role", "cli-clerk", "approver")
    assert not StaffRole.objects.filter(user=user, role="approver", is_active=True).exists()
    out = run("reset-totp", "cli-clerk", "--secret", "JBSWY3DPEHPK3PXP")
    assert "otpauth://" in out
    assert "TOTP ✓" in run("list-staff", "--region", tree.town.code)
    user.failed_logins, user.locked_until = 0, clock()
    user.save()
    run("unlock", "cli-clerk")
    user.refresh_from_db()
    assert user.locked_until is None


def test_errors_are_clear_and_exit_nonzero(tree, capsys):
    with pytest.raises(CommandError, match="未知角色"):
        run(
            "create-staff",
            "x1",
            "--name",
            "某",
            "--password",
            "Yiwang@2026",
            "--role",
            "boss",
            "--region",
            tree.town.code,
        )
    with pytest.raises(CommandError, match="找不到工作人员"):
        run("grant-role", "nobody", "clerk", "--region", tree.town.code)
    assert main(["accounts", "unlock", "nobody"]) == 1
    assert "找不到账户" in capsys.readouterr().err


def test_help_first_line_is_bilingual():
    from yiwang.accounts.management.commands.accounts import Command

    first = Command.help.splitlines()[0]
    assert " / " in first and "账户" in first
