from fastapi import APIRouter, Request
from starlette.responses import Response

from app.metrics.instruments import Metrics

router = APIRouter(tags=["metrics"])


# Left out of the OpenAPI document: it is for Prometheus, not for the API's clients.
@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus metrics: requests per route, imports, the database pool."""
    recorder: Metrics = request.app.state.metrics
    body, media_type = recorder.exposition(request.headers.get("accept", ""))
    return Response(body, media_type=media_type)
