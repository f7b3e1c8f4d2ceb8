"""The Jinja2 environment for the pages: autoescaped, with a few filters for labels and links."""

from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def label(value: Any) -> str:
    """An enum value as words: ``randomized_trial`` -> ``Randomized trial``."""
    if value is None:
        return "not stated"
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


def authors(people: list[Any]) -> str:
    return ", ".join(f"{p.family} {p.given}".strip() if p.given else p.family for p in people)


def snippet(text: str) -> Markup:
    # The search service escapes the text itself and adds only <mark> around matches.
    return Markup(text)


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt field fails a test instead of showing nothing
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(label=label, authors=authors, snippet=snippet)
    return environment


templates = Jinja2Templates(env=_environment())
