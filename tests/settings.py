"""Test settings: the real settings, with a private var dir, jobs run inline
unless a test runs a real worker, and a faster password hasher (Argon2 is
checked by its own test)."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("YIWANG_VAR_DIR", tempfile.mkdtemp(prefix="yiwang-test-var-"))

from yiwang.settings import *  # noqa: E402,F403
from yiwang.settings import HUEY, VAR_DIR  # noqa: E402

HUEY = {**HUEY, "immediate": True}
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
MEDIA_ROOT = Path(VAR_DIR) / "media"
SHARED_DIR = Path(__file__).resolve().parent.parent.parent / "shared"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise expects it
# Counters stay in the test process (the suite may share a Redis with others).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
