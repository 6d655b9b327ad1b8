"""The county / town / village lists and village admission (准入制)."""

from __future__ import annotations

import pytest

from yiwang.catalog import selectors, services
from yiwang.core.errors import Conflict, Forbidden, ValidationFailed

pytestmark = pytest.mark.django_db


def test_county_and_town_are_set_directly(item, admin, tree):
    services.set_level(item, "county", by=admin)
    services.set_level(item, "town", by=admin)
    assert selectors.offered_at_level(item, "county") and selectors.offered_at_level(item, "town")
    assert list(selectors.items_for_level("town")) == [item]


def test_village_needs_county_approval(item, admin, town_admin):
    entry = services.set_level(item, "village", by=town_admin, reason="群众需求大")
    assert entry.status == "requested"
    assert not selectors.offered_at_level(item, "village")
    assert list(selectors.items_for_level("village")) == []
    assert list(selectors.village_requests()) == [entry]
    with pytest.raises(Forbidden):
        services.approve_level(entry, by=town_admin)
    with pytest.raises(Conflict):
        services.request_level(item, "village", by=town_admin)
    services.approve_level(entry, by=admin)
    assert selectors.offered_at_level(item, "village")
    with pytest.raises(Conflict):
        services.reject_level(entry, by=admin, reason="x")


def test_village_rejection_needs_reason_and_can_be_rerequested(item, admin, clerk):
    entry = services.request_level(item, "village", by=admin)
    with pytest.raises(ValidationFailed):
        services.reject_level(entry, by=admin, reason="")
    services.reject_level(entry, by=admin, reason="村级不具备核验条件")
    assert not selectors.offered_at_level(item, "village")
    again = services.request_level(item, "village", by=admin, reason="已配备设备")
    assert again.status == "requested"
    with pytest.raises(Forbidden):
        services.request_level(item, "village", by=clerk)


def test_items_for_hall(item, admin, tree):
    services.set_level(item, "county", by=admin)
    services.update_item(item, by=admin, halls=[tree.county_hall, tree.town_hall])
    assert list(selectors.items_for_hall(tree.county_hall)) == [item]
    # The town hall offers it only once it is on the town list.
    assert list(selectors.items_for_hall(tree.town_hall)) == []
    services.set_level(item, "town", by=admin)
    assert list(selectors.items_for_hall(tree.town_hall)) == [item]


def test_application_ref_gives_the_published_version_and_the_hall_test(draft, item, admin, tree):
    assert selectors.application_ref(item, tree.county_hall) == (None, False)  # nothing published
    version = services.publish(draft, by=admin)
    services.set_level(item, "county", by=admin)
    services.update_item(item, by=admin, halls=[tree.county_hall, tree.town_hall])
    ref, offered = selectors.application_ref(item, tree.county_hall)
    assert ref.pk == version.pk and offered
    # The town hall is assigned, but the item is not on the town list yet; the
    # other town's hall is not assigned at all; no hall offers nothing.
    assert selectors.application_ref(item, tree.town_hall) == (ref, False)
    services.set_level(item, "town", by=admin)
    assert selectors.application_ref(item, tree.town_hall) == (ref, True)
    assert selectors.application_ref(item, tree.other_town_hall) == (ref, False)
    assert selectors.application_ref(item, None) == (ref, False)
    # Always the same answer as the hall's list.
    for hall in (tree.county_hall, tree.town_hall, tree.other_town_hall):
        listed = item in selectors.items_for_hall(hall)
        assert selectors.application_ref(item, hall)[1] == listed
    tree.town_hall.is_active = False
    assert selectors.application_ref(item, tree.town_hall) == (ref, False)
