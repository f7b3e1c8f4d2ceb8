"""Rate limits on writes and imports, per client address and per API key.

Counted by the ``limits`` library in a moving window, in the memory of each serving
process: with several workers a client can reach the limit once per worker.
"""

import math
import time
from dataclasses import dataclass

from fastapi import Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from app.config import Settings
from app.errors import ProblemError


class TooManyRequests(ProblemError):
    status = 429
    title = "Too many requests"


@dataclass(frozen=True, slots=True)
class Limits:
    writes: RateLimitItem
    imports: RateLimitItem
    limiter: MovingWindowRateLimiter

    @classmethod
    def from_settings(cls, settings: Settings) -> "Limits":
        return cls(
            writes=parse(settings.rate_limit_writes),
            imports=parse(settings.rate_limit_imports),
            limiter=MovingWindowRateLimiter(MemoryStorage()),
        )

    def check(self, item: RateLimitItem, scope: str, kind: str, who: str) -> None:
        """Count one ``scope`` request (write or import) by this client address or key;
        refuse it (429) once over the limit."""
        identity = f"{scope}:{kind}:{who}"
        if not self.limiter.hit(item, identity):
            reset = self.limiter.get_window_stats(item, identity).reset_time
            wait = max(1, math.ceil(reset - time.time()))
            raise TooManyRequests(
                f"more than {item} {scope}s from this {kind}; retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )


def count_request(request: Request, key_id: int | None = None) -> None:
    """Count an operation that needs a key: by client address before the key is checked
    (so guessing keys is throttled too), by key once it is known. Imports count apart."""
    limits: Limits = request.app.state.limits
    is_import = request.url.path.rstrip("/") == "/v1/imports" and request.method == "POST"
    item, scope = (limits.imports, "import") if is_import else (limits.writes, "write")
    if key_id is None:
        address = request.client.host if request.client else "unknown"
        limits.check(item, scope, "address", address)
    else:
        limits.check(item, scope, "key", str(key_id))
