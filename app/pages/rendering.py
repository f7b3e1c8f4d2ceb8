"""Page routes answer HTML, errors included: a clinician following a stale link should see a
page that says what went wrong, not a problem+json document."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import HTMLResponse, Response

from app.errors import ProblemError
from app.pages.templating import templates


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def _error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    return render(request, "error.html", status, title=title, detail=detail, status=status)


class PageRoute(APIRoute):
    """An APIRoute whose domain and validation errors become an HTML page of that status."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except ProblemError as error:
                if error.status >= 500:
                    raise  # outages keep their one handler and its Retry-After
                return _error_page(request, error.status, error.title, error.detail)
            except RequestValidationError as error:
                fields = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}" for e in error.errors()
                )
                return _error_page(request, 422, "Invalid request", fields)

        return answer
