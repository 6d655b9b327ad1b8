"""Where a request comes from (``core.middleware.client_ip``)."""

import pytest

from yiwang.core.middleware import client_ip


@pytest.mark.parametrize(
    "trusted, remote, forwarded, expected",
    [
        ([], "203.0.113.7", "", "203.0.113.7"),
        ([], "203.0.113.7", "1.2.3.4", "203.0.113.7"),  # no proxy trusted: the header is ignored
        (["10.0.0.5"], "10.0.0.5", "203.0.113.7", "203.0.113.7"),
        (["10.0.0.5"], "10.0.0.5", "1.2.3.4, 203.0.113.7", "203.0.113.7"),  # forged hop left
        (["10.0.0.5", "10.0.0.6"], "10.0.0.5", "203.0.113.7, 10.0.0.6", "203.0.113.7"),
        (["10.0.0.5"], "10.0.0.5", "", "10.0.0.5"),  # nothing forwarded: the proxy itself
        (["10.0.0.5"], "10.0.0.5", " , ", "10.0.0.5"),
        (["10.0.0.5"], "198.51.100.1", "203.0.113.7", "198.51.100.1"),  # not from the proxy
    ],
)
def test_client_ip(settings, trusted, remote, forwarded, expected):
    settings.YIWANG_TRUSTED_PROXIES = trusted
    meta = {"REMOTE_ADDR": remote}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(meta) == expected


@pytest.mark.django_db
def test_the_audit_trail_records_the_client_behind_the_proxy(client, settings):
    from tests.accounts.test_api import REG, body
    from yiwang.core.audit import AuditEntry

    settings.YIWANG_TRUSTED_PROXIES = ["10.0.0.5"]
    resp = client.post(
        REG,
        body(),
        content_type="application/json",
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7",
    )
    assert resp.status_code == 201, resp.content
    entry = AuditEntry.objects.get(action="account.register")
    assert entry.ip == "203.0.113.7"
