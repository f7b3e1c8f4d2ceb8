"""API keys: created and revoked from the command line, stored only as hashes."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ProblemError, ResourceNotFound
from app.models import ApiKey
from app.models.base import utcnow
from app.models.enums import KeyScope

_TAG = "hek"


class KeyConflict(ProblemError):
    status = 409
    title = "Conflict"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is writing: a key, or the command line (which has the run of its own database)."""

    key_id: int | None
    name: str
    scope: KeyScope

    def allows(self, needed: KeyScope) -> bool:
        return self.scope is KeyScope.admin or self.scope is needed


COMMAND_LINE = Actor(key_id=None, name="command line", scope=KeyScope.admin)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    name: str
    scope: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_key(session: AsyncSession, name: str, scope: KeyScope) -> str:
    """Store a new key and return it; this is the only time the whole key is seen."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    session.add(ApiKey(name=name, prefix=prefix, secret_hash=_hash(secret), scope=scope.value))
    try:
        await session.flush()
    except IntegrityError:
        raise KeyConflict(f"a key named {name!r} already exists") from None
    return f"{_TAG}_{prefix}_{secret}"


def _info(key: ApiKey) -> KeyInfo:
    return KeyInfo(key.name, key.scope, key.prefix, key.created_at, key.revoked_at)


async def list_keys(session: AsyncSession) -> list[KeyInfo]:
    return [_info(key) for key in await session.scalars(select(ApiKey).order_by(ApiKey.name))]


async def key_info(session: AsyncSession, name: str) -> KeyInfo:
    key = await session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        raise ResourceNotFound(f"no key is named {name!r}")
    return _info(key)


async def revoke_key(session: AsyncSession, name: str) -> None:
    key = await session.scalar(select(ApiKey).where(ApiKey.name == name))
    if key is None:
        raise ResourceNotFound(f"no key is named {name!r}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()


async def authenticate(session: AsyncSession, presented: str) -> Actor | None:
    """The actor a presented key stands for, or None if it is unknown, wrong or revoked."""
    tag, _, rest = presented.partition("_")
    prefix, _, secret = rest.partition("_")
    if tag != _TAG or not prefix or not secret:
        return None
    row = (
        await session.execute(
            select(
                ApiKey.id, ApiKey.name, ApiKey.scope, ApiKey.secret_hash, ApiKey.revoked_at
            ).where(ApiKey.prefix == prefix)
        )
    ).first()
    # Compare even when no row matched, so timing does not reveal which prefixes exist.
    stored = row.secret_hash if row is not None else _hash("")
    matches = hmac.compare_digest(stored, _hash(secret))
    if row is None or not matches or row.revoked_at is not None:
        return None
    return Actor(key_id=row.id, name=row.name, scope=KeyScope(row.scope))
