import pytest

from yiwang.accounts.models import Role
from yiwang.regions import services

from .factories import small_county, staff, superuser


@pytest.fixture
def divisions_file(shared_data):
    return shared_data / "guangan-divisions.csv"


@pytest.fixture
def tree(db):
    return small_county()


@pytest.fixture
def directory(tree):
    """Halls, windows and departments in the small county."""
    health = services.create_department(by=None, name="区卫健局", short_name="卫健局")
    civil = services.create_department(by=None, name="区民政局", short_name="民政局")
    centre = services.create_hall(by=None, region=tree["county"], name="广安区政务服务中心")
    town_hall = services.create_hall(by=None, region=tree["town"], name="浓洄街道便民服务中心")
    room = services.create_hall(by=None, region=tree["village"], name="青山村便民服务室")
    w1 = services.create_window(
        by=None, hall=town_hall, number="1", category="卫计", departments=[health]
    )
    w2 = services.create_window(by=None, hall=town_hall, number="2", is_comprehensive=True)
    return {
        **tree,
        "health": health,
        "civil": civil,
        "centre": centre,
        "town_hall": town_hall,
        "room": room,
        "w1": w1,
        "w2": w2,
    }


@pytest.fixture
def sysadmin(tree):
    return staff("admin1", Role.SYSADMIN, tree["county"])


@pytest.fixture
def town_clerk(tree):
    return staff("clerk1", Role.CLERK, tree["town"])


@pytest.fixture
def root(db):
    return superuser()
