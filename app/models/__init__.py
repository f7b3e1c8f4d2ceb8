"""All models in one package: the resources link to each other."""

from app.models.api_key import ApiKey
from app.models.audit import AuditEntry
from app.models.base import Base
from app.models.caution import Caution
from app.models.condition import Condition
from app.models.finding import Finding
from app.models.import_job import ImportJob
from app.models.search_entry import SearchEntry
from app.models.side_effect import SideEffect, SideEffectReport
from app.models.source import Source
from app.models.study import Study, StudyAuthor
from app.models.treatment import Treatment, TreatmentAlias, TreatmentComponent

# Ids are part of the API: on SQLite, AUTOINCREMENT keeps a deleted row's id from being
# handed to a new one (PostgreSQL sequences never reuse ids anyway).
for _table in Base.metadata.tables.values():
    if len(_table.primary_key.columns) == 1:
        _table.dialect_options["sqlite"]["autoincrement"] = True

__all__ = [
    "ApiKey",
    "AuditEntry",
    "ImportJob",
    "SearchEntry",
    "Base",
    "Caution",
    "Condition",
    "Finding",
    "SideEffect",
    "SideEffectReport",
    "Source",
    "Study",
    "StudyAuthor",
    "Treatment",
    "TreatmentAlias",
    "TreatmentComponent",
]
