"""The site's production settings (DEBUG off) served over plain HTTP on loopback, for benchmarks.

Static files come from the source folders (no collectstatic), and bench/urls.py adds a
trivial view that measures what the framework itself costs.
"""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from config.settings import *  # noqa: F403
from config.settings import STORAGES

ROOT_URLCONF = "bench.urls"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
STATIC_ROOT = None  # no collectstatic: whitenoise serves from the finders
