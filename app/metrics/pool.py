"""The database pool's gauges, read when Prometheus scrapes."""

from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

_GAUGES = {
    "size": "Connections the pool keeps open.",
    "checked_in": "Open connections idle in the pool.",
    "checked_out": "Connections in use by a request or job.",
    "overflow": "Connections open beyond the pool's size.",
}


class PoolCollector(Collector):
    """Read at scrape time rather than kept current: the pool already counts, and a request
    should not pay for gauges nobody has asked for yet."""

    def __init__(self, engine: Callable[[], AsyncEngine | None]) -> None:
        self._engine = engine  # the engine exists only once the application has started

    def describe(self) -> Iterator[GaugeMetricFamily]:
        for name, documentation in _GAUGES.items():
            yield GaugeMetricFamily(f"hair_evidence_db_pool_{name}", documentation)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        engine = self._engine()
        pool = engine.pool if engine is not None else None
        # Only a QueuePool counts its connections; an in-memory SQLite database's StaticPool
        # (or a NullPool) has nothing to report.
        if not isinstance(pool, QueuePool):
            return
        values = {
            "size": pool.size(),
            "checked_in": pool.checkedin(),
            "checked_out": pool.checkedout(),
            # Negative while fewer connections than the pool's size have been opened.
            "overflow": max(pool.overflow(), 0),
        }
        for name, documentation in _GAUGES.items():
            yield GaugeMetricFamily(
                f"hair_evidence_db_pool_{name}", documentation, value=values[name]
            )
