"""Settings read from the environment (prefix ``HAIR_EVIDENCE_``, plus ``DATABASE_URL``)."""

from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./hair-evidence.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HAIR_EVIDENCE_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("DATABASE_URL", "HAIR_EVIDENCE_DATABASE_URL"),
    )
    cors_origins: list[str] = Field(default_factory=list)
    page_size_default: int = Field(default=50, ge=1)
    page_size_max: int = Field(default=500, ge=1)
    # A journal article longer than this is more likely a misprint than a real span.
    max_plausible_page_span: int = Field(default=150, ge=1)
    db_pool_size: int = Field(default=10, ge=1)
    # Imports: bodies above the first size run as background jobs; above the second, 413.
    import_background_bytes: int = Field(default=1_000_000, ge=1)
    import_max_bytes: int = Field(default=100_000_000, ge=1)
    import_batch_size: int = Field(default=500, ge=1)
    # Any other request body (JSON writes); larger ones answer 413 before they are read whole.
    max_body_bytes: int = Field(default=1_000_000, ge=1)
    # An answer not started within this many seconds is abandoned with 503 (exports stream on).
    request_timeout_seconds: float = Field(default=30.0, gt=0)
    sql_echo: bool = False
    # Per client address and per API key, in each serving process ("N/second|minute|hour").
    rate_limit_writes: str = Field(default="120/minute", pattern=r"^\d+/(second|minute|hour)$")
    rate_limit_imports: str = Field(default="20/minute", pattern=r"^\d+/(second|minute|hour)$")
    # One JSON line per request (method, path, status, ms, request id) on stderr.
    access_log: bool = True
    # Prometheus metrics at /metrics; off, no endpoint and no cost on any request.
    metrics: bool = True
    log_level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")
    # Metadata enrichment (hair-evidence resolve) from Crossref and PubMed E-utilities.
    enrich_crossref_base_url: str = "https://api.crossref.org"
    enrich_eutils_base_url: str = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
    enrich_timeout_seconds: float = Field(default=20.0, gt=0)
    # Retries after the first attempt, on 429, 5xx and network errors.
    enrich_retries: int = Field(default=3, ge=0)
    # The first retry waits this long, each later one twice as long (unless Retry-After says).
    enrich_backoff_seconds: float = Field(default=1.0, ge=0)
    # Sent to Crossref (mailto, User-Agent) and NCBI (email) as the polite contact; None: none.
    enrich_mailto: str | None = None

    @field_validator("database_url")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("DATABASE_URL must be a sqlite:// or postgresql:// URL")
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()


async def app_settings(request: Request) -> Settings:
    """The settings the running application was created with (async: FastAPI would run a
    plain function in its threadpool, a thread hop on every request)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(app_settings)]
