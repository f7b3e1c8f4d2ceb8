"""One application's Prometheus metrics: requests per route, imports, the database pool."""

import os
from collections.abc import Callable
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import Route
from starlette.types import Scope

from app.imports.schemas import ImportCounts, RecordStatus
from app.metrics.pool import PoolCollector
from app.models.enums import ImportStatus

UNMATCHED = "unmatched"
# Anything else a client sends as a method is counted as "other": no label value is ever
# the client's own word, or one client could make the series without end.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# From a study read (well under a millisecond in process) to a large import.
_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
)  # fmt: skip
_OUTCOMES = (ImportStatus.succeeded, ImportStatus.rejected, ImportStatus.failed)


class Metrics:
    """Kept on a registry of its own rather than prometheus_client's global one, so that each
    application (the tests make many in one process) counts only its own requests."""

    def __init__(self, engine: Callable[[], AsyncEngine | None]) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "hair_evidence_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self._duration = Histogram(
            "hair_evidence_http_request_duration_seconds",
            "Time from a request's arrival to its response's last byte, by method and route.",
            ["method", "route"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        imports = Counter(
            "hair_evidence_imports",
            "Imports finished, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        records = Counter(
            "hair_evidence_import_records",
            "Records read by finished imports, by what became of each (dry runs included).",
            ["status"],
            registry=self.registry,
        )
        # Every series from zero, so a rate() sees the first import.
        self._imports = {outcome: imports.labels(outcome.value) for outcome in _OUTCOMES}
        self._records = {status.value: records.labels(status.value) for status in RecordStatus}
        self._pool = PoolCollector(engine)
        self.registry.register(self._pool)
        # The hot path's cost: one dict look-up, then an increment and an observation.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._endpoint_routes: dict[Any, str] | None = None
        self._exposed = self._exposed_registry()

    def _exposed_registry(self) -> CollectorRegistry:
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            return self.registry
        # Several workers: each writes its counts to files in that directory and a scrape,
        # whichever worker answers it, sums them all. The pool gauges stay that worker's own;
        # the process gauges are left out, as they would describe one worker at random.
        exposed = CollectorRegistry()
        MultiProcessCollector(exposed)  # type: ignore[no-untyped-call]
        exposed.register(self._pool)
        return exposed

    def observe_request(self, scope: Scope, status: int, seconds: float) -> None:
        method = scope["method"]
        if method not in _METHODS:
            method = "other"
        route = self._route(scope)
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self._requests.labels(method, route, str(status)),
                self._duration.labels(method, route),
            )
        children[0].inc()
        children[1].observe(seconds)

    def _route(self, scope: Scope) -> str:
        """The template of the route that answered (``/v1/studies/{study_id}``), never the
        path: a label per study id would grow without end."""
        route = scope.get("route")
        if route is not None:
            template: str = getattr(route, "path", UNMATCHED)  # a Host has none
            return template
        endpoint = scope.get("endpoint")
        if endpoint is None:
            return UNMATCHED  # no route: a 404, or a redirect to add or drop a slash
        # FastAPI's own pages (/docs, /openapi.json) leave only their endpoint in the scope.
        if self._endpoint_routes is None:
            routes = scope["app"].routes
            self._endpoint_routes = {r.endpoint: r.path for r in routes if isinstance(r, Route)}
        return self._endpoint_routes.get(endpoint, UNMATCHED)

    def count_import(self, outcome: ImportStatus, counts: ImportCounts | None = None) -> None:
        self._imports[outcome].inc()
        if counts is not None:
            for status, number in counts:
                self._records[status].inc(number)

    def exposition(self, accept: str) -> tuple[bytes, str]:
        """The metrics in the format the scraper asked for (Prometheus text unless it asks
        for OpenMetrics), and that format's media type."""
        encode, media_type = choose_encoder(accept)
        return encode(self._exposed), media_type
