"""The public hall directory page."""

import pytest

from yiwang.regions import services

pytestmark = pytest.mark.django_db


def test_hall_directory_is_public_and_lists_windows(client, directory):
    resp = client.get("/regions/halls/")
    assert resp.status_code == 200
    page = resp.content.decode()
    assert "大厅导航" in page
    for name in ("广安区政务服务中心", "浓洄街道便民服务中心", "青山村便民服务室"):
        assert name in page
    assert "卫计窗口" in page and "区卫健局" in page and "综合窗口" in page
    # it is a page of the portal (extends the shared base layout)
    assert "yw-portal" in page


def test_filter_by_town_level_and_search(client, directory):
    page = client.get("/regions/halls/", {"town": "511602101000"}).content.decode()
    assert "青山村便民服务室" in page and "浓洄街道便民服务中心" not in page
    page = client.get("/regions/halls/", {"level": "town"}).content.decode()
    assert "浓洄街道便民服务中心" in page and "青山村便民服务室" not in page
    page = client.get("/regions/halls/", {"q": "青山"}).content.decode()
    assert "青山村便民服务室" in page and "广安区政务服务中心" not in page
    page = client.get("/regions/halls/", {"town": "000000000000"}).content.decode()
    assert "没有这个乡镇" in page


def test_retired_halls_and_windows_are_not_listed(client, directory):
    services.retire_window(directory["w1"], by=None)
    services.retire_hall(directory["room"], by=None)
    page = client.get("/regions/halls/").content.decode()
    assert "卫计窗口" not in page and "青山村便民服务室" not in page
