"""Applying field values to a model and saying exactly what changed."""

from collections.abc import Mapping
from typing import Any

Change = tuple[Any, Any]


def apply_changes(target: object, values: Mapping[str, Any]) -> dict[str, Change]:
    """Set each differing attribute; return ``{field: (old, new)}`` for the ones that changed."""
    changed: dict[str, Change] = {}
    for name, new in values.items():
        old = getattr(target, name)
        if old != new:
            setattr(target, name, new)
            changed[name] = (old, new)
    return changed


def fill_empty(
    target: object, values: Mapping[str, Any]
) -> tuple[dict[str, Change], dict[str, Change]]:
    """Fill only empty attributes; never blank a stored value.

    Returns the filled fields and the conflicts (stored and incoming values that differ).
    """
    filled: dict[str, Change] = {}
    conflicts: dict[str, Change] = {}
    for name, new in values.items():
        if _empty(new):
            continue
        old = getattr(target, name)
        if _empty(old):
            setattr(target, name, new)
            filled[name] = (old, new)
        elif old != new:
            conflicts[name] = (old, new)
    return filled, conflicts


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == ""


def differences(target: object, values: Mapping[str, Any]) -> dict[str, Change]:
    """Incoming non-empty values that differ from what is stored, without changing anything."""
    return {
        name: (getattr(target, name), new)
        for name, new in values.items()
        if not _empty(new) and getattr(target, name) != new
    }
