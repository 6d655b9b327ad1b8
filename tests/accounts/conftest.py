import datetime as dt

import pytest
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from rest_framework.test import APIClient

from yiwang.accounts import services

from .factories import region_tree


@pytest.fixture
def tree(db):
    return region_tree()


@pytest.fixture
def api():
    return APIClient()


class Clock:
    """The services' clock, moved by hand (tests never sleep)."""

    def __init__(self, start: dt.datetime):
        self.at = start

    def __call__(self):
        return self.at

    def advance(self, **delta):
        self.at += dt.timedelta(**delta)
        return self.at


@pytest.fixture
def clock(monkeypatch):
    c = Clock(timezone.now().replace(microsecond=0))
    monkeypatch.setattr(services, "now", c)
    return c


def token_for(api, user):
    api.credentials(HTTP_AUTHORIZATION="Token " + services.issue_token(user))
    return api


def verified_login(client, user):
    """Log a staff member into the pages as if they had passed TOTP."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    device = getattr(user, "totp_device", None) or services.confirmed_device(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
