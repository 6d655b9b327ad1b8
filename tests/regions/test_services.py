"""The services: every change audited, retire rules, validation."""

import pytest

from yiwang.accounts.models import Role
from yiwang.core.audit import AuditEntry
from yiwang.core.errors import Conflict, Forbidden, ValidationFailed
from yiwang.regions import services
from yiwang.regions.models import Hall, Region, Window

from .factories import staff

pytestmark = pytest.mark.django_db


def history(obj):
    return list(
        AuditEntry.objects.filter(target_type=obj._meta.label_lower, target_id=str(obj.pk))
        .order_by("seq")
        .values_list("action", "before", "after")
    )


def test_rename_region_keeps_history(tree, sysadmin):
    town = services.rename_region(tree["town"], by=sysadmin, name="浓洄新街道")
    assert Region.objects.get(pk=town.pk).name == "浓洄新街道"
    actions = history(town)
    assert [a for a, _b, _c in actions] == ["region.create", "region.rename"]
    assert actions[1][1:] == ({"name": "浓洄街道"}, {"name": "浓洄新街道"})
    entry = AuditEntry.objects.get(target_id=str(town.pk), action="region.rename")
    assert entry.actor_id == str(sysadmin.pk)
    # renaming to the same name is not a change
    services.rename_region(town, by=sysadmin, name="浓洄新街道")
    assert len(history(town)) == 2


def test_create_region_derives_level_and_parent(tree):
    region = services.create_region(by=None, code="511602001002", name="厚街社区居委会")
    assert region.level == "village" and region.parent == tree["town"]
    with pytest.raises(ValidationFailed) as caught:
        services.create_region(by=None, code="511602001002", name="重复")
    assert "code" in caught.value.fields
    with pytest.raises(ValidationFailed):
        services.create_region(by=None, code="511602001003", name="错层", level="town")
    with pytest.raises(ValidationFailed):
        services.create_region(by=None, code="511602003001", name="无上级")


def test_region_with_active_halls_cannot_be_retired(directory):
    village = directory["village"]
    with pytest.raises(Conflict) as caught:
        services.retire_region(village, by=None)
    assert "服务大厅" in caught.value.message
    services.retire_hall(directory["room"], by=None)
    services.retire_region(village, by=None)
    village.refresh_from_db()
    assert not village.is_active and village.retired_at is not None
    assert Region.objects.filter(pk=village.pk).exists()  # retired, never deleted
    # a region with active sub-divisions cannot be retired either
    with pytest.raises(Conflict):
        services.retire_region(directory["town2"], by=None)
    # retiring twice is a conflict
    with pytest.raises(Conflict):
        services.retire_region(village, by=None)


def test_retired_region_gets_no_new_halls(tree):
    services.retire_region(tree["village2"], by=None)
    with pytest.raises(ValidationFailed) as caught:
        services.create_hall(by=None, region=tree["village2"], name="绿水村便民服务室")
    assert "region" in caught.value.fields


def test_reactivate_needs_an_active_parent(tree):
    services.retire_region(tree["community"], by=None)
    services.retire_region(tree["town"], by=None)
    with pytest.raises(Conflict):
        services.reactivate_region(tree["community"], by=None)
    services.reactivate_region(tree["town"], by=None)
    services.reactivate_region(tree["community"], by=None)
    assert Region.objects.get(pk=tree["community"].pk).is_active
    actions = [a for a, _b, _c in history(tree["community"])]
    assert actions == ["region.create", "region.retire", "region.reactivate"]


def test_hall_kind_follows_level(tree):
    assert services.create_hall(by=None, region=tree["town"], name="甲").kind == "town"
    assert services.create_hall(by=None, region=tree["county"], name="乙").kind == "centre"
    branch = services.create_hall(by=None, region=tree["county"], name="丙", kind="branch")
    assert branch.kind == "branch"
    with pytest.raises(ValidationFailed) as caught:
        services.create_hall(by=None, region=tree["village"], name="丁", kind="centre")
    assert "kind" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.create_hall(by=None, region=tree["town"], name="甲")
    assert "name" in caught.value.fields


def test_update_hall_audits_only_changes(directory):
    hall = services.update_hall(
        directory["room"], by=None, phone="0826-1234567", name="青山村便民服务室"
    )
    assert hall.phone == "0826-1234567"
    entry = AuditEntry.objects.get(target_id=str(hall.pk), action="hall.update")
    assert entry.before == {"phone": ""} and entry.after == {"phone": "0826-1234567"}
    with pytest.raises(ValidationFailed):
        services.update_hall(hall, by=None, is_active=False)


def test_retiring_a_hall_retires_its_windows(directory):
    hall = directory["town_hall"]
    services.retire_hall(hall, by=None)
    assert not Hall.objects.get(pk=hall.pk).is_active
    assert not Window.objects.filter(hall=hall, is_active=True).exists()
    assert Window.objects.filter(hall=hall).count() == 2  # kept
    with pytest.raises(ValidationFailed):
        services.create_window(by=None, hall=hall, number="9", category="民政")
    with pytest.raises(Conflict):
        services.reactivate_window(directory["w1"], by=None)
    services.reactivate_hall(hall, by=None)
    services.reactivate_window(directory["w1"], by=None)
    assert Window.objects.get(pk=directory["w1"].pk).is_active


def test_window_rules(directory):
    w2 = directory["w2"]
    assert (w2.category, w2.name, w2.is_comprehensive) == ("综合", "综合窗口", True)
    assert directory["w1"].name == "卫计窗口"
    with pytest.raises(ValidationFailed) as caught:
        services.create_window(by=None, hall=directory["town_hall"], number="1", category="民政")
    assert "number" in caught.value.fields
    services.retire_department(directory["civil"], by=None)
    with pytest.raises(ValidationFailed) as caught:
        services.create_window(
            by=None,
            hall=directory["town_hall"],
            number="3",
            category="民政",
            departments=[directory["civil"]],
        )
    assert "departments" in caught.value.fields
    window = services.update_window(
        directory["w1"], by=None, departments=[directory["health"]], name="卫生健康窗口"
    )
    entry = AuditEntry.objects.get(target_id=str(window.pk), action="window.update")
    assert entry.before == {"name": "卫计窗口"} and entry.after == {"name": "卫生健康窗口"}


def test_department_rename_and_retire(directory):
    dept = services.rename_department(directory["health"], by=None, name="区卫生健康局")
    actions = history(dept)
    assert [a for a, _b, _c in actions] == ["department.create", "department.rename"]
    assert actions[1][2] == {"name": "区卫生健康局"}
    with pytest.raises(ValidationFailed):
        services.create_department(by=None, name="区民政局")
    services.retire_department(dept, by=None)
    dept.refresh_from_db()
    assert not dept.is_active
    # the window keeps the retired department in its record
    assert dept in directory["w1"].departments.all()


def test_only_administrators_may_change(tree, town_clerk):
    with pytest.raises(Forbidden):
        services.rename_region(tree["town"], by=town_clerk, name="改名")
    with pytest.raises(Forbidden):
        services.create_hall(by=town_clerk, region=tree["town"], name="私设大厅")
    other_admin = staff("admin2", Role.SYSADMIN, tree["county"])
    services.create_hall(by=other_admin, region=tree["town"], name="合法大厅")


def test_create_windows_in_bulk_is_checked_and_audited(directory):
    room = directory["room"]
    made = services.create_windows(
        by=None,
        hall=room,
        windows=[
            {"number": "1", "category": "卫计", "departments": [directory["health"]]},
            {"number": "2", "is_comprehensive": True},
        ],
    )
    assert [(w.name, w.category) for w in made] == [("卫计窗口", "卫计"), ("综合窗口", "综合")]
    assert list(made[0].departments.all()) == [directory["health"]]
    entry = AuditEntry.objects.get(target_id=str(made[0].pk), action="window.create")
    assert entry.after["departments"] == ["区卫健局"]
    with pytest.raises(ValidationFailed):
        services.create_windows(by=None, hall=room, windows=[{"number": "1", "category": "民政"}])
    assert Window.objects.filter(hall=room).count() == 2
