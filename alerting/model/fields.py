"""Field types the YAML models share (rule selections, silences, routes): a value people may
write as one item or as a list, and how their patterns match."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BeforeValidator

_Match = Callable[[str], "re.Match[str] | None"]


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
    exact, globs = _compiled(patterns if isinstance(patterns, tuple) else tuple(patterns))
    folded = value.casefold()
    return folded in exact or any(match(folded) is not None for match in globs)


@lru_cache(maxsize=4096)
def _compiled(patterns: tuple[str, ...]) -> tuple[frozenset[str], tuple[_Match, ...]]:
    """Patterns folded once: those without a wildcard are compared as text (fnmatch would
    match them only to themselves), the rest compiled as fnmatchcase compiles them."""
    exact: set[str] = set()
    globs: list[_Match] = []
    for pattern in patterns:
        folded = pattern.casefold()
        if any(c in folded for c in "*?["):
            globs.append(re.compile(fnmatch.translate(folded)).match)
        else:
            exact.add(folded)
    return frozenset(exact), tuple(globs)
