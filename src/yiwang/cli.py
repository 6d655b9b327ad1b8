"""The ``yiwang`` command.

Every subcommand is a Django management command of one of our apps (or one of
Django's own, such as ``migrate``); ``yiwang --help`` lists ours first.
``yiwang <command> --help`` explains each.
"""

from __future__ import annotations

import os
import sys


def _our_commands() -> dict[str, str]:
    from django.core.management import get_commands

    return {name: app for name, app in get_commands().items() if app.startswith("yiwang.")}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else ["yiwang", *argv])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    import django
    from django.core.management import ManagementUtility, load_command_class

    django.setup()
    if len(argv) < 2 or argv[1] in ("-h", "--help", "help") and len(argv) == 2:
        print("用法 Usage: yiwang <命令 command> [选项 options]\n")
        print("一网通办命令 Yiwang commands:")
        for name, app in sorted(_our_commands().items()):
            help_text = load_command_class(app, name).help.strip().splitlines()[0]
            print(f"  {name:<18} {help_text}")
        print(
            "\nDjango 命令 (migrate, createsuperuser, shell …) 也可用；'yiwang <命令> --help' 查看详情。"
        )
        return 0
    utility = ManagementUtility(argv)
    utility.prog_name = "yiwang"
    try:
        utility.execute()
    except SystemExit as exc:  # argparse and CommandError exit codes pass through
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
