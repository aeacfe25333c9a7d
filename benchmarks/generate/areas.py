"""Invented authorities and their localities, with sizes that scale their volumes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from benchmarks.generate.scales import FloatArray, Scale

# Invented place names: 17 prefixes x 9 suffixes; i -> (i % 17, i % 9) gives 153 distinct names.
_PREFIXES = ("Ash", "Birch", "Bram", "Cal", "Dun", "Elm", "Fern", "Glen", "Hol", "Kes", "Lin",
             "Mar", "Nor", "Oak", "Pen", "Rook", "Wil")
_SUFFIXES = ("dale", "ford", "field", "borough", "ton", "wick", "mouth", "bury", "shire")
LOCALITIES = ("North", "South", "East", "West", "Central", "Rural", "Other")


def authority_names(count: int) -> list[str]:
    limit = len(_PREFIXES) * len(_SUFFIXES)
    if count > limit:
        raise ValueError(f"at most {limit} authorities can be named, asked for {count}")
    return [_PREFIXES[i % len(_PREFIXES)] + _SUFFIXES[i % len(_SUFFIXES)] for i in range(count)]


@dataclass(frozen=True)
class Areas:
    names: list[str]
    size: FloatArray  # per area, volumes relative to an average authority
    authority_size: FloatArray  # per authority, the same


def make_areas(rng: np.random.Generator, scale: Scale, authorities: Sequence[str]) -> Areas:
    sizes = rng.lognormal(0.0, 0.4, len(authorities))
    names: list[str] = []
    size: list[float] = []
    for a, authority in enumerate(authorities):
        names.append(authority)
        size.append(float(sizes[a]))
        shares: Sequence[float] = (rng.dirichlet(np.full(scale.localities, 8.0)).tolist()
                                   if scale.localities else [])
        for locality, share in zip(LOCALITIES[:scale.localities], shares, strict=True):
            names.append(f"{authority} {locality}")
            size.append(float(sizes[a] * share))
    return Areas(names, np.asarray(size), sizes)
