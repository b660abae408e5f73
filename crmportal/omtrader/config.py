"""The service layer's settings, read once from Django settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class Config:
    base_url: str
    ws_url: str
    username: str = field(repr=False)
    password: str = field(repr=False)
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    pool_size: int = 32
    retries: int = 4
    backoff: float = 0.1
    cache_ttl: int = 300
    cache_alias: str = "default"
    paths: Mapping[str, Any] = field(default_factory=dict)
    secret_key: str = field(default="", repr=False)  # seals the login shared through the cache

    @classmethod
    def from_settings(cls) -> Config:
        return cls(
            base_url=settings.OMTRADER_URL.rstrip("/"),
            ws_url=settings.OMTRADER_WS_URL.rstrip("/"),
            username=settings.OMTRADER_USERNAME,
            password=settings.OMTRADER_PASSWORD,
            connect_timeout=float(settings.OMTRADER_CONNECT_TIMEOUT),
            read_timeout=float(settings.OMTRADER_READ_TIMEOUT),
            pool_size=int(settings.OMTRADER_POOL_SIZE),
            retries=int(settings.OMTRADER_RETRIES),
            backoff=float(getattr(settings, "OMTRADER_RETRY_BACKOFF", 0.1)),
            cache_ttl=int(settings.OMTRADER_CACHE_TTL),
            cache_alias=getattr(settings, "OMTRADER_CACHE_ALIAS", "default"),
            paths=dict(getattr(settings, "OMTRADER_PATHS", {}) or {}),
            secret_key=settings.SECRET_KEY,
        )
