"""Observation values per (measure, area, period): drawn around target, some made to
decline at the end and some to breach tolerance, so every rule type has work to do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from benchmarks.generate.areas import Areas
from benchmarks.generate.catalogue import MeasureSpec
from benchmarks.generate.scales import BoolArray, FloatArray, IntArray


@dataclass(frozen=True)
class Series:
    """Observation values (measure, area, period) before formatting."""

    value: FloatArray  # (M, A, T)
    target: FloatArray  # (M, T); nan where the measure has no target
    missing: BoolArray  # (M, A, T)


def _resolution(units: Sequence[str]) -> FloatArray:
    return np.asarray([1.0 if u in {"count", "days"} else 0.1 for u in units])


def make_series(rng: np.random.Generator, specs: Sequence[MeasureSpec], areas: Areas,
                fy: IntArray) -> Series:
    """Values drawn as a standardised distance from target z (1 = one tolerance), with trend and
    AR(1) noise; then some series are made to decline at the end, others to breach tolerance."""
    m_count, a_count, t_count = len(specs), len(areas.names), len(fy)
    polarity = [s.topic.polarity for s in specs]
    units = [s.topic.unit for s in specs]
    is_none = np.asarray([p == "none" for p in polarity])[:, None, None]
    good = np.asarray([-1.0 if p == "smaller_is_better" else 1.0 for p in polarity])
    target = (np.asarray([s.target for s in specs])[:, None]
              + np.asarray([s.target_step for s in specs])[:, None] * (fy - fy[0])[None, :])
    target = np.where(np.asarray([u == "percent" for u in units])[:, None],
                      np.clip(target, 0, 100), target)
    absolute = np.zeros(m_count)
    relative = np.zeros(m_count)
    for i, spec in enumerate(specs):
        kind, _, amount = (spec.tolerance or "relative: 0%").partition(": ")
        if kind == "absolute":
            absolute[i] = float(amount)
        else:
            relative[i] = float(amount.rstrip("%")) / 100
    tolerance = absolute[:, None] + relative[:, None] * np.abs(target)  # (M, T)
    volume = np.asarray([s.target for s in specs])[:, None] * areas.size[None, :]  # (M, A)
    # Volumes move by about 5% per unit of z.
    tol = np.where(is_none, 0.05 * volume[:, :, None], tolerance[:, None, :])  # (M, A, T)

    mean = np.where(is_none[:, :, 0], 0.0, np.where(
        np.asarray([p == "plan_is_best" for p in polarity])[:, None], 0.0, 0.6))
    z = rng.normal(mean, 1.0, (m_count, a_count))[:, :, None] + rng.normal(
        0, 0.01, (m_count, a_count))[:, :, None] * (np.arange(t_count) - (t_count - 1))
    noise = np.zeros((m_count, a_count))
    for t in range(t_count):
        noise = 0.6 * noise + rng.normal(0.0, 0.35, (m_count, a_count))
        z[:, :, t] += noise
    value = np.where(is_none, volume[:, :, None] + z * tol,
                     target[:, None, :] + good[:, None, None] * z * tol)
    value = _clip(value, units)

    res = _resolution(units)
    flat, flat_tol = value.reshape(-1, t_count), tol.reshape(-1, t_count)
    flat_target = np.broadcast_to(target[:, None, :], value.shape).reshape(-1, t_count)
    series_res = np.repeat(res, a_count)
    series_pol = np.repeat(np.asarray(polarity), a_count)
    declining = rng.random(flat.shape[0]) < 0.10
    declining[0] = True  # the first measure is bigger-is-better: one decline is guaranteed
    breaching = (rng.random(flat.shape[0]) < 0.08) & ~declining & (series_pol != "none")
    if m_count > 1:
        breaching[a_count] = True  # and the second measure's first area breaches tolerance
    _decline(rng, flat, flat_tol, flat_target, series_res, series_pol, declining)
    _breach(rng, flat, flat_tol, flat_target, series_res, series_pol, breaching)
    value = _clip(flat.reshape(value.shape), units)
    value = np.where(res[:, None, None] >= 1, np.rint(value), np.round(value, 1))

    missing = rng.random(value.shape) < 0.01
    protected = (declining | breaching).reshape(m_count, a_count)
    missing[:, :, -7:] &= ~protected[:, :, None]
    target = np.where(is_none[:, :, 0], np.nan, target)
    return Series(value, target, missing)


def _clip(value: FloatArray, units: Sequence[str]) -> FloatArray:
    upper = np.asarray([100.0 if u == "percent" else np.inf for u in units])[:, None, None]
    return np.clip(value, 0.0, upper)


def _bad_direction(flat: FloatArray, target: FloatArray, pol: npt.NDArray[np.str_],
                   column: IntArray, rng: np.random.Generator) -> FloatArray:
    """+1 or -1 per series: the direction a worse value moves in."""
    rows = np.arange(flat.shape[0])
    away = np.sign(flat[rows, column] - target[rows, column])
    away = np.where(away == 0, rng.choice([-1.0, 1.0], flat.shape[0]), away)
    return np.select([pol == "bigger_is_better", pol == "plan_is_best"], [-1.0, away], 1.0)


def _decline(rng: np.random.Generator, flat: FloatArray, tol: FloatArray, target: FloatArray,
             res: FloatArray, pol: npt.NDArray[np.str_], chosen: BoolArray) -> None:
    """The last 3-5 steps of the chosen series each worse by at least two rounding units."""
    t_count = flat.shape[1]
    run = rng.integers(3, 6, flat.shape[0])
    start = t_count - 1 - run
    direction = _bad_direction(flat, target, pol, start, rng)
    for j in range(1, 6):
        rows = np.flatnonzero(chosen & (run >= j))
        col = start[rows] + j
        step = np.maximum(rng.uniform(0.3, 0.8, rows.size) * tol[rows, col], 2 * res[rows])
        flat[rows, col] = flat[rows, col - 1] + direction[rows] * step


def _breach(rng: np.random.Generator, flat: FloatArray, tol: FloatArray, target: FloatArray,
            res: FloatArray, pol: npt.NDArray[np.str_], chosen: BoolArray) -> None:
    """The latest value of the chosen series beyond tolerance, clear of rounding."""
    last = flat.shape[1] - 1
    rows = np.flatnonzero(chosen)
    direction = _bad_direction(flat, target, pol, np.full(flat.shape[0], last), rng)[rows]
    size = np.maximum(rng.uniform(1.5, 2.5, rows.size) * tol[rows, last],
                      tol[rows, last] + 2 * res[rows])
    flat[rows, last] = target[rows, last] + direction * size
