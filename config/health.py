"""Probes of the services the site runs on, for /healthz."""

from django.conf import settings
from django.db import connection
from redis import Redis
from redis.exceptions import RedisError


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def broker_ok() -> bool:
    try:
        client = Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
        return bool(client.ping())
    except (RedisError, OSError, ValueError):
        return False
