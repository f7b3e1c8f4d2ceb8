"""Alembic, driven from code so that `hair-evidence db ...` works from any directory."""

from alembic import command
from alembic.config import Config

from app.config import get_settings
from app.db import async_url
from app.resources import resource_dir

# Full-text structures the migration creates by hand, per engine, that the models cannot
# describe: autogenerate must neither drop nor recreate them.
_ENGINE_OWNED_TABLES = ("search_fts",)
_ENGINE_OWNED = {("column", "document"), ("index", "ix_search_entries_document")}


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    if type_ == "table" and name is not None and name.startswith(_ENGINE_OWNED_TABLES):
        return False
    return (type_, name) not in _ENGINE_OWNED


def alembic_config(database_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    url = async_url(database_url or get_settings().database_url)
    # Alembic's ini interpolation treats % specially.
    config.set_main_option(
        "sqlalchemy.url", url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(revision: str = "head", database_url: str | None = None) -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(revision: str = "base", database_url: str | None = None) -> None:
    command.downgrade(alembic_config(database_url), revision)
