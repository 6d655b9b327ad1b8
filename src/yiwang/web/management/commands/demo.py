"""`yiwang demo`: the demo county (广安区), its halls, staff and citizens."""

from __future__ import annotations

import time
import unicodedata

from django.core.management.base import BaseCommand
from django.db import transaction


def _pad(text: str, width: int) -> str:
    """Left-justify to a display width: CJK characters take two columns."""
    shown = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - shown, 0)


def print_logins(stdout, logins: list[dict]) -> None:
    stdout.write("\n演示账号 Demo logins (登录页 login page: /accounts/login/):")
    for item in logins:
        parts = [
            "  " + _pad(str(item.get("role_label", item.get("role", ""))), 14),
            _pad(item.get("login", ""), 20),
        ]
        if item.get("password"):
            parts.append(f"密码 password: {item['password']}")
        if item.get("totp_secret"):
            parts.append(f"TOTP: {item['totp_secret']}")
        if item.get("scope"):
            parts.append(f"({item['scope']})")
        stdout.write("  ".join(parts))
    stdout.write(
        "员工登录还需动态口令 Staff also enter a TOTP code: oathtool --totp -b <TOTP>"
        "（或将密钥加入任一身份验证器 App / or add the secret to any authenticator app）"
    )


class Command(BaseCommand):
    help = "演示数据（广安区）/ The demo county (Guang'an district)"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{load}")
        sub.add_parser(
            "load",
            help="加载演示数据并显示演示账号（可重复运行）/ load the demo data and print the logins (idempotent)",
        )

    def handle(self, *args, action, **options):
        from yiwang.accounts import demo as accounts_demo
        from yiwang.regions import demo as regions_demo

        started = time.monotonic()
        with transaction.atomic():
            counts = regions_demo.load(stdout=self.stdout)
            logins = accounts_demo.load(stdout=self.stdout)
        # The catalog (1,135 real items, generated guides): own transactions, in batches.
        from yiwang.catalog import demo as catalog_demo

        counts.update(catalog_demo.load(stdout=self.stdout))
        from yiwang.cases import demo as cases_demo

        counts.update(cases_demo.load(stdout=self.stdout))
        summary = "，".join(f"{k} {v}" for k, v in counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据就绪 Demo data ready ({time.monotonic() - started:.1f}s): {summary}"
            )
        )
        print_logins(self.stdout, logins)
