"""Typed configuration, read once from the environment (``HUB_*``)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from limits import parse as parse_limit
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.analytics.thresholds import Thresholds
from hub.notices.indicators import NoticeIndicators

PROJECT_ROOT = Path(__file__).resolve().parent.parent


MIN_SECRET_LENGTH = 32
# Values people copy from examples: refused as production keys.
EXAMPLE_SECRETS = frozenset({"change-me", "changeme", "secret", "test-secret-key-not-for-production-use",
                             "bench-secret-of-at-least-thirty-two-bytes"})


class Settings(BaseSettings):
    """Every knob the hub reads; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="HUB_", env_nested_delimiter="__", extra="ignore")

    mongodb_url: str | None = Field(default=None, description="unset: start the local store")
    db: str = "mediation_hub"
    data_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, ge=1, description="`hub serve`'s worker processes; more than one: uvicorn's "
                         "supervisor spawns them, each with its own database client, rate limits and background tasks")
    secret_key: str | None = None
    keys_refresh_seconds: float = Field(default=5.0, gt=0, description="how often each process reads the key ring "
                                        "again (`hub keys rotate`)")
    keys_activation_seconds: float = Field(default=30.0, ge=0, description="how long after `hub keys rotate` the new "
                                           "key becomes current: more than HUB_KEYS_REFRESH_SECONDS, so every "
                                           "process knows a key before any writes with it")
    rekey_poll_seconds: float = Field(default=10.0, ge=0, description="how often a process looks for data to "
                                      "re-key after a rotation (one process at a time, by a lease); 0: never")
    env: Literal["development", "production"] = "development"

    store_host: str = "127.0.0.1"
    store_port: int = 27018
    store_backend: Literal["h2", "memory"] = Field(
        default="h2", description="h2: one file under the data dir, kept across restarts; memory: the JVM heap")
    store_heap: str = Field(default="2g", description="the local store's JVM heap (-Xmx); see the README for sizes")
    store_jar: Path | None = Field(default=None, description="the launcher jar; default: the project's Maven build")
    store_java: str | None = Field(default=None, description="the java executable; default: JAVA_HOME's or PATH's")
    store_start_timeout: float = 60.0

    ready_timeout: float = Field(default=1.5, description="seconds to wait for the store: /readyz's ping, and how "
                                 "long a request waits for a store that is down before UNAVAILABLE")
    store_heartbeat_timeout: float = Field(default=10.0, description="seconds the driver's heartbeat (and a new "
                                           "connection) may take before the store counts as down; a store busy "
                                           "under load answers slowly, and counting it down sheds every request")
    store_socket_timeout: float = Field(default=120.0, description="seconds one store operation may take before "
                                        "it fails (a store that hangs); above the slowest report")
    case_match_days: int = Field(default=90, description="window for matching a record to an open case")
    warnings: Thresholds = Field(default_factory=Thresholds, description="early-warning thresholds")
    notices: NoticeIndicators = Field(default_factory=NoticeIndicators,
                                      description="supervision notices' indicators (docs/notices.md)")

    max_body_bytes: int = Field(default=4 * 1024 * 1024, description="largest request body accepted")
    max_in_flight: int = Field(default=8, ge=0, description="HTTP requests one process works on at once; more wait "
                               "their turn (a worker's memory is set by how many it holds at once); 0: no bound")
    queue_timeout: float = Field(default=30.0, gt=0, description="seconds a request may wait for its turn before "
                                 "503 OVERLOADED with Retry-After")
    proxy_headers: bool = Field(default=False, description="trust X-Forwarded-For/-Proto from the addresses in "
                                "HUB_FORWARDED_ALLOW_IPS (the hub behind a reverse proxy); required in production")
    forwarded_allow_ips: str = Field(default="127.0.0.1", description="the proxies' addresses or networks, "
                                     "comma-separated, whose forwarded headers are trusted (uvicorn's setting)")
    rate_limit_user: str = Field(default="600/minute", description="requests one user may send, per process, e.g. "
                                 "600/minute or 20/second; empty: no limit")
    rate_limit_agency: str = Field(default="3000/minute", description="requests one agency's users and systems "
                                   "together may send, per process; empty: no limit")
    shutdown_timeout: float = Field(default=10.0, description="seconds `hub serve` waits, on SIGTERM, for open "
                                    "requests and subscriptions to finish before it cancels them")
    directory_refresh_seconds: float = Field(default=30.0, gt=0, description="how long each process keeps the "
                                             "agency directory before reading it again: a changed agency is seen "
                                             "everywhere within this time (a new one at once)")
    trusted_documents: Literal["off", "per-agency", "all"] = Field(
        default="per-agency", description="who must send a registered document id instead of query text "
        "(docs/trusted-documents.md): per-agency: the agencies `hub documents require` names; all: every caller "
        "(a production deployment whose clients' documents are all registered); off: nobody")
    trusted_documents_cache_seconds: float = Field(default=5.0, ge=0, description="how long each process keeps a "
                                                   "trusted document it read (or found missing): a removed one "
                                                   "stops working, a new one starts, within this time")
    revocation_refresh_seconds: float = Field(default=2.0, description="how often each process reads the revoked "
                                              "tokens again: a revocation takes effect within this time")
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_cost: int = 250_000
    max_selections: int = 2_000

    console_dir: Path = Field(default=Path(__file__).resolve().parents[1] / "console" / "dist",
                              description="the console's built files (`make` builds them with npm)")
    cookie_secure: bool | None = Field(default=None, description="the session cookie's Secure flag; unset: on in "
                                       "production (behind TLS), else only when the request came over https")
    export_max_rows: int = Field(default=10_000, description="most rows one Excel export writes")
    # Observability (docs/operations.md); traces are the OpenTelemetry SDK's OTEL_* settings (hub/tracing.py).
    log_format: Literal["json", "text"] | None = Field(default=None, description="json: one JSON object a line; "
                                                       "text: plain lines; unset: json in production, else text")
    access_log: bool = Field(default=True, description="one log line per HTTP request (method, path, status, "
                             "duration, request id); probes and scrapes that succeed are not logged")
    metrics_max_operations: int = Field(default=100, ge=0, description="distinct GraphQL operation names one "
                                        "process labels its metrics with; later ones are counted as `other`")

    # Webhooks (docs/webhooks.md): the dispatcher every hub process runs in the background.
    webhook_poll_seconds: float = Field(default=1.0, description="how often the dispatcher reads the outbox; 0: off")
    webhook_timeout: float = Field(default=10.0, description="seconds one delivery attempt may take")
    webhook_backoff_base: float = Field(default=10.0, description="seconds before the first retry, doubled each time")
    webhook_backoff_cap: float = Field(default=3600.0, description="the longest wait between two attempts")
    webhook_retry_hours: float = Field(default=24.0, description="a delivery not accepted by then is FAILED")
    webhook_gap_seconds: float = Field(default=30.0, description="how long the dispatcher waits for an outbox "
                                       "sequence number allocated but not yet written before passing it")
    # The watch (docs/webhooks.md): warnings raised and deadlines near, written into the outbox by one process.
    watch_poll_seconds: float = Field(default=60.0, description="how often the watch looks for new warnings and "
                                      "near deadlines (one hub process at a time, by a lease); 0: off")
    deadline_near_days: int = Field(default=2, description="a deadline this many days ahead or less is near")
    watch_max_warnings: int = Field(default=500, description="the most WARNING_RAISED events one watch round "
                                    "writes (the most severe first); the rest follow in the next rounds")
    outbox_retention_days: float = Field(default=30.0, description="outbox events every consumer has read, and "
                                         "finished webhook deliveries, are kept this long (the watch prunes them)")
    # GraphQL subscriptions (docs/subscriptions.md): each process's feed of the outbox.
    subscription_poll_seconds: float = Field(default=0.5, description="how often a process's subscription feed "
                                             "reads events other processes wrote (its own: at once)")
    # The change log (docs/changes.md): `changes` and `hub export` read it in write order.
    changes_gap_seconds: float = Field(default=30.0, description="how long a reader of the change log waits for "
                                       "a number taken but not yet written before passing it")
    # The audit trail's chain (docs/reliability.md): the sealer links entries into checkpoints.
    audit_seal_seconds: float = Field(default=60.0, description="how often the sealer links new audit entries "
                                      "into a checkpoint (one hub process at a time, by a lease); 0: off")
    audit_gap_seconds: float = Field(default=30.0, description="how long the sealer waits for an audit number "
                                     "taken but not yet written before sealing it as never written")

    @field_validator("rate_limit_user", "rate_limit_agency")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        if value.strip():
            try:
                parse_limit(value)
            except ValueError:
                raise ValueError(f"{value!r} is not a rate such as 600/minute or 20/second") from None
        return value.strip()

    def production_problems(self) -> list[str]:
        """What is wrong with these settings for a production `hub serve` (HUB_ENV=production); empty when right,
        and always empty in development."""
        if self.env != "production":
            return []
        problems = []
        key = self.secret_key or ""
        if not key:
            problems.append("HUB_SECRET_KEY is not set: in production every hub process must be given the same "
                            "key (a generated one would differ per process and host)")
        elif len(key) < MIN_SECRET_LENGTH or key.lower() in EXAMPLE_SECRETS or len(set(key)) < 8:
            problems.append(f"HUB_SECRET_KEY is an example or too weak a value: give at least {MIN_SECRET_LENGTH} "
                            "random characters (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)")
        if not self.mongodb_url:
            problems.append("HUB_MONGODB_URL is not set: production runs on a MongoDB replica set, never the local "
                            "store")
        if "proxy_headers" not in self.model_fields_set:
            problems.append("HUB_PROXY_HEADERS is not set: say whether the hub is behind a reverse proxy (true, with "
                            "HUB_FORWARDED_ALLOW_IPS naming it) or faces clients itself (false)")
        elif self.proxy_headers and "*" in {part.strip() for part in self.forwarded_allow_ips.split(",")}:
            problems.append("HUB_FORWARDED_ALLOW_IPS is *: name the proxies' addresses, or anyone can claim to "
                            "have come over https")
        if self.cookie_secure is False:
            problems.append("HUB_COOKIE_SECURE is false: in production the session cookie travels over TLS only")
        return problems

    @property
    def resolved_log_format(self) -> Literal["json", "text"]:
        """HUB_LOG_FORMAT, or its default: JSON for a production deployment's collector, text for a terminal."""
        return self.log_format or ("json" if self.env == "production" else "text")

    @property
    def case_match_window(self) -> timedelta:
        """How far apart a record and an open case may be and still be matched."""
        return timedelta(days=self.case_match_days)

    @property
    def store_dir(self) -> Path:
        """Where the local store keeps its data file, pid file and log."""
        return self.data_dir / "store"

    @property
    def local_store_url(self) -> str:
        """The connection string of the local store these settings describe."""
        return f"mongodb://{self.store_host}:{self.store_port}/"

    def resolved_secret_key(self) -> str:
        """The token-signing key: from the environment, else generated once into the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
