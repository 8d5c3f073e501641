"""A note's YAML front matter: how it is read, and the small conversions its fields need."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class FrontMatterLoader(yaml.SafeLoader):
    """YAML's safe loader with dates left as text, so they are validated here with their line."""


def _date_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(node.value)


FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _date_as_text)


def line_of(text: str, key: str) -> int:
    """The 1-based line of `key:` in a note file (1 when absent)."""
    match = re.search(rf"^{re.escape(key)}\s*:", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def as_list(value: Any) -> list[str]:
    """A front-matter value as a list of non-empty strings (one string is a list of one)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [str(value)]


def as_date(value: Any) -> str:
    """A front-matter date as text (YYYY-MM-DD when YAML read a date)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value or "").strip()


def is_iso_date(text: str) -> bool:
    """True for a real calendar date written YYYY-MM-DD."""
    if not _ISO_DATE.fullmatch(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def as_phrases(value: Any) -> list[str]:
    """The phrases of a list such as `disclaimer: [advertising rules]`; empty unless it is a list of non-empty strings."""
    if not isinstance(value, list) or not value:
        return []
    if not all(isinstance(v, str) and v.strip() for v in value):
        return []
    return [v.strip() for v in value]
