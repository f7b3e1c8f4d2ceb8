from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.fields import Label
from app.models.enums import KeyScope


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Label
    scope: KeyScope = KeyScope.write


class KeyRead(BaseModel):
    name: str
    scope: KeyScope
    prefix: str = Field(description="The key's public part, to tell keys apart.")
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(KeyRead):
    key: str = Field(description="The whole key. Shown this once; only a hash is stored.")
