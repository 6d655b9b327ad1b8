"""The `yiwang` command: help for everything, exit codes for bad input."""

import pytest

from yiwang.cli import _our_commands, main


def test_top_level_help_lists_our_commands(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("serve", "demo"):
        assert name in out
    assert "一网通办命令" in out


@pytest.mark.parametrize("name", sorted(_our_commands()))
def test_every_subcommand_has_help(name, capsys):
    assert main([name, "--help"]) == 0
    out = capsys.readouterr().out
    assert "usage: yiwang " + name in out


def test_unknown_command_fails(capsys):
    assert main(["no-such-command"]) != 0


def test_serve_rejects_bad_port(capsys):
    assert main(["serve", "--port", "0"]) != 0
    assert "端口无效" in capsys.readouterr().err


# transaction=True: like every Django command run from the command line,
# `main()` closes the database connections when it ends, which PostgreSQL
# cannot do inside a test's transaction.
@pytest.mark.django_db(transaction=True)
def test_demo_load_is_idempotent_and_prints_logins(capsys):
    from yiwang.accounts.models import User
    from yiwang.regions.models import Hall, Region

    assert main(["demo", "load"]) == 0
    first = capsys.readouterr().out
    counts = (Region.objects.count(), Hall.objects.count(), User.objects.count())
    assert counts[0] == 358 and counts[1] == 358
    assert "demo-agent" in first and "Yiwang@2026" in first and "oathtool" in first

    assert main(["demo", "load"]) == 0
    second = capsys.readouterr().out
    assert (Region.objects.count(), Hall.objects.count(), User.objects.count()) == counts
    assert "regions_created 0" in second and "halls_created 0" in second


@pytest.mark.django_db
def test_api_root_lists_endpoints_to_anyone(client):
    resp = client.get("/api/v1/", HTTP_ACCEPT="application/json")
    assert resp.status_code == 200
    assert "halls" in resp.json()
