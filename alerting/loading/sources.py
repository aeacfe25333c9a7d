"""Where rows come from: CSV files, Excel workbooks (one sheet per table), SQL queries.

Each source yields tables: a name (file, or file[sheet]), headings, and rows numbered as a
person would find them (the CSV line, the spreadsheet row, the query's row number).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alerting.problems import display_path


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


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data:
        raise SourceError(f"{display_path(path)}: is not a text CSV file (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheets saved as CSV on Windows are usually Windows-1252.
        return data.decode("cp1252", errors="replace")


def read_csv(path: Path) -> RawTable:
    name = display_path(path)
    try:
        text = _decode(path)
    except OSError as exc:
        raise SourceError(f"{name}: cannot be read: {exc.strerror}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        headers = next(reader)
    except StopIteration:
        raise SourceError(f"{name}: is empty (no heading row)") from None
    except csv.Error as exc:
        raise SourceError(f"{name}:1: heading row is not valid CSV: {exc}") from None
    headers = [h.strip() for h in headers]

    def rows() -> Iterator[RawRow]:
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield RawRow(line, {}, f"is not valid CSV: {exc}")
                return
            if not any(c.strip() for c in cells):
                continue
            problem = None
            if len(cells) > len(headers) and any(c.strip() for c in cells[len(headers):]):
                problem = f"has {len(cells)} cells but the heading row has {len(headers)}"
            yield RawRow(line, dict(zip(headers, cells, strict=False)), problem)

    return RawTable(name, tuple(headers), rows())


def read_xlsx(path: Path) -> list[RawTable]:
    """One table per sheet that has a heading row."""
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency
        raise SourceError(f"reading .xlsx needs openpyxl: {exc}") from None
    name = display_path(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # BadZipFile, InvalidFileException, KeyError... from a bad file
        raise SourceError(f"{name}: is not a readable .xlsx workbook ({exc})") from None
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
