"""The API's documentation page, served with no CDN: Swagger UI comes from the
fastapi-offline package's copy, its start-up script from our own static folder, so the
content security policy needs neither a third-party host nor 'unsafe-inline'. There is no
/redoc: ReDoc injects inline styles, which that policy refuses."""

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

from app.pages.rendering import render
from app.pages.templating import STATIC

# Swagger UI 5 as released (Apache-2.0), kept current by that package's releases.
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    return render(request, "docs/swagger.html", openapi_url=request.app.openapi_url)


def mount_static(app: FastAPI) -> None:
    # The more specific mount first: /static would otherwise swallow /static/docs.
    app.mount("/static/docs", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
