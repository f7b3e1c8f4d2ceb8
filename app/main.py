"""The application: routers, error handlers, CORS, and the engine's lifetime."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth.endpoints import router as keys_router
from app.auth.limits import Limits
from app.cautions.endpoints import router as cautions_router
from app.conditions.endpoints import router as conditions_router
from app.config import Settings, get_settings
from app.db import create_engine, create_sessionmaker
from app.errors import install_error_handlers
from app.evidence.endpoints import router as evidence_router
from app.findings.endpoints import router as findings_router
from app.health.endpoints import router as health_router
from app.history.endpoints import router as history_router
from app.imports.endpoints import router as imports_router
from app.middleware import HeadAsGet, RefuseNul, RequestContext
from app.reads import create_reader
from app.search.endpoints import router as search_router
from app.side_effects.endpoints import reports_router as side_effect_reports_router
from app.side_effects.endpoints import router as side_effects_router
from app.sources.endpoints import router as sources_router
from app.studies.endpoints import router as studies_router
from app.treatments.endpoints import router as treatments_router

DESCRIPTION = """
Evidence for hair-loss treatments: treatments, conditions, studies, findings, side effects,
sources and cautions as linked resources. Every finding carries its source's verbatim words.

* Lists return `{"data": [...], "next_cursor": ...}`; pass `cursor` for the next page
  (also given in the `Link` header) and `count=true` for a `total`.
* Detail endpoints accept `expand=` to embed related resources.
* GET responses carry an `ETag`; send it back in `If-None-Match` to get `304`.
* Errors are `application/problem+json` (RFC 9457).
"""


def create_app(settings: Settings | None = None, engine: AsyncEngine | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = engine is None
        app.state.engine = engine or create_engine(settings)
        app.state.sessionmaker = create_sessionmaker(app.state.engine)
        app.state.reader = create_reader(app.state.engine)
        yield
        app.state.reader.close()
        if owned:
            await app.state.engine.dispose()

    app = FastAPI(
        title="Hair-loss evidence API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.limits = Limits.from_settings(settings)
    install_error_handlers(app)
    app.add_middleware(RefuseNul)
    app.add_middleware(HeadAsGet)
    app.add_middleware(RequestContext, log_requests=settings.access_log)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
            expose_headers=["ETag", "Link", "Location"],
        )
    for router in (
        search_router,
        evidence_router,
        treatments_router,
        conditions_router,
        studies_router,
        findings_router,
        side_effects_router,
        side_effect_reports_router,
        sources_router,
        cautions_router,
        imports_router,
        keys_router,
        history_router,
        health_router,
    ):
        app.include_router(router)
    return app
