import pytest

from yiwang.core.ids import uuid7


def test_uuid7_is_version_7_and_time_ordered():
    ids = [uuid7() for _ in range(5000)]
    assert all(u.version == 7 for u in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


@pytest.mark.django_db
def test_api_schema_served(client):
    resp = client.get("/api/v1/schema/")
    assert resp.status_code == 200
    assert b"openapi" in resp.content
