from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.models.enums import AuditAction


class FieldChange(BaseModel):
    old: Any = Field(alias="from", serialization_alias="from")
    new: Any = Field(alias="to", serialization_alias="to")


class AuditEntryRead(BaseModel):
    id: int
    resource: str
    resource_id: int
    action: AuditAction
    actor: str = Field(description="The API key's name, or 'command line'.")
    at: datetime
    changes: dict[str, FieldChange] = Field(
        description="Each changed field's old and new value; on create every field set, on "
        "delete every field the resource had."
    )
