"""The ASGI entry point uvicorn serves: ``uvicorn app.asgi:app``."""

import gc

from app.config import get_settings
from app.logs import configure_logging
from app.main import create_app

configure_logging(get_settings().log_level)
app = create_app()

# Everything imported so far lives as long as the process. Frozen, it is no longer traversed
# by every full collection: those pauses made the slowest 1% of study reads 170 ms instead
# of 30 ms (bench/README.md).
gc.freeze()
gc.set_threshold(50_000, 20, 10)
