"""Route dependencies: reads are public, writes need a bearer key with the right scope."""

from typing import Annotated

from fastapi import Depends, Request

from app.auth.keys import Actor, authenticate
from app.auth.limits import count_request
from app.db import SessionDep
from app.errors import ProblemError
from app.models.enums import KeyScope

REALM = 'Bearer realm="hair-evidence"'


class Unauthenticated(ProblemError):
    status = 401
    title = "Unauthorized"


class Forbidden(ProblemError):
    status = 403
    title = "Forbidden"


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


def require(scope: KeyScope) -> object:
    async def dependency(request: Request, session: SessionDep) -> Actor:
        count_request(request)
        presented = _bearer(request)
        if presented is None:
            raise Unauthenticated(
                "this operation needs an API key: send Authorization: Bearer <key>",
                headers={"WWW-Authenticate": REALM},
            )
        actor = await authenticate(session, presented)
        if actor is None:
            raise Unauthenticated(
                "the API key is unknown or revoked",
                headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
            )
        if not actor.allows(scope):
            raise Forbidden(
                f"this operation needs a key with the {scope.value!r} scope",
                headers={
                    "WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'
                },
            )
        count_request(request, actor.key_id)
        return actor

    return Depends(dependency)


WriterDep = Annotated[Actor, require(KeyScope.write)]
AdminDep = Annotated[Actor, require(KeyScope.admin)]
