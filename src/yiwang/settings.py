"""Django settings for Yiwang.

Every setting that an operator may change comes from the environment
(django-environ) and is documented in docs/configuration.md. The embedded
default — SQLite, a SQLite huey queue, simulated integrations — needs none.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent  # src/yiwang
PROJECT_DIR = BASE_DIR.parent.parent  # the checkout

env = environ.Env()
VAR_DIR = Path(env("YIWANG_VAR_DIR", default=str(PROJECT_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("YIWANG_DEBUG", default=False)
# The embedded default uses a fixed development key; deployments must set it.
SECRET_KEY = env("YIWANG_SECRET_KEY", default="yiwang-embedded-default-not-for-production")
ALLOWED_HOSTS = env.list("YIWANG_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("YIWANG_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "yiwang.accounts.admin_site.AdminConfig",  # django.contrib.admin, TOTP + sysadmin role
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rules.apps.AutodiscoverRulesConfig",
    "huey.contrib.djhuey",
    "yiwang.core",
    "yiwang.regions",
    "yiwang.accounts",
    "yiwang.catalog",
    "yiwang.cases",
    "yiwang.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "yiwang.core.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "yiwang.urls"
WSGI_APPLICATION = "yiwang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yiwang.web.context_processors.ui",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'yiwang.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL + a busy timeout: several writers (web, worker) share the file.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with a health check that polls the socket instead of
    # a SELECT 1 round trip per request (yiwang.core.db.postgresql.base).
    DATABASES["default"]["ENGINE"] = "yiwang.core.db.postgresql"
    # A server keeps its connections (one per gunicorn thread) instead of
    # opening one per request; ``?conn_max_age=…`` on the URL overrides.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("YIWANG_DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if env.bool("YIWANG_DB_PREPARE", default=True):
        # Prepared statements: with the parameters bound on the server,
        # psycopg prepares a statement once a connection has run it 5 times,
        # and PostgreSQL stops planning it again. Planning is most of the
        # server's work for the short joins of a request. Off behind a pooler
        # that cannot keep them.
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": 5}
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

# Staff logins: failures before a lock, and how long the lock lasts.
YIWANG_LOGIN_MAX_FAILURES = env.int("YIWANG_LOGIN_MAX_FAILURES", default=5)
YIWANG_LOGIN_LOCK_MINUTES = env.int("YIWANG_LOGIN_LOCK_MINUTES", default=15)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Front-end packages installed by npm (pinned in package.json) are served from
# their dist folders in node_modules under `vendor/<package>/dist/`; nothing is
# hand-copied, and only what pages use is collected.
VENDOR_ASSETS = ["@tabler/core/dist", "@tabler/icons-webfont/dist", "htmx.org/dist"]
STATICFILES_DIRS = [(f"vendor/{p}", PROJECT_DIR / "node_modules" / p) for p in VENDOR_ASSETS]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(env("YIWANG_MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"  # never served directly: downloads go through views

# Keys for personal data. The embedded default derives demo keys; a deployment
# must set both (32 hex chars = 128-bit SM4 key; any string for the hash key).
YIWANG_PII_KEY = env("YIWANG_PII_KEY", default="0123456789abcdeffedcba9876543210")
YIWANG_PII_HASH_KEY = env("YIWANG_PII_HASH_KEY", default="yiwang-embedded-pii-hash-key")
# The platform's own SM2 key for sealing audit checkpoints (hex private key).
# Empty: one is generated into VAR_DIR on first use (embedded default only).
YIWANG_SIGNER = env("YIWANG_SIGNER", default="yiwang.core.crypto.SoftwareSM2Signer")
YIWANG_SM2_PRIVATE_KEY = env("YIWANG_SM2_PRIVATE_KEY", default="")

# Background jobs: huey on its own SQLite file, or Redis when REDIS_URL is set.
REDIS_URL = env("REDIS_URL", default="")
HUEY_IMMEDIATE = env.bool("YIWANG_HUEY_IMMEDIATE", default=False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": env("YIWANG_HUEY_NAME", default="yiwang"),
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": env.int("YIWANG_WORKERS", default=2), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "yiwang",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "consumer": {"workers": env.int("YIWANG_WORKERS", default=2), "worker_type": "thread"},
    }

# Django's cache holds short-lived counters (the public progress lookup's
# misses): shared through Redis when there is one, else per process.
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("YIWANG_HUEY_NAME", default="yiwang"),
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

REST_FRAMEWORK = {
    # Token first: a call without credentials is answered 401 with
    # ``WWW-Authenticate: Token`` (the first class names the scheme).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "yiwang.accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "yiwang.accounts.permissions.ActiveAccount",
        "yiwang.accounts.permissions.StaffVerified",
    ],
    # DRF's defaults, with JSON written and read by orjson (core.api).
    "DEFAULT_RENDERER_CLASSES": [
        "yiwang.core.api.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "yiwang.core.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "yiwang.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Yiwang API (一网通办)",
    "DESCRIPTION": "The county government-services platform API. Errors share one shape: "
    '{"code": "...", "message": "...", "fields": {"field": ["..."]}}.',
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "kind" choice field; name their enums apart.
    "ENUM_NAME_OVERRIDES": {
        "HallKindEnum": "yiwang.regions.models.HallKind",
        "AccountKindEnum": "yiwang.accounts.models.AccountKind",
        "CaseStatusEnum": "yiwang.cases.models.Status",
        "DeliveryEnum": "yiwang.cases.models.Delivery",
        "AccountStatusEnum": "yiwang.accounts.models.AccountStatus",
    },
}

# Cases: the largest upload, the longest extension of a statutory period
# (行政许可法 art. 42: 10 working days), the address printed in QR codes.
YIWANG_UPLOAD_MAX_MB = env.int("YIWANG_UPLOAD_MAX_MB", default=20)
YIWANG_MAX_EXTENSION_DAYS = env.int("YIWANG_MAX_EXTENSION_DAYS", default=10)
# Reverse proxies in front of the servers: their addresses are stepped over
# in X-Forwarded-For to find the client's (core.middleware.client_ip).
YIWANG_TRUSTED_PROXIES = env.list("YIWANG_TRUSTED_PROXIES", default=[])
# Failed public progress lookups one address may make in an hour (cases.progress_lookup).
YIWANG_PROGRESS_MAX_MISSES = env.int("YIWANG_PROGRESS_MAX_MISSES", default=20)
YIWANG_PUBLIC_URL = env("YIWANG_PUBLIC_URL", default="http://127.0.0.1:8000")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Notification channels (SMS, e-mail): simulated by default.
YIWANG_SMS_CHANNEL = env("YIWANG_SMS_CHANNEL", default="simulated")
EMAIL_BACKEND = env("YIWANG_EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("YIWANG_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("YIWANG_LOG_LEVEL", default="WARNING")},
}
