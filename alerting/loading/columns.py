"""Observations from a CSV file, parsed a column at a time (large files: issue 5).

The row path builds a dict and a record per row. This path takes the rows a batch at a time,
turns each column into codes of its distinct texts, and parses each distinct text once with
the row path's own cell parsers (`contract.py`). A scorecard has few distinct measures, areas,
periods and values, so a million rows cost a few thousand parses and a lookup per cell. A row
with a cell those parsers reject (or a blank row, or one with too few or too many cells) goes
through the row parser, which rejects it with the same line and reason as the row path, or
loads it. Only codes are kept between batches, so memory stays small.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from alerting.loading.arrow_csv import FIRST_DATA_LINE, PlainColumns, read_plain_csv
from alerting.loading.column_output import StoredColumns
from alerting.loading.contract import (
    RowError,
    TableKind,
    canonical_header,
    comparator_cell,
    number_cell,
    parse_observation,
    period_cell,
    repeat_reason,
    required_cell,
    text_cell,
    value_cell,
)
from alerting.loading.sources import CsvBatch, CsvTable, RawRow, csv_row
from alerting.model.periods import Period
from alerting.model.records import ObservationRecord, is_comparator
from alerting.store.batches import ObservationColumns
from alerting.store.store import RejectedRow

T = TypeVar("T")
IntArray = npt.NDArray[np.int64]
KIND = TableKind.OBSERVATIONS
SAVE_ROWS = 50_000  # rows per batch handed to the store


class Column(Generic[T]):
    """One column's distinct texts, each parsed once. A cell's code indexes `texts`; that
    text's value is `values[value_code[code]]`, or the text was rejected (value code -1).
    With `merge_equal`, texts that parse to equal values ('Sep-21', '2021-09') share one."""

    def __init__(self, parse: Callable[[str], T] | None, *, merge_equal: bool = False):
        self.texts: list[str] = []
        self.values: list[T] = []
        self.value_code: IntArray = np.zeros(0, dtype=np.int64)
        self._parse = parse
        self._code_of_text: dict[str, int] = {}
        self._code_of_value: dict[T, int] | None = {} if merge_equal else None

    def encode(self, cells: Sequence[str]) -> IntArray:
        """Each cell's text code; new texts are parsed here."""
        known = self._code_of_text
        codes = np.fromiter(map(known.get, cells, repeat(-1)), np.int64, len(cells))
        unknown = np.flatnonzero(codes < 0)
        if len(unknown):
            new = list(dict.fromkeys(cells[i] for i in unknown.tolist()))
            for text in new:
                known[text] = len(self.texts)
                self.texts.append(text)
            self.value_code = np.concatenate(
                [self.value_code, np.fromiter(map(self._parsed, new), np.int64, len(new))])
            codes[unknown] = [known[cells[i]] for i in unknown.tolist()]
        return codes

    @property
    def parses(self) -> bool:
        return self._parse is not None

    def add(self, value: T) -> int:
        """The code of a value parsed elsewhere (a row the row parser loaded)."""
        if self._code_of_value is not None and value in self._code_of_value:
            return self._code_of_value[value]
        code = len(self.values)
        self.values.append(value)
        if self._code_of_value is not None:
            self._code_of_value[value] = code
        return code

    def _parsed(self, text: str) -> int:
        if self._parse is None:
            return 0
        try:
            return self.add(self._parse(text))
        except RowError:
            return -1


@dataclass(frozen=True)
class Layout:
    """Which heading position feeds each contract column (the last of any repeated name,
    as the row path's dict keeps it)."""

    width: int
    position: dict[str, int]
    comparators: tuple[str, ...]

    @classmethod
    def of(cls, headers: Sequence[str]) -> Layout:
        # as dict(zip(headers, cells)) and then renaming its keys would pick them
        by_heading = {h: i for i, h in enumerate(headers)}
        position = {canonical_header(h): i for h, i in by_heading.items()}
        return cls(len(headers), position, tuple(n for n in position if is_comparator(n)))


def _number_parser(column: str) -> Callable[[str], float | None]:
    return lambda text: number_cell(text, column)


def _comparator_parser(column: str) -> Callable[[str], float | None]:
    return lambda text: comparator_cell(text, column)


def _measure(text: str) -> str:
    return required_cell(text, "measure_id")


def _area(text: str) -> str:
    return required_cell(text, "area")


class ObservationTable:
    """A CSV observations table being parsed: codes per heading position for the rows that
    parsed, records for the few the row parser loaded, and the rows rejected so far."""

    def __init__(self, table: CsvTable):
        self.source = table.source
        self.headers = table.headers
        self.layout = Layout.of(table.headers)
        self.columns: list[Column[Any]] = [Column(None) for _ in table.headers]
        # the natural key's columns (load_table has checked the table has them)
        self.measure: Column[str] = Column(_measure, merge_equal=True)
        self.area: Column[str] = Column(_area, merge_equal=True)
        self.period: Column[Period] = Column(period_cell, merge_equal=True)
        self._parse_contract_columns()
        self._code_parts: list[list[IntArray]] = [[] for _ in table.headers]
        self._line_parts: list[IntArray] = []
        # joined by finish(): per heading position, the text code of each parsed row
        self.codes: list[IntArray] = []
        self.lines: IntArray = np.zeros(0, dtype=np.int64)
        self.records: list[tuple[int, ObservationRecord, dict[str, Any]]] = []
        self.rejected: list[RejectedRow] = []

    def _parse_contract_columns(self) -> None:
        parsers: dict[str, Column[Any]] = {
            "measure_id": self.measure,
            "area": self.area,
            "period": self.period,
            "value": Column(value_cell),
            "target": Column(_number_parser("target")),
            "numerator": Column(_number_parser("numerator")),
            "denominator": Column(_number_parser("denominator")),
            "commentary": Column(text_cell),
            **{name: Column(_comparator_parser(name)) for name in self.layout.comparators},
        }
        for name, column in parsers.items():
            if name in self.layout.position:
                self.columns[self.layout.position[name]] = column

    def column(self, name: str) -> Column[Any] | None:
        at = self.layout.position.get(name)
        return None if at is None else self.columns[at]

    def add_batch(self, batch: CsvBatch) -> None:
        """Parse a batch: rows whose every cell parsed keep their codes; the others go to
        the row parser."""
        lengths = np.fromiter(map(len, batch.cells), np.int64, len(batch.cells))
        regular = lengths == self.layout.width
        rows = batch.cells if regular.all() else list(compress(batch.cells, regular.tolist()))
        lines = np.asarray(batch.lines, dtype=np.int64)[regular]
        cells_by_position = list(zip(*rows, strict=True)) if rows else [()] * self.layout.width
        codes = [column.encode(cells) for column, cells in zip(self.columns, cells_by_position,
                                                                strict=True)]
        parsed = self._keep_parsed(codes, lines)
        unparsed = np.concatenate([np.flatnonzero(~regular),
                                   np.flatnonzero(regular)[~parsed]])
        for index in np.sort(unparsed).tolist():
            self._parse_row(batch.lines[index], batch.cells[index])
        if batch.invalid is not None:
            self._reject(batch.invalid, f"row {batch.invalid.problem}")

    def add_plain(self, plain: PlainColumns) -> None:
        """Parse a whole plain file read by pyarrow: each distinct text is parsed once, as
        in a batch; a row with a cell that did not parse goes to the row parser, with its
        line (row i is on line FIRST_DATA_LINE + i)."""
        codes = [column.encode(texts)[at] for column, texts, at in
                 zip(self.columns, plain.texts, plain.codes, strict=True)]
        lines = np.arange(FIRST_DATA_LINE, FIRST_DATA_LINE + plain.rows, dtype=np.int64)
        parsed = self._keep_parsed(codes, lines)
        for index in np.flatnonzero(~parsed).tolist():
            self._parse_row(FIRST_DATA_LINE + index, plain.cells(index))

    def _keep_parsed(self, codes: list[IntArray], lines: IntArray) -> npt.NDArray[np.bool_]:
        """Keep the codes and lines of the rows whose every cell parsed; which those are."""
        parsed = np.ones(len(lines), dtype=bool)
        for column, column_codes in zip(self.columns, codes, strict=True):
            if column.parses and not (column.value_code >= 0).all():  # some text is bad
                parsed &= column.value_code[column_codes] >= 0
        every = bool(parsed.all())  # the usual case: no copies to make
        for position, column_codes in enumerate(codes):
            self._code_parts[position].append(column_codes if every else column_codes[parsed])
        self._line_parts.append(lines if every else lines[parsed])
        return parsed

    def _parse_row(self, line: int, cells: list[str]) -> None:
        """The row path for one row, as load_table would take it."""
        raw = csv_row(line, cells, self.headers)
        if raw is None:
            return
        if raw.problem:
            self._reject(raw, f"row {raw.problem}")
            return
        try:
            record = parse_observation({canonical_header(k): v for k, v in raw.cells.items()})
        except RowError as exc:
            self._reject(raw, str(exc))
            return
        self.records.append((line, record, raw.cells))

    def _reject(self, raw: RawRow, reason: str) -> None:
        self.rejected.append(RejectedRow(self.source, raw.line, KIND.value, reason, raw.cells))

    def raw_cells(self, row: int) -> dict[str, Any]:
        """The cells of a parsed row (by its index in `codes`), for the quarantine."""
        texts = [column.texts[int(codes[row])]
                 for column, codes in zip(self.columns, self.codes, strict=True)]
        return dict(zip(self.headers, texts, strict=True))

    def finish(self) -> None:
        """Join the batches and reject every repeat of a (measure, area, period end)."""
        self.codes = [_joined(parts) for parts in self._code_parts]
        self.lines = _joined(self._line_parts)
        self._code_parts, self._line_parts = [], []
        parsed_rows = len(self.lines)
        lines = np.concatenate([self.lines,
                                np.asarray([r[0] for r in self.records], dtype=np.int64)])
        repeats, first_lines = _repeats(self._keys(), lines)
        keep = np.ones(len(lines), dtype=bool)
        for row, first in zip(repeats.tolist(), first_lines.tolist(), strict=True):
            keep[row] = False
            raw = (self.raw_cells(row) if row < parsed_rows
                   else self.records[row - parsed_rows][2])
            self.rejected.append(RejectedRow(self.source, int(lines[row]), KIND.value,
                                             repeat_reason(KIND, first), raw))
        if len(repeats):
            self.codes = [codes[keep[:parsed_rows]] for codes in self.codes]
            self.lines = self.lines[keep[:parsed_rows]]
            self.records = list(compress(self.records, keep[parsed_rows:].tolist()))
        self.rejected.sort(key=lambda r: r.line or 0)

    def _keys(self) -> tuple[IntArray, IntArray, IntArray]:
        """(measure, area, period end) of every row as value codes and day ordinals."""
        measure, area, period = self.measure, self.area, self.period
        codes = {n: self.codes[self.layout.position[n]] for n in ("measure_id", "area", "period")}
        ends = np.asarray([p.end.toordinal() for p in period.values], dtype=np.int64)
        record_keys = [(measure.add(r.measure_id), area.add(r.area), r.period.end.toordinal())
                       for _, r, _ in self.records]
        extra = np.asarray(record_keys, dtype=np.int64).reshape(-1, 3)
        return (np.concatenate([measure.value_code[codes["measure_id"]], extra[:, 0]]),
                np.concatenate([area.value_code[codes["area"]], extra[:, 1]]),
                np.concatenate([ends[period.value_code[codes["period"]]], extra[:, 2]]))

    def batches(self) -> Iterator[ObservationColumns]:
        """The rows to save, SAVE_ROWS at a time; the row parser's records last."""
        output = StoredColumns(self)
        for start in range(0, len(self.lines), SAVE_ROWS):
            yield output.batch([codes[start:start + SAVE_ROWS] for codes in self.codes])
        if self.records:
            yield ObservationColumns.from_records([record for _, record, _ in self.records])
        del output
        pa.default_memory_pool().release_unused()  # Arrow's allocator keeps freed pages


def _joined(parts: list[IntArray]) -> IntArray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _repeats(keys: tuple[IntArray, IntArray, IntArray],
             lines: IntArray) -> tuple[IntArray, IntArray]:
    """Rows whose key an earlier line has, and that earlier line."""
    measure, area, end = keys
    if not len(lines):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    by_line = np.argsort(lines, kind="stable")
    pair = measure[by_line] * (int(area.max()) + 1) + area[by_line]
    _, pair = np.unique(pair, return_inverse=True)
    first_day = int(end.min())
    key = pair.reshape(-1) * (int(end.max()) - first_day + 1) + (end[by_line] - first_day)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    first_of_row = first[inverse.reshape(-1)]
    repeated = np.flatnonzero(first_of_row != np.arange(len(key)))
    return by_line[repeated], lines[by_line[first_of_row[repeated]]]


def parse_observation_csv(table: CsvTable) -> ObservationTable:
    """Parse a whole CSV observations table, column by column."""
    parsed = ObservationTable(table)
    plain = (read_plain_csv(table.path, table.encoding, len(table.headers))
             if table.path is not None and table.encoding is not None else None)
    if plain is not None:
        parsed.add_plain(plain)
        del plain
    else:
        for batch in table.batches:
            parsed.add_batch(batch)
    parsed.finish()
    return parsed
