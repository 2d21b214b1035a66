"""Minimal Antenna-shaped settings (see README.md).

Knobs (environment variables):
  CALIB_DB        database name (required; created by setup_db.py)
  CALIB_CACHALOT  "1" to add django-cachalot (Antenna uses it); default off
  CALIB_PREFIX    Redis key prefix for this run (shared Redis: never flushed)
  CALIB_SYNC_COMMIT  e.g. "off": session-level synchronous_commit for this app's connections
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "calib-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = False  # as Antenna
USE_I18N = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "calibproj.urls"
WSGI_APPLICATION = "calibproj.wsgi.application"
STATIC_URL = "/api/v2/static/"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework",
    "rest_framework.authtoken",
    "jobs",
]
CACHALOT = os.environ.get("CALIB_CACHALOT", "0") == "1"
if CACHALOT:
    INSTALLED_APPS.append("cachalot")

# Antenna's list minus corsheaders and whitenoise (not installed here).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["CALIB_DB"],
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": "5432",
        "ATOMIC_REQUESTS": True,  # as Antenna
        "CONN_MAX_AGE": 60,  # as Antenna production
    }
}
# CALIB_SYNC_COMMIT=off: this run's own sessions only skip waiting for the WAL flush at COMMIT
# (a libpq session option; the shared server's configuration is not touched).
if os.environ.get("CALIB_SYNC_COMMIT"):
    DATABASES["default"]["OPTIONS"] = {"options": f"-c synchronous_commit={os.environ['CALIB_SYNC_COMMIT']}"}

# Antenna uses django_redis with IGNORE_EXCEPTIONS; Django 3.2 has no built-in Redis backend.
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/0",
        "KEY_PREFIX": os.environ.get("CALIB_PREFIX", "calib"),
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_KEEPALIVE": True,
            "SOCKET_CONNECT_TIMEOUT": 5,
        },
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ("rest_framework.authentication.TokenAuthentication",),
    "DEFAULT_PERMISSION_CLASSES": ("rest_framework.permissions.IsAuthenticated",),
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.NamespaceVersioning",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 10,
}

# Antenna's LOGGING: root logger at INFO to a console StreamHandler (stderr).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "verbose": {"format": "%(levelname)s %(asctime)s %(module)s %(process)d %(thread)d %(message)s"},
    },
    "handlers": {"console": {"level": "INFO", "class": "logging.StreamHandler", "formatter": "verbose"}},
    "root": {"level": "INFO", "handlers": ["console"]},
}
