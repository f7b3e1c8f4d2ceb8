"""Datasette as an ASGI app, so that uvicorn can serve it without an access log.

    BENCH_DATASETTE_DB=bench/data/bench-10000.db uvicorn bench.datasette_app:app --no-access-log

``datasette serve -i FILE`` runs the same ``Datasette(...).app()`` under uvicorn with access
logging on and no switch to turn it off. The file is opened immutable (``-i``: no locking, no
change detection, table counts computed once). ``BENCH_DATASETTE_METADATA`` names a metadata
JSON file (used to point table search at the FTS5 index); ``BENCH_DATASETTE_SETTINGS`` is a
JSON object of ``--setting`` values.
"""

import json
import os
from pathlib import Path
from typing import Any

from datasette.app import Datasette

_DB = os.environ["BENCH_DATASETTE_DB"]
_METADATA = os.environ.get("BENCH_DATASETTE_METADATA")
_SETTINGS: dict[str, Any] = json.loads(os.environ.get("BENCH_DATASETTE_SETTINGS", "{}"))

datasette = Datasette(
    [],
    immutables=[_DB],
    metadata=json.loads(Path(_METADATA).read_text()) if _METADATA else None,
    settings=_SETTINGS,
)
app = datasette.app()
