"""Deriving stored events into observations: re-running changes nothing, a corrected event
revises the figure (the old one kept), and the measure rules fire on derived figures."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np

from alerting.derived import derive_measures
from alerting.model.calendar import england_and_wales
from alerting.model.catalogue import Catalogue, Measure, catalogue_from_document
from alerting.model.events import EventKind, EventRecord
from alerting.model.problems import parse_yaml

MEASURE = Measure.model_validate({
    "id": "assessments-within-45wd", "unit": "percent", "polarity": "bigger_is_better",
    "tolerance": {"absolute": 5},
    "derived": {"from": "assessment", "within": "45wd", "target": 85}})
CATALOGUE = Catalogue({MEASURE.id: MEASURE})


def event(child: str, end: str, locality: str = "Stroud") -> EventRecord:
    return EventRecord(child, EventKind.ASSESSMENT, date(2024, 2, 1), date.fromisoformat(end),
                       locality=locality)


EVENTS = [event("C1", "2024-04-08"), event("C2", "2024-04-09"), event("C3", "2024-03-01")]


def test_re_deriving_unchanged_events_changes_nothing_and_a_correction_revises(store):
    """The second run leaves every figure unchanged; a corrected completion date revises
    April's figure and keeps the old value as a revision, under source derived:<id>."""
    store.save_events(EVENTS, "annex-a.xlsx")
    first = derive_measures(store, CATALOGUE, england_and_wales(), "Gloucestershire")
    assert [(d.measure_id, d.counts.inserted) for d in first] == [(MEASURE.id, 4)]
    again = derive_measures(store, CATALOGUE, england_and_wales(), "Gloucestershire")
    assert again[0].counts.unchanged == 4 and again[0].counts.total == 4

    store.save_events([replace(EVENTS[1], end_date=date(2024, 4, 8))], "annex-a.xlsx")
    corrected = derive_measures(store, CATALOGUE, england_and_wales(), "Gloucestershire")
    assert (corrected[0].counts.revised, corrected[0].counts.unchanged) == (2, 2)
    history = store.revisions(MEASURE.id, "Stroud", date(2024, 4, 30))
    assert [(h["value"], h["source"]) for h in history] == [(50.0, f"derived:{MEASURE.id}")]
    assert store.counts()["observations"] == 4


def test_a_figure_the_events_no_longer_give_is_emptied_not_left_stale(store):
    """An event moved to another locality empties its old locality's figure (revised to no
    value, 0 of 0), and a figure no event gives any more is not kept as it was."""
    store.save_events([event("C1", "2024-04-08", "Cotswolds"), event("C2", "2024-04-09")],
                      "x.csv")
    derive_measures(store, CATALOGUE, england_and_wales(), "Gloucestershire")
    store.save_events([event("C1", "2024-04-08", "Stroud")], "x.csv")
    [done] = derive_measures(store, CATALOGUE, england_and_wales(), "Gloucestershire")
    assert (done.counts.revised, done.counts.unchanged) == (2, 1)  # Cotswolds and Stroud
    frame = store.observation_frame()
    cotswolds = frame.area == frame.areas.index("Cotswolds")
    assert np.isnan(frame.value[cotswolds]).all() and cotswolds.sum() == 1
    history = store.revisions(MEASURE.id, "Cotswolds", date(2024, 4, 30))
    assert [h["value"] for h in history] == [100.0]
    assert store.measure_cells(MEASURE.id) == {("Gloucestershire", date(2024, 4, 30)),
                                              ("Stroud", date(2024, 4, 30)),
                                              ("Cotswolds", date(2024, 4, 30))}


def test_a_malformed_declaration_names_file_line_and_field():
    """A misspelt named date, a calendar duration and a missing `within` are errors with the
    file, line and field; the good measure still loads."""
    text = """measures:
  - id: good
    derived: {from: assessment, within: 45wd}
  - id: misspelt
    derived:
      from: icpc
      start: strategy_discusion
      within: 15wd
  - id: months
    derived: {from: assessment, within: 2m}
  - id: no-limit
    derived: {from: assessment}
  - id: no-kind
    derived: {within: 10wd}
  - id: care-leavers
    derived: {from: care_leaver, count: count_completed}
"""
    catalogue, problems = catalogue_from_document(parse_yaml(text, "rules/measures.yaml"))
    assert list(catalogue.measures) == ["good"]
    assert [str(p) for p in problems] == [
        "rules/measures.yaml:7: measure 'misspelt': derived.start must be one of the dates "
        "icpc events have (start_date, end_date, strategy_discussion), got "
        "'strategy_discusion'",
        "rules/measures.yaml:10: measure 'months': derived.within must be a number of working "
        "days like 45wd, got '2m'",
        "rules/measures.yaml:12: measure 'no-limit': derived needs within (working days, "
        "like 45wd) for count percent_within",
        "rules/measures.yaml:14: measure 'no-kind': derived.from is required",
        "rules/measures.yaml:16: measure 'care-leavers': derived.from must be a kind with "
        "dates to count between (care_leaver records have none), got 'care_leaver'",
    ]
