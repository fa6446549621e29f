"""Configuration from the environment (prefix WDH_, nested delimiter __) or a .env file.

The names and defaults are the old system's, so existing deployments keep working:

=================================== ===================== =========================================
variable                            default               meaning
=================================== ===================== =========================================
WDH_DATABASE__URI                   (required)            libpq URI of the enterprise database
WDH_DATABASE__CONNECT_TIMEOUT       5                     seconds to wait for the database at start-up
WDH_DATABASE__REPLICA_URIS          (none)                hot standbys for resolution's reads (comma-separated URIs)
WDH_REPLICA_MAX_WAIT                1.0                   seconds a batch waits for a standby to catch up
WDH_DATABASE__LISTEN_URI            (WDH_DATABASE__URI)   the worker's LISTEN connection: direct, never a pooler
WDH_DATABASE__TRANSACTION_POOLING   false                 true: URI goes through PgBouncer in transaction mode
WDH_EQC_BASE_URL                    https://eqc.pingan.com EQC's base URL
WDH_EQC_TOKEN                       (none)                EQC token; never logged
WDH_EQC_TIMEOUT                     30                    seconds per EQC request
WDH_EQC_RATE_LIMIT                  10                    EQC requests per minute, across all processes
WDH_EQC_RETRY_MAX                   3                     retries of a transient EQC failure
WDH_COMPANY_ENRICHMENT_ENABLED      true                  false: never call EQC (resolution still works)
WDH_COMPANY_SYNC_LOOKUP_LIMIT       5                     inline EQC lookups per service instance
WDH_LOOKUP_QUEUE_BATCH_SIZE         50                    requests a worker claims at a time (1..500)
WDH_LOOKUP_RETRY_MAX                3                     attempts before a request fails
WDH_LOOKUP_RETRY_DELAY              300                   first retry delay in seconds (then doubles)
WDH_CHANGED_BY                      (the OS user)         who the mapping history names (enrichment.changed_by)
WDH_WEB_DATABASE__URI               (WDH_DATABASE__URI)   the web console's database (its role decides)
=================================== ===================== =========================================
"""

from __future__ import annotations

import getpass
from typing import Annotated

import psycopg
from psycopg.conninfo import conninfo_to_dict
from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .errors import ConfigurationError

__all__ = ["DatabaseSettings", "Settings", "default_changed_by", "load_settings"]


LOCAL_CLUSTER_HINT = (
    'for the project-local cluster run `scripts/localdb.sh start && eval "$(scripts/localdb.sh env)" '
    '&& export WDH_DATABASE__URI="$LOCALDB_URI"` in the checkout'
)


def default_changed_by() -> str:
    """The OS user running the client: who the mapping history names when WDH_CHANGED_BY is not set."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment nor in the password database
        return "unknown"


def _check_libpq_uri(value: str) -> str:
    """The form only (libpq's own parser); whether the database answers is found out on connecting."""
    if "://" in value and not value.startswith(("postgresql://", "postgres://")):
        raise ValueError("expected a libpq URI starting with postgresql://")
    try:
        conninfo_to_dict(value)
    except psycopg.ProgrammingError as exc:
        reason = " ".join(str(exc).split())
        raise ValueError(f"not a libpq URI such as postgresql://user@host:5432/dbname ({reason})") from None
    return value


class DatabaseSettings(BaseModel):
    uri: str | None = Field(default=None, description="libpq URI, postgresql://...")
    connect_timeout: float = Field(default=5.0, gt=0, le=600, description="seconds to wait for a connection")
    replica_uris: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), description="hot standbys of the database for resolution's reads (comma-separated libpq URIs)"
    )
    """Standbys that answer the read-only half of batch resolution (preview_company_ids); see replicas.py. One
    URI per standby: a multi-host URI (which has commas of its own) cannot be given here."""
    listen_uri: str | None = Field(
        default=None,
        description="the worker's LISTEN connection, which needs a session of its own: a direct connection to "
        "PostgreSQL when uri goes through a pooler in transaction mode (default: uri)",
    )
    transaction_pooling: bool = Field(
        default=False,
        description="uri goes through a pooler in transaction mode (PgBouncer pool_mode=transaction): no "
        "server-side prepared statements, and enrichment.changed_by set in each transaction, not per session",
    )

    @field_validator("uri", "listen_uri")
    @classmethod
    def _libpq_uri(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return _check_libpq_uri(value)

    @field_validator("replica_uris", mode="before")
    @classmethod
    def _split_uris(cls, value: object) -> object:
        """A comma-separated text (the environment's form) becomes the URIs, blanks dropped."""
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("replica_uris")
    @classmethod
    def _libpq_uris(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_libpq_uri(uri) for uri in value)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WDH_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    database: DatabaseSettings = DatabaseSettings()
    web_database: DatabaseSettings = DatabaseSettings()
    """The web console's connection (``company-enrichment web``); without a URI, ``database``'s."""
    eqc_base_url: str = Field(default="https://eqc.pingan.com", pattern=r"^https?://")
    eqc_token: SecretStr | None = None
    eqc_timeout: float = Field(default=30.0, gt=0, le=600)
    eqc_rate_limit: int = Field(default=10, ge=1, le=60_000)
    eqc_retry_max: int = Field(default=3, ge=0, le=20)
    company_enrichment_enabled: bool = True
    company_sync_lookup_limit: int = Field(default=5, ge=0)
    lookup_queue_batch_size: int = Field(default=50, ge=1, le=500)
    lookup_retry_max: int = Field(default=3, ge=1, le=100)
    lookup_retry_delay: int = Field(default=300, ge=0)
    replica_max_wait: float = Field(default=1.0, ge=0, le=60)
    """Seconds a batch waits for a standby to replay up to the primary's WAL position read at its start; a batch
    no standby has caught up with by then goes to the primary alone."""
    changed_by: str = Field(default_factory=default_changed_by, min_length=1, max_length=200)
    """Who changes mappings through this client: set on every connection as ``enrichment.changed_by``, which the
    mapping history records beside the database user (a shared login then still names the person)."""

    def require_database_uri(self) -> str:
        if not self.database.uri:
            raise ConfigurationError(
                "WDH_DATABASE__URI is not set: give the libpq URI of the enterprise database, or " + LOCAL_CLUSTER_HINT
            )
        return self.database.uri

    def web_database_uri(self) -> str:
        """WDH_WEB_DATABASE__URI, falling back to WDH_DATABASE__URI."""
        return self.web_database.uri or self.require_database_uri()


def _variable(loc: tuple[int | str, ...]) -> str:
    return "WDH_" + "__".join(str(part).upper() for part in loc)


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning validation errors into one message that names each bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{_variable(err['loc'])}: {err['msg'].removeprefix('Value error, ')}" for err in exc.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from None
