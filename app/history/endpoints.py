"""``GET /v1/{resource}/{key}/history`` for every resource that can be written."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.db import SessionDep
from app.errors import problem_responses
from app.history.schemas import AuditEntryRead
from app.history.service import list_history
from app.pagination import Page, PageDep, link_header
from app.responses import json_response

router = APIRouter(prefix="/v1", tags=["history"])

# URL segment -> the path parameter's name in the docs.
RESOURCES = {
    "treatments": "slug",
    "conditions": "slug",
    "studies": "id",
    "findings": "id",
    "side-effects": "slug",
    "side-effect-reports": "id",
    "sources": "id",
    "cautions": "id",
}


def _route(resource: str, key_name: str) -> None:
    async def history(request: Request, session: SessionDep, page: PageDep, key: str) -> Response:
        result = await list_history(session, resource, key, page)
        return json_response(request, result, headers=link_header(request, result.next_cursor))

    history.__doc__ = (
        f"Every write to one of the {resource.replace('-', ' ')}, oldest first: which key, "
        "when, and each field's old and new value. Kept after the resource is deleted."
    )
    router.add_api_route(
        f"/{resource}/{{key}}/history",
        history,
        methods=["GET"],
        response_model=Page[AuditEntryRead],
        responses=problem_responses(404, 422),
        name=f"{resource}_history",
        summary=f"History of one of the {resource.replace('-', ' ')} (by {key_name})",
    )


for _resource, _key_name in RESOURCES.items():
    _route(_resource, _key_name)
