"""``core.api.ModelSerializer``: the field set is worked out once per class,
and every instance still gets fields of its own, bound to it. Choice labels
(``ChoiceLabelField``, ``get_<field>_display``) in the active language."""

import pytest
from django.utils import translation
from rest_framework import serializers

from tests.accounts.factories import region_tree
from yiwang.core.api import ChoiceLabelField, ModelSerializer
from yiwang.regions.models import Hall, HallKind, Region


class RegionOut(ModelSerializer):
    seen_by = serializers.SerializerMethodField()

    class Meta:
        model = Region
        fields = ["code", "name", "level", "seen_by"]

    def get_seen_by(self, obj) -> str:
        return self.context.get("who", "")


class HallOut(ModelSerializer):
    region = RegionOut(read_only=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=4), write_only=True)

    class Meta:
        model = Hall
        fields = ["id", "name", "kind", "phone", "region", "tags"]


@pytest.mark.django_db
def test_each_instance_binds_its_own_fields_and_sees_its_own_context():
    hall = region_tree().town_hall
    a = HallOut(hall, context={"who": "a"})
    b = HallOut(hall, context={"who": "b"})
    assert a.data["region"]["seen_by"] == "a" and b.data["region"]["seen_by"] == "b"
    assert a.data["name"] == b.data["name"] == "浓洄街道便民服务中心"
    assert a.data["region"]["code"] == "511602001000"
    for name in ("id", "name", "kind", "region", "tags"):
        assert a.fields[name] is not b.fields[name]
        assert a.fields[name].parent is a and b.fields[name].parent is b
    nested_a, nested_b = a.fields["region"], b.fields["region"]
    assert nested_a.fields["seen_by"] is not nested_b.fields["seen_by"]
    assert nested_a.fields["seen_by"].parent is nested_a
    assert a.fields["tags"].child is not b.fields["tags"].child
    assert a.fields["tags"].child.parent is a.fields["tags"]
    # The class's prototypes are never bound to anyone.
    assert all(f.parent is None for f in HallOut._field_prototype.values())
    # Even a prototype nested serializer that was asked for its fields gives
    # each copy fields of its own.
    prototype = HallOut._field_prototype["region"]
    assert prototype.fields["code"].parent is prototype
    c = HallOut(hall, context={"who": "c"})
    assert c.fields["region"].fields["code"] is not prototype.fields["code"]
    assert c.fields["region"].fields["code"].parent is c.fields["region"]
    assert c.data["region"]["seen_by"] == "c"


@pytest.mark.django_db
def test_validation_through_copied_fields_is_per_instance():
    hall = region_tree().town_hall
    good = HallOut(hall, data={"phone": "0826-1234567", "tags": ["窗口"]}, partial=True)
    bad = HallOut(hall, data={"phone": "x" * 41, "tags": ["太长的标签"]}, partial=True)
    assert good.is_valid(), good.errors
    assert good.validated_data == {"phone": "0826-1234567", "tags": ["窗口"]}
    assert not bad.is_valid()
    assert set(bad.errors) == {"phone", "tags"}
    assert good.is_valid() and not good.errors  # the other's errors are not shared


class HallKindOut(ModelSerializer):
    kind_label = ChoiceLabelField("kind")

    class Meta:
        model = Hall
        fields = ["kind", "kind_label"]


@pytest.mark.django_db
def test_choice_labels_follow_the_active_language_and_keep_unknown_values():
    hall = region_tree().town_hall
    with translation.override("zh-hans"):
        assert hall.get_kind_display() == "便民服务中心"
        assert HallKindOut(hall).data == {"kind": "town", "kind_label": "便民服务中心"}
    with translation.override("en"):
        # The same field, asked again: the mapping kept the labels lazy.
        english = hall.get_kind_display()
        assert english != "便民服务中心" and english == str(HallKind.TOWN.label)
        assert HallKindOut(hall).data["kind_label"] == english
    hall.kind = "tent"  # not one of the choices: shown as it is, as Django does
    assert hall.get_kind_display() == "tent"
    assert HallKindOut(hall).data["kind_label"] == "tent"
    assert HallKindOut().fields["kind_label"].read_only
