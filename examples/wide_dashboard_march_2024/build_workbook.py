"""Writes dashboard.xlsx and dashboard.layout.yaml: the March 2024 dashboard as a wide sheet.

The figures are those of ../dashboard_march_2024/observations.csv (typed up from the seed
`dashboard_march_2024.txt`), laid out as a performance team keeps a dashboard: a title
row, merged heading cells, a column per month, percentages as percentage cells, the
metric's title rather than an id. Run from the repository root:

    python examples/wide_dashboard_march_2024/build_workbook.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
MONTHS = ["Dec 23", "Jan 24", "Feb 24", "March 24", "April 24", "May 24"]
SAME_MONTH = {"March24": "March 24"}


def main() -> None:
    catalogue = yaml.safe_load((ROOT / "rules" / "measures.yaml").read_text(encoding="utf-8"))
    measures = {m["id"]: m for m in catalogue["measures"]}
    rows = list(csv.DictReader((ROOT / "examples" / "dashboard_march_2024" /
                                "observations.csv").open(encoding="utf-8")))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Dashboard"
    sheet["A1"] = "Children's Services Performance Dashboard - March 2024"
    sheet.merge_cells("A1:L1")
    for column, heading in (("A", "Metric"), ("B", "Good is"), ("C", "Target"),
                            ("L", "Narrative")):
        sheet[f"{column}2"] = heading
        sheet.merge_cells(f"{column}2:{column}3")
    sheet["D2"] = "Latest performance"
    sheet.merge_cells("D2:I2")
    sheet["J2"] = "Latest benchmarking"
    sheet.merge_cells("J2:K2")
    for offset, month in enumerate(MONTHS):
        sheet.cell(row=3, column=4 + offset, value=month)
    sheet["J3"], sheet["K3"] = "England", "Stat neigh"
    layout_measures = {}
    for line, row in enumerate(rows, start=4):
        measure = measures[row["measure_id"]]
        title = " ".join(str(measure["title"]).split())
        layout_measures[title] = row["measure_id"]
        percent = measure.get("unit") == "percent"
        sheet.cell(row=line, column=1, value=title)
        sheet.cell(row=line, column=2, value=measure.get("polarity"))
        _number(sheet.cell(row=line, column=3), row["target"], percent)
        month = SAME_MONTH.get(row["period"], row["period"])
        _number(sheet.cell(row=line, column=4 + MONTHS.index(month)), row["value"], percent)
        sheet.cell(row=line, column=10, value=row["england"] or None)
        sheet.cell(row=line, column=11, value=row["stat_neighbours"] or None)
        sheet.cell(row=line, column=12, value=row["commentary"] or None)
    book.save(HERE / "dashboard.xlsx")
    layout = {
        "sheet": "Dashboard", "header_row": 3, "measure_column": "Metric",
        "measures": layout_measures, "period_columns": "D:I", "target_column": "Target",
        "area": "Gloucestershire",
        "comparator_columns": {"england": "England", "stat_neighbours": "Stat neigh"},
        "commentary_column": "Narrative",
    }
    header = ("# Layout of dashboard.xlsx (see README, 'Wide scorecard workbooks'):\n"
              "#   alerting load --layout examples/wide_dashboard_march_2024/dashboard.layout.yaml"
              " \\\n#       examples/wide_dashboard_march_2024/dashboard.xlsx\n")
    (HERE / "dashboard.layout.yaml").write_text(
        header + yaml.safe_dump(layout, sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8")


def _number(cell: openpyxl.cell.Cell, text: str, percent: bool) -> None:
    """A figure as a number cell (a percentage cell for percent measures), a marker as text."""
    if not text:
        return
    try:
        number = float(text)
    except ValueError:
        cell.value = text
        return
    if percent:
        cell.value = number / 100
        cell.number_format = "0.0%"
    else:
        cell.value = number


if __name__ == "__main__":
    main()
