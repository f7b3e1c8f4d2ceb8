"""The ``expand=`` parameter: which related resources a detail response embeds."""

from typing import Any

from pydantic import BaseModel, SerializationInfo, SerializerFunctionWrapHandler, model_serializer

from app.errors import InvalidParameter


def parse_expand(value: str | None, allowed: frozenset[str]) -> frozenset[str]:
    if not value:
        return frozenset()
    wanted = frozenset(part.strip() for part in value.split(",") if part.strip())
    unknown = sorted(wanted - allowed)
    if unknown:
        raise InvalidParameter(
            "expand",
            f"cannot expand {', '.join(unknown)}; choose from {', '.join(sorted(allowed))}",
        )
    return wanted


class Expandable(BaseModel):
    """A detail schema whose expandable fields are left out unless they were expanded."""

    @model_serializer(mode="wrap")
    def _omit_unexpanded(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for name in type(self).__pydantic_fields__:
            if name in data and data[name] is None and name in EXPANDABLE_FIELDS:
                del data[name]
        return data


EXPANDABLE_FIELDS = frozenset({"studies", "findings", "side_effects", "cautions"})
