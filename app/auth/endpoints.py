from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.auth import keys
from app.auth.dependencies import AdminDep
from app.auth.schemas import KeyCreate, KeyCreated, KeyRead
from app.db import SessionDep
from app.errors import problem_responses
from app.responses import created_response, json_response

router = APIRouter(prefix="/v1/keys", tags=["keys"])


def _read(info: keys.KeyInfo) -> KeyRead:
    return KeyRead(
        name=info.name,
        scope=info.scope,
        prefix=info.prefix,
        created_at=info.created_at,
        revoked_at=info.revoked_at,
    )


@router.post(
    "", status_code=201, response_model=KeyCreated, responses=problem_responses(401, 403, 409, 422)
)
async def create_key(
    request: Request, session: SessionDep, actor: AdminDep, data: KeyCreate
) -> Response:
    """Create a key (needs an `admin` key). The response is the only time it is shown."""
    secret = await keys.create_key(session, data.name, data.scope)
    info = await keys.key_info(session, data.name)
    created = KeyCreated(**_read(info).model_dump(), key=secret)
    # A name is free text; a header carries only ASCII, and the name is one path segment.
    response = created_response(request, created, f"/v1/keys/{quote(data.name, safe='')}")
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("", response_model=list[KeyRead], responses=problem_responses(401, 403, 422))
async def list_keys(request: Request, session: SessionDep, actor: AdminDep) -> Response:
    """Every key's name, scope and state (needs an `admin` key); never the keys themselves."""
    return json_response(
        request, [_read(info).model_dump(mode="json") for info in await keys.list_keys(session)]
    )


@router.delete("/{name}", status_code=204, responses=problem_responses(401, 403, 404, 422))
async def revoke_key(session: SessionDep, actor: AdminDep, name: str) -> Response:
    """Revoke a key at once (needs an `admin` key)."""
    await keys.revoke_key(session, name)
    return Response(status_code=204)
