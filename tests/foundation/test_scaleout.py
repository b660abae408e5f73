"""The scale-out path: the real PostgreSQL and Redis. They must be there; nothing skips."""

from __future__ import annotations

import os
import uuid

import pytest
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.core.cache import cache
from django.db import connection

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


async def test_it_round_trips_a_message_through_the_redis_channel_layer():
    layer = RedisChannelLayer(hosts=[REDIS_URL])
    group = f"test-{uuid.uuid4().hex}"
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    await layer.group_send(group, {"type": "live.test", "text": "hello"})
    message = await layer.receive(channel)
    assert message == {"type": "live.test", "text": "hello"}
    await layer.group_discard(group, channel)
    await layer.flush()


@pytest.mark.django_db
def test_it_uses_the_database_the_environment_names():
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    expected = "postgresql" if on_postgres else "sqlite"
    assert connection.vendor == expected


def test_it_uses_redis_for_layer_and_cache_when_redis_url_is_set():
    if os.environ.get("REDIS_URL"):
        assert settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis")
        key = f"probe-{uuid.uuid4().hex}"
        cache.set(key, 1, 5)
        assert cache.get(key) == 1
        assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    else:
        assert settings.CHANNEL_LAYERS["default"]["BACKEND"].endswith("InMemoryChannelLayer")
