"""Settings in one place: ``SYNCBRIDGE_*`` environment variables over an optional ``syncbridge.toml``."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from syncbridge.errors import ConfigError


def _toml_path() -> Path:
    return Path(os.environ.get("SYNCBRIDGE_CONFIG_FILE", "syncbridge.toml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SYNCBRIDGE_", extra="forbid")

    database_url: str = "sqlite:///syncbridge.db"
    redis_url: str | None = None
    # Fernet key (urlsafe base64, 32 bytes) that encrypts connection credentials at rest.
    secret_key: str | None = None
    secret_key_file: Path = Path(".syncbridge-secret")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "text"] = "auto"

    http_timeout_s: float = Field(default=30.0, gt=0, le=600)
    preview_ttl_s: int = Field(default=3600, ge=0)
    # Token buckets for the external systems: requests per second and burst.
    woocommerce_rps: float = Field(default=5.0, gt=0)
    woocommerce_burst: int = Field(default=10, ge=1)
    odoo_rps: float = Field(default=10.0, gt=0)
    odoo_burst: int = Field(default=20, ge=1)
    max_in_flight_per_system: int = Field(default=4, ge=1)

    max_concurrent_runs_per_org: int = Field(default=5, ge=1)
    lease_seconds: float = Field(default=30.0, gt=0)
    default_batch_size: int = Field(default=100, ge=1, le=1000)
    # Backoff of transient failures: full jitter in [0, min(cap, base * 2**attempt)].
    retry_base_s: float = Field(default=1.0, ge=0)
    retry_cap_s: float = Field(default=16.0, gt=0)

    api_rate_limit_per_minute: int = Field(default=10, ge=1)
    jwt_hs256_secret: str | None = None
    jwt_rs256_public_key: str | None = None

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=_toml_path()))


def load_settings(**overrides: Any) -> Settings:
    """Read and validate the settings; a bad value is a ``ConfigError`` naming the field."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
