"""Wide scorecard workbooks: measures as rows, periods as columns, through a layout file.

A small YAML file beside the workbook says where things are, so the sheet is loaded as
the performance team keeps it:

    sheet: Dashboard            # default: the first sheet
    header_row: 3               # the row of period headings (a list for stacked headings)
    first_row: 4                # first measure row (default: the row after header_row)
    measure_column: A           # a column letter, or the heading text over it
    measures: {"Re-referrals within 12 months (%)": re-referrals-12-months-d}  # optional
    period_columns: D:I         # a range or a list of columns
    target_column: C            # optional; the target of every period in the row
    area: Gloucestershire       # or area_column: B
    comparator_columns: {england: J, stat_neighbours: K}  # optional, latest period only
    commentary_column: L        # optional, latest period only

A blank cell is no observation (the period was not reported); a marker such as
`Not published` is one with no value. Comparators and commentary go with the row's latest
period that has a cell. Merged header cells are read as spreadsheets store them (the
value in the top-left cell): with stacked heading rows, a heading over several period
columns is carried right across them. A cell shown as a percentage (`20.9%`, stored as
0.209) is read as the 20.9 the user sees.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from alerting.loading.contract import (
    RowError,
    TableKind,
    comparator_cell,
    natural_key,
    number_cell,
    period_cell,
    repeat_reason,
    text_cell,
    value_cell,
)
from alerting.loading.sources import SourceError, open_workbook
from alerting.model.periods import Period
from alerting.model.problems import ProblemsFound, display_path, problems_from_validation, read_yaml
from alerting.model.records import ObservationRecord
from alerting.store.store import RejectedRow

KIND = TableKind.OBSERVATIONS.value
_LETTERS = re.compile(r"^[A-Za-z]{1,3}$")
_RANGE = re.compile(r"^\s*([A-Za-z]{1,3})\s*:\s*([A-Za-z]{1,3})\s*$")


class Layout(BaseModel):
    """Where a wide sheet keeps its measures, periods, target and area."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sheet: str | None = None
    header_row: tuple[int, ...] = Field(min_length=1)
    first_row: int | None = Field(default=None, ge=1)
    last_row: int | None = Field(default=None, ge=1)
    measure_column: str = Field(min_length=1)
    measures: Mapping[str, str] = Field(default_factory=dict)
    period_columns: tuple[str, ...] = Field(min_length=1)
    target_column: str | None = None
    area: str | None = None
    area_column: str | None = None
    comparator_columns: Mapping[str, str] = Field(default_factory=dict)
    commentary_column: str | None = None

    @field_validator("header_row", mode="before")
    @classmethod
    def _rows(cls, value: Any) -> Any:
        return (value,) if isinstance(value, int) else value

    @field_validator("period_columns", mode="before")
    @classmethod
    def _columns(cls, value: Any) -> Any:
        if isinstance(value, str):
            match = _RANGE.match(value)
            if match:
                first, last = (_index(c) for c in match.groups())
                if last < first:
                    raise ValueError(f"range {value!r} runs backwards")
                return tuple(_letter(i) for i in range(first, last + 1))
            return (value,)
        return value

    @model_validator(mode="after")
    def _one_area(self) -> Layout:
        if (self.area is None) == (self.area_column is None):
            raise ValueError("give exactly one of area (a fixed area) or area_column")
        return self

    @property
    def data_start(self) -> int:
        return self.first_row or max(self.header_row) + 1


def _index(letter: str) -> int:
    """0-based column index of a column letter."""
    number = 0
    for char in letter.upper():
        number = number * 26 + ord(char) - 64
    return number - 1


def _letter(index: int) -> str:
    text = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(65 + rest) + text
    return text


def read_layout(path: Path) -> Layout:
    """A layout file; SourceError naming the file, line and field if it is wrong."""
    try:
        document = read_yaml(path)
    except ProblemsFound as exc:
        raise SourceError(str(exc)) from None
    if not isinstance(document.data, dict):
        raise SourceError(f"{document.file}: a layout is a mapping of sheet, header_row, "
                          "measure_column, period_columns, area, ...")
    try:
        return Layout.model_validate(document.data)
    except ValidationError as exc:
        problems = problems_from_validation(exc, document, (), "layout", Layout)
        raise SourceError("\n".join(str(p) for p in problems)) from None


@dataclass(frozen=True)
class WideSheet:
    """A wide sheet turned into observations, with the cells and rows left out."""

    source: str
    records: list[ObservationRecord]
    rejected: list[RejectedRow]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell_value(cell: Any) -> Any:
    value = getattr(cell, "value", None)
    fmt = str(getattr(cell, "number_format", "") or "")
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in fmt:
        return round(value * 100, 10)  # shown as a percentage: store what the user sees
    return value


def read_wide(path: Path, layout: Layout) -> WideSheet:
    """Observations from a wide sheet as the layout describes it."""
    name = display_path(path)
    workbook = open_workbook(path)
    try:
        titles = [s.title for s in workbook.worksheets]
        if layout.sheet is not None and layout.sheet not in titles:
            listed = ", ".join(f"'{t}'" for t in titles)
            raise SourceError(f"{name}: has no sheet '{layout.sheet}' named by the layout "
                              f"(its sheets: {listed})")
        sheet = workbook[layout.sheet] if layout.sheet else workbook.worksheets[0]
        rows = [tuple(_cell_value(c) for c in row) for row in sheet.iter_rows(
            min_row=1, max_row=layout.last_row)]
    except SourceError:
        raise
    except Exception as exc:
        raise SourceError(f"{name}: is not a readable .xlsx workbook ({exc})") from None
    finally:
        workbook.close()
    return _WideReader(f"{name}[{sheet.title}]", layout, rows).read()


class _WideReader:
    def __init__(self, source: str, layout: Layout, rows: Sequence[Sequence[Any]]):
        self.source, self.layout, self.rows = source, layout, rows
        self.rejected: list[RejectedRow] = []

    def cell(self, row: int, column: int) -> Any:
        values = self.rows[row - 1] if row - 1 < len(self.rows) else ()
        return values[column] if column < len(values) else None

    def column(self, ref: str, what: str) -> int:
        """A column by letter, or by the heading text in a row at or above header_row."""
        if _LETTERS.match(ref):
            return _index(ref)
        wanted = " ".join(ref.split()).lower()
        for row in range(1, max(self.layout.header_row) + 1):
            for index, value in enumerate(self.rows[row - 1] if row <= len(self.rows) else ()):
                if value is not None and " ".join(str(value).split()).lower() == wanted:
                    return index
        raise SourceError(f"{self.source}: no column headed '{ref}' (the layout's {what}) in "
                          f"rows 1-{max(self.layout.header_row)}")

    def periods(self) -> list[tuple[int, Period]]:
        """Each period column and its period; a heading that is not a period is reported."""
        columns = [self.column(ref, "period_columns") for ref in self.layout.period_columns]
        carried: dict[int, Any] = {}  # per header row: the last heading seen (merged cells)
        found = []
        for index in columns:
            parts = []
            for row in self.layout.header_row:
                value = self.cell(row, index)
                if value in (None, "") and len(self.layout.header_row) > 1:
                    value = carried.get(row)
                carried[row] = value
                if value not in (None, ""):
                    parts.append(value)
            period = self._period(parts)
            if period is None:
                rows = ", ".join(str(r) for r in self.layout.header_row)
                what = (f"heading {' '.join(str(p) for p in parts)!r} is not a period like "
                        "Sep-21 or 2021-09") if parts else f"has no period heading in row {rows}"
                self.rejected.append(RejectedRow(
                    self.source, max(self.layout.header_row), KIND,
                    f"column {_letter(index)}: {what}; the column was not loaded"))
                continue
            found.append((index, period))
        return found

    @staticmethod
    def _period(parts: list[Any]) -> Period | None:
        if len(parts) == 1:
            candidates: list[Any] = [parts[0]]
        else:
            texts = [str(p) for p in parts]
            candidates = [" ".join(texts), " ".join(reversed(texts))]
        for candidate in candidates:
            try:
                return period_cell(candidate)
            except RowError:
                continue
        return None

    def read(self) -> WideSheet:
        layout = self.layout
        measure_at = self.column(layout.measure_column, "measure_column")
        target_at = self.column(layout.target_column, "target_column") \
            if layout.target_column else None
        area_at = self.column(layout.area_column, "area_column") if layout.area_column else None
        commentary_at = self.column(layout.commentary_column, "commentary_column") \
            if layout.commentary_column else None
        comparators = {n: self.column(c, "comparator_columns")
                       for n, c in layout.comparator_columns.items()}
        periods = self.periods()
        records: list[ObservationRecord] = []
        first_line: dict[tuple[Any, ...], int] = {}
        for line in range(layout.data_start, len(self.rows) + 1):
            label = text_cell(self.cell(line, measure_at))
            cells = [self.cell(line, i) for i, _ in periods]
            if label is None or all(_blank(v) for v in cells):
                continue  # a section heading, a note or a blank row
            raw = {_letter(i): v for i, v in enumerate(self.rows[line - 1]) if v not in (None, "")}
            try:
                measure_id = self._measure(label)
                area = layout.area or text_cell(self.cell(line, area_at or 0))
                if area is None:
                    raise RowError("area is blank")
                target = self._number(line, target_at, "target")
                extras = self._latest_extras(line, comparators, commentary_at)
            except RowError as exc:
                self.rejected.append(RejectedRow(self.source, line, KIND, str(exc), raw))
                continue
            filled = [(index, period, raw_value) for (index, period), raw_value
                      in zip(periods, cells, strict=True) if not _blank(raw_value)]
            latest = max(filled, key=lambda f: f[1].end)[0]
            for index, period, raw_value in filled:
                try:
                    value, marker = value_cell(raw_value)
                except RowError as exc:
                    self.rejected.append(RejectedRow(
                        self.source, line, KIND,
                        f"column {_letter(index)} ({period.label}): {exc}; the row's other "
                        "cells still load", raw))
                    continue
                comparator_values, commentary = extras if index == latest else ({}, None)
                record = ObservationRecord(
                    measure_id=measure_id, period=period, area=area, value=value,
                    target=target, comparators=comparator_values, commentary=commentary,
                    raw_value=marker)
                key = natural_key(record)
                if key in first_line:
                    self.rejected.append(RejectedRow(
                        self.source, line, KIND, repeat_reason(TableKind.OBSERVATIONS,
                                                               first_line[key]), raw))
                    continue
                first_line[key] = line
                records.append(record)
        return WideSheet(self.source, records, self.rejected)

    def _measure(self, label: str) -> str:
        if not self.layout.measures:
            return label
        folded = {" ".join(k.split()).lower(): v for k, v in self.layout.measures.items()}
        found = folded.get(label.lower())
        if found is None:
            raise RowError(f"measure {label!r} is not in the layout's measures")
        return found

    def _number(self, line: int, at: int | None, column: str) -> float | None:
        return None if at is None else number_cell(self.cell(line, at), column)

    def _latest_extras(self, line: int, comparators: Mapping[str, int],
                       commentary_at: int | None) -> tuple[dict[str, float], str | None]:
        values = {}
        for name, at in comparators.items():
            number = comparator_cell(self.cell(line, at), name)
            if number is not None:
                values[name] = number
        commentary = text_cell(self.cell(line, commentary_at)) if commentary_at is not None \
            else None
        return values, commentary
