"""Parsed observation columns handed to the store: codes turned back into stored values.

`columns.py` keeps each column as codes of its distinct texts; a batch for the store is,
per column, one `take` (in C) from an Arrow array of each code's stored value, or (measures
and areas, which the store turns into series keys) a dictionary array with no text per row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from alerting.model.periods import Period
from alerting.store.batches import ObservationColumns

if TYPE_CHECKING:
    from alerting.loading.columns import ObservationTable

IntArray = npt.NDArray[np.int64]
ObjArray = npt.NDArray[np.object_]


class StoredColumns:
    """Turns codes back into stored values: per column, an Arrow array from text code to
    value, so a batch's column is one `take` (in C) rather than a Python list."""

    _TYPES: ClassVar[dict[str, pa.DataType]] = {
        "measure_id": pa.string(), "area": pa.string(), "period_end": pa.date32(),
        "period_kind": pa.string(), "value": pa.float64(), "raw_value": pa.string(),
        "target": pa.float64(), "numerator": pa.float64(), "denominator": pa.float64(),
        "commentary": pa.string(),
    }

    _ENCODED = frozenset({"measure_id", "area"})  # handed over dictionary-encoded

    def __init__(self, table: ObservationTable):
        self.table = table
        self.by_text: dict[str, pa.Array] = {}
        for name, part in (("measure_id", None), ("area", None), ("value", 0), ("target", None),
                           ("numerator", None), ("denominator", None), ("commentary", None)):
            self._add(name, name, part)
        self._add("period_end", "period", "end")
        self._add("period_kind", "period", "kind")
        self._add("raw_value", "value", 1)
        self.comparator_json: dict[tuple[int, ...], str | None] = {}

    def _add(self, name: str, column_name: str, part: int | str | None) -> None:
        column = self.table.column(column_name)
        if column is None:
            return
        values = [_part(v, part) for v in column.values]
        # a rejected text (value code -1) picks the None at the end; no saved row has one
        by_text = _objects([*values, None])[column.value_code]
        self.by_text[name] = pa.array(by_text.tolist(), type=self._TYPES[name])

    def batch(self, codes: list[IntArray]) -> ObservationColumns:
        position = self.table.layout.position

        def values(name: str, column: str | None = None) -> pa.Array | None:
            if name not in self.by_text:
                return None
            at = pa.array(codes[position[column or name]])
            if name in self._ENCODED:  # the store keys by them: no text per row needed
                return pa.DictionaryArray.from_arrays(at, self.by_text[name])
            return self.by_text[name].take(at)

        def required(name: str, column: str | None = None) -> pa.Array:
            found = values(name, column)
            return pa.nulls(len(codes[0]), self._TYPES[name]) if found is None else found

        return ObservationColumns(
            measure_id=required("measure_id"), area=required("area"),
            period_end=required("period_end", "period"),
            period_kind=required("period_kind", "period"),
            value=required("value"), raw_value=required("raw_value", "value"),
            target=values("target"), numerator=values("numerator"),
            denominator=values("denominator"), commentary=values("commentary"),
            comparators=self._comparators(codes),
        )

    def _comparators(self, codes: list[IntArray]) -> list[str | None] | None:
        """Each row's comparators as JSON, built once per distinct combination."""
        names = sorted(self.table.layout.comparators)
        if not names:
            return None
        columns = [self.table.columns[self.table.layout.position[n]] for n in names]
        combos = zip(*(c.value_code[codes[self.table.layout.position[n]]].tolist()
                       for n, c in zip(names, columns, strict=True)), strict=True)
        built = self.comparator_json
        result: list[str | None] = []
        for combo in combos:
            if combo not in built:
                found = {n: c.values[code] for n, c, code in zip(names, columns, combo,
                                                                 strict=True)}
                numbers = {n: v for n, v in found.items() if v is not None}
                built[combo] = json.dumps(numbers) if numbers else None
            result.append(built[combo])
        return result


def _part(value: Any, part: int | str | None) -> Any:
    if part is None:
        return value
    if isinstance(part, int):
        return value[part]
    period: Period = value
    return period.end if part == "end" else period.kind.value


def _objects(values: Sequence[Any]) -> ObjArray:
    array = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        array[i] = value
    return array
