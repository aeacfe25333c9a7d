"""Field types the YAML models share (rule selections, silences, routes): a value people may
write as one item or as a list, and how their patterns match."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator


def one_or_many(raw: Any) -> Any:
    """`measures: cp-visits` is one, a list is many, nothing is none (the rest is validated
    as the field's type)."""
    if raw is None:
        return ()
    return (raw,) if isinstance(raw, str) else raw


def _each_one_or_many(raw: Any) -> Any:
    if isinstance(raw, Mapping):
        return {str(k): tuple(str(v) for v in one_or_many(value)) for k, value in raw.items()}
    return raw


OneOrMany = Annotated[tuple[str, ...], BeforeValidator(one_or_many)]
"""Strings given as one or a list: `areas: Stroud` or `areas: [Stroud, Cotswolds]`."""

LabelValues = Annotated[Mapping[str, tuple[str, ...]], BeforeValidator(_each_one_or_many)]
"""Label names to one value or a list of values (each kept as text): `team: [A, B]`."""


def globs_match(value: str | None, patterns: Iterable[str]) -> bool:
    """Does a value match any of the patterns (globs, ignoring case)? Nothing matches no value.
    Rule selections, silences and routes all match this way (and validate's lint with them)."""
    if value is None:
        return False
    folded = value.casefold()
    return any(fnmatch.fnmatchcase(folded, p.casefold()) for p in patterns)
