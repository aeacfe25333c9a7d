"""Where rows come from: CSV files, Excel workbooks (one sheet per table), SQL queries.

Each source yields tables: a name (file, or file[sheet]), headings, and rows numbered as a
person would find them (the CSV line, the spreadsheet row, the query's row number).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from alerting.model.problems import display_path


class SourceError(Exception):
    """A whole file or query that cannot be read (not a single bad row)."""


@dataclass(frozen=True)
class RawRow:
    line: int
    cells: dict[str, Any]
    problem: str | None = None  # e.g. a CSV row with more cells than headings


@dataclass(frozen=True)
class RawTable:
    source: str
    headers: tuple[str, ...]
    rows: Iterator[RawRow]


@dataclass(frozen=True)
class CsvBatch:
    """Consecutive rows of a CSV file as read: each row's cells and the line it starts on.
    Blank rows are included (the row path skips them). `invalid` is the row, if any, that
    was not valid CSV; reading stops there."""

    lines: list[int]
    cells: list[list[str]]
    invalid: RawRow | None = None


@dataclass(frozen=True)
class CsvTable:
    """A CSV file read in batches (the column path) or row by row (`rows`)."""

    source: str
    headers: tuple[str, ...]
    batches: Iterator[CsvBatch]
    path: Path | None = None  # the file and its encoding, for a columnar reader
    encoding: str | None = None

    @property
    def rows(self) -> Iterator[RawRow]:
        for batch in self.batches:
            for line, cells in zip(batch.lines, batch.cells, strict=True):
                row = csv_row(line, cells, self.headers)
                if row is not None:
                    yield row
            if batch.invalid is not None:
                yield batch.invalid


def csv_row(line: int, cells: list[str], headers: Sequence[str]) -> RawRow | None:
    """A CSV row as the row path sees it: None when blank; a problem when it has more
    (non-blank) cells than the heading row."""
    if not any(c.strip() for c in cells):
        return None
    problem = None
    if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers):]):
        problem = f"has {len(cells)} cells but the heading row has {len(headers)}"
    return RawRow(line, dict(zip(headers, cells, strict=False)), problem)


_BLOCK = 1 << 20
BATCH_ROWS = 50_000


def _encoding(path: Path) -> str:
    """UTF-8 (with or without a BOM), else Windows-1252: spreadsheets saved as CSV on Windows
    usually are. The file is checked a block at a time, so a large one is never held whole."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    with path.open("rb") as file:
        while block := file.read(_BLOCK):
            if b"\x00" in block:
                raise SourceError(
                    f"{display_path(path)}: is not a text CSV file (it contains NUL bytes)")
            if utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return "utf-8-sig" if utf8 else "cp1252"


def read_csv(path: Path) -> CsvTable:
    name = display_path(path)
    try:
        encoding = _encoding(path)
        with _open_text(path, encoding) as file:
            headers = _heading_row(csv.reader(file), name)
    except OSError as exc:
        raise SourceError(f"{name}: cannot be read: {exc.strerror}") from None
    return CsvTable(name, headers, _csv_batches(path, encoding), path, encoding)


def _open_text(path: Path, encoding: str) -> TextIO:
    return path.open(encoding=encoding, errors="replace", newline="")


def _heading_row(reader: Any, name: str) -> tuple[str, ...]:
    try:
        headers = next(reader)
    except StopIteration:
        raise SourceError(f"{name}: is empty (no heading row)") from None
    except csv.Error as exc:
        raise SourceError(f"{name}:1: heading row is not valid CSV: {exc}") from None
    return tuple(h.strip() for h in headers)


def _csv_batches(path: Path, encoding: str) -> Iterator[CsvBatch]:
    """The rows after the heading row, BATCH_ROWS at a time, each with its first line."""
    with _open_text(path, encoding) as file:
        reader = csv.reader(file)
        next(reader)  # the heading row, read and checked by read_csv
        while True:
            lines: list[int] = []
            cells: list[list[str]] = []
            line = reader.line_num
            try:
                for row in reader:
                    lines.append(line + 1)
                    cells.append(row)
                    line = reader.line_num
                    if len(cells) == BATCH_ROWS:
                        break
            except csv.Error as exc:
                yield CsvBatch(lines, cells, RawRow(line + 1, {}, f"is not valid CSV: {exc}"))
                return
            if cells:
                yield CsvBatch(lines, cells)
            if len(cells) < BATCH_ROWS:
                return


def open_workbook(path: Path) -> Any:
    """An .xlsx workbook opened read-only (values, not formulas); SourceError if the file
    is not one (not a zip, a zip without a workbook, a corrupt part)."""
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency
        raise SourceError(f"reading .xlsx needs openpyxl: {exc}") from None
    name = display_path(path)
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except OSError as exc:
        raise SourceError(f"{name}: cannot be read: {exc.strerror or exc}") from None
    except Exception as exc:  # BadZipFile, InvalidFileException, KeyError... from a bad file
        raise SourceError(f"{name}: is not a readable .xlsx workbook ({exc})") from None


def read_xlsx(path: Path, workbook: Any = None) -> list[RawTable]:
    """One table per sheet that has a heading row (of `workbook` if already open)."""
    name = display_path(path)
    workbook = workbook or open_workbook(path)
    tables = []
    for sheet in workbook.worksheets:
        rows = sheet.iter_rows(values_only=True)
        header_row: Sequence[Any] | None = None
        line = 0
        for values in rows:
            line += 1
            if values and any(v not in (None, "") for v in values):
                header_row = values
                break
        if header_row is None:
            continue
        headers = tuple("" if h is None else str(h).strip() for h in header_row)
        tables.append(RawTable(f"{name}[{sheet.title}]", headers,
                               _sheet_rows(rows, headers, line)))
    return tables


def _sheet_rows(rows: Iterator[Sequence[Any]], headers: Sequence[str],
                header_line: int) -> Iterator[RawRow]:
    line = header_line
    for values in rows:
        line += 1
        if not values or all(v in (None, "") for v in values):
            continue
        cells = {h: ("" if v is None else v) for h, v in zip(headers, values, strict=False) if h}
        yield RawRow(line, cells)


def read_sql(url: str, query: str) -> RawTable:
    """Rows of a query against a council's warehouse (any SQLAlchemy URL)."""
    import sqlalchemy as sa

    try:
        safe = sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        shown = url.rsplit("@", maxsplit=1)[-1]  # never echo a password
        raise SourceError(f"SQL source: {shown!r} is not a database URL like "
                          "postgresql+psycopg://user@host/db") from None
    try:
        engine = sa.create_engine(url)
    except Exception as exc:  # unknown dialect or driver
        raise SourceError(f"SQL source {safe}: query failed: {exc}") from None
    try:
        with engine.connect() as conn:
            result = conn.execute(sa.text(query))
            headers = tuple(result.keys())
            fetched = [tuple(r) for r in result]
    except Exception as exc:
        raise SourceError(f"SQL source {safe}: query failed: {exc}") from None
    finally:
        engine.dispose()
    source = f"sql:{safe}"
    return RawTable(source, headers,
                    iter([RawRow(i, dict(zip(headers, r, strict=True)))
                          for i, r in enumerate(fetched, start=1)]))
