"""The store on both backends: idempotent upserts, revisions, frames and counts."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from alerting.loading import load_path
from alerting.model.frames import ObservationFrame
from alerting.model.periods import parse_period
from alerting.model.records import CaseRecord, ObservationExtras, ObservationRecord, RiskRecord
from alerting.store import SaveCounts, Store, bulk
from alerting.store import store as store_module
from alerting.store.batches import ObservationColumns
from alerting.store.schema import (
    case_records,
    observation_loads,
    observation_series,
    observations,
    risk_scores,
)
from alerting.store.series import observation_id
from alerting.store.store import RejectedRow


def obs(measure: str, area: str, period: str, value: float | None, target: float | None = 75.0,
        **fields: Any) -> ObservationRecord:
    return ObservationRecord(measure, parse_period(period), area, value, target, **fields)


def risk(risk_id: str, period: str, score: float, **fields: Any) -> RiskRecord:
    return RiskRecord(risk_id, parse_period(period), score, **fields)


def case(child: str, start: date, end: date | None = None, team: str = "Stroud Safeguarding",
         **fields: Any) -> CaseRecord:
    return CaseRecord(child, fields.pop("plan_type", "CP"), start, end, team, **fields)


def table_rows(store: Store, table: sa.Table, *order: str) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        query = sa.select(table).order_by(*(table.c[c] for c in order))
        return [dict(r._mapping) for r in conn.execute(query)]


BATCH = [
    obs("cp-visits", "Stroud", "Aug-21", 80.0),
    obs("cp-visits", "Stroud", "Sep-21", 82.0),
    obs("cp-visits", "Cheltenham", "Sep-21", None, raw_value="n/a"),
]


# --- saving observations ----------------------------------------------------------------------


def test_first_save_inserts_every_row(store: Store) -> None:
    """Saving new observations inserts them all at revision 1 with their source."""
    assert store.save_observations(BATCH, "first.csv") == SaveCounts(inserted=3)
    rows = table_rows(store, observations, "area", "period_end")
    assert [(r["area"], r["period_end"], r["value"], r["revision"], r["source"]) for r in rows] == [
        ("Cheltenham", date(2021, 9, 30), None, 1, "first.csv"),
        ("Stroud", date(2021, 8, 31), 80.0, 1, "first.csv"),
        ("Stroud", date(2021, 9, 30), 82.0, 1, "first.csv"),
    ]


def test_reloading_the_same_records_is_idempotent(store: Store) -> None:
    """Saving the same records again changes nothing: all unchanged, no revisions."""
    store.save_observations(BATCH, "first.csv")
    before = table_rows(store, observations, "id")
    assert store.save_observations(BATCH, "first.csv") == SaveCounts(unchanged=3)
    assert table_rows(store, observations, "id") == before
    for record in BATCH:
        assert store.revisions(record.measure_id, record.area, record.period.end) == []
    assert store.counts()["observations"] == 3


def test_reloading_the_same_file_is_idempotent(store: Store, tmp_path: Path) -> None:
    """Loading one CSV twice reports every row unchanged the second time."""
    path = tmp_path / "obs.csv"
    path.write_text("measure_id,period,area,value,target,england,commentary\n"
                    "cp-visits,Aug-21,Stroud,80,75,60.1,fine\n"
                    "cp-visits,Sep-21,Stroud,Not published,75,,\n"
                    "cp-visits,Sep-21,Cheltenham,69.5%,75,61,\n", encoding="utf-8")
    [first] = load_path(store, path)
    [second] = load_path(store, path)
    assert first.counts == SaveCounts(inserted=3)
    assert second.counts == SaveCounts(unchanged=3)
    assert store.counts()["observations"] == 3


def test_revised_value_replaces_the_old_and_keeps_it_as_a_revision(store: Store) -> None:
    """A new value for a stored period replaces it, bumps the revision and keeps the old one."""
    store.save_observations(BATCH, "first.csv")
    revised = [replace(BATCH[1], value=79.0)]
    assert store.save_observations(revised, "second.csv") == SaveCounts(revised=1)
    row = next(r for r in table_rows(store, observations, "id")
               if (r["area"], r["period_end"]) == ("Stroud", date(2021, 9, 30)))
    assert (row["value"], row["revision"], row["source"]) == (79.0, 2, "second.csv")
    [old] = store.revisions("cp-visits", "Stroud", date(2021, 9, 30))
    assert (old["revision"], old["value"], old["target"], old["source"]) == (
        1, 82.0, 75.0, "first.csv")
    assert old["replaced_at"] is not None
    assert store.revisions("cp-visits", "Stroud", date(2021, 8, 31)) == []


def test_each_revision_is_kept_in_order(store: Store) -> None:
    """Three values for one period leave two revisions, oldest first, and revision 3."""
    for source, value in (("a.csv", 82.0), ("b.csv", 79.0), ("c.csv", 77.5)):
        store.save_observations([obs("cp-visits", "Stroud", "Sep-21", value)], source)
    history = store.revisions("cp-visits", "Stroud", date(2021, 9, 30))
    assert [(h["revision"], h["value"], h["source"]) for h in history] == [
        (1, 82.0, "a.csv"), (2, 79.0, "b.csv")]
    [row] = table_rows(store, observations, "id")
    assert (row["value"], row["revision"]) == (77.5, 3)


CHANGES = [
    pytest.param({"value": 70.0}, SaveCounts(revised=1), 2, 1, id="value"),
    pytest.param({"target": 80.0}, SaveCounts(revised=1), 2, 1, id="target"),
    pytest.param({"value": None, "raw_value": "Not published"}, SaveCounts(revised=1), 2, 1,
                 id="value-withdrawn"),
    pytest.param({"commentary": "Now with a comment"}, SaveCounts(updated=1), 1, 0,
                 id="commentary-only"),
    pytest.param({"comparators": {"england": 61.0}}, SaveCounts(updated=1), 1, 0,
                 id="comparators-only"),
    pytest.param({"numerator": 41.0, "denominator": 50.0}, SaveCounts(updated=1), 1, 0,
                 id="numerator-denominator"),
    pytest.param({"comparators": {"england": 60.0}, "commentary": None}, SaveCounts(unchanged=1),
                 1, 0, id="nothing"),
]


@pytest.mark.parametrize(("change", "counts", "revision", "history"), CHANGES)
def test_what_counts_as_revised_or_updated(store: Store, change: dict[str, Any],
                                           counts: SaveCounts, revision: int,
                                           history: int) -> None:
    """Value/target changes are revisions; other column changes are plain updates."""
    original = obs("cp-visits", "Stroud", "Sep-21", 82.0, comparators={"england": 60.0})
    store.save_observations([original], "first.csv")
    assert store.save_observations([replace(original, **change)], "second.csv") == counts
    [row] = table_rows(store, observations, "id")
    assert row["revision"] == revision
    assert len(store.revisions("cp-visits", "Stroud", date(2021, 9, 30))) == history
    extras = store.observation_extras([row["id"]])[row["id"]]
    expected = replace(original, **change)
    assert (row["value"], row["target"]) == (expected.value, expected.target)
    assert extras == ObservationExtras(expected.comparators, expected.numerator,
                                       expected.denominator, expected.commentary,
                                       expected.raw_value)


def test_mixed_batch_counts_each_outcome(store: Store) -> None:
    """One batch can insert, revise, update and leave rows unchanged at once."""
    store.save_observations(BATCH, "first.csv")
    batch = [
        BATCH[0],                                                # unchanged
        replace(BATCH[1], value=90.0),                           # revised
        replace(BATCH[2], commentary="Not yet published"),       # updated
        obs("cp-visits", "Stroud", "Oct-21", 84.0),              # inserted
    ]
    assert store.save_observations(batch, "second.csv") == SaveCounts(
        inserted=1, revised=1, updated=1, unchanged=1)
    assert store.counts()["observations"] == 4


@pytest.mark.parametrize("scratch_rows", [bulk.SCRATCH_ROWS, 1], ids=["small", "scratch"])
def test_new_rows_above_and_among_the_stored_keys(store: Store, scratch_rows: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows of a new series (keys above every stored one: PostgreSQL copies them straight
    in) and a new month of an earlier series (a key among the stored ones) are both
    inserted, named by the save that brought them; a save that changes nothing records no
    load. Also with every save staged in SQLite's scratch file (with the primary key for
    the first, without it for the others)."""
    monkeypatch.setattr(bulk, "SCRATCH_ROWS", scratch_rows)
    store.save_observations(BATCH, "first.csv")
    batch = [*BATCH, obs("cp-visits", "Cheltenham", "Oct-21", 70.0),
             obs("cp-visits", "Tewkesbury", "Sep-21", 60.0),
             obs("cp-visits", "Tewkesbury", "Oct-21", 61.0)]
    assert store.save_observations(batch, "second.csv") == SaveCounts(inserted=3, unchanged=3)
    assert store.save_observations(batch, "third.csv") == SaveCounts(unchanged=6)
    rows = table_rows(store, observations, "area", "period_end")
    assert [(r["area"], str(r["period_end"]), r["source"]) for r in rows] == [
        ("Cheltenham", "2021-09-30", "first.csv"), ("Cheltenham", "2021-10-31", "second.csv"),
        ("Stroud", "2021-08-31", "first.csv"), ("Stroud", "2021-09-30", "first.csv"),
        ("Tewkesbury", "2021-09-30", "second.csv"), ("Tewkesbury", "2021-10-31", "second.csv"),
    ]
    with store.engine.connect() as conn:
        loads = conn.execute(sa.select(observation_loads.c.source)
                             .order_by(observation_loads.c.load_id)).scalars().all()
    assert loads == ["first.csv", "second.csv"]


def test_saving_nothing_changes_nothing(store: Store) -> None:
    """An empty batch returns zero counts."""
    assert store.save_observations([], "empty.csv") == SaveCounts()
    assert store.save_risks([], "empty.csv") == SaveCounts()
    assert store.save_cases([], "empty.csv") == SaveCounts()
    assert sum(store.counts().values()) == 0


# --- risks and cases --------------------------------------------------------------------------


def test_save_risks_upserts_by_risk_and_period(store: Store) -> None:
    """Risk scores are upserted on (risk, period end): changed rows update, new ones insert."""
    first = [risk("SR7.5", "Jun-21", 8.0, level="Moderate", owner="Spencer, Chris"),
             risk("SR7.2", "Jun-21", 8.0, level="Moderate")]
    assert store.save_risks(first, "risks.csv") == SaveCounts(inserted=2)
    assert store.save_risks(first, "risks.csv") == SaveCounts(unchanged=2)
    second = [replace(first[0], score=12.0, likelihood=3, impact=4), first[1],
              risk("SR7.5", "Sep-21", 12.0, level="Moderate")]
    assert store.save_risks(second, "risks-v2.csv") == SaveCounts(inserted=1, updated=1,
                                                                  unchanged=1)
    got = [(r["risk_id"], r["period_end"], r["score"], r["likelihood"], r["impact"], r["source"])
           for r in table_rows(store, risk_scores, "risk_id", "period_end")]
    assert got == [
        ("SR7.2", date(2021, 6, 30), 8.0, None, None, "risks.csv"),
        ("SR7.5", date(2021, 6, 30), 12.0, 3, 4, "risks-v2.csv"),
        ("SR7.5", date(2021, 9, 30), 12.0, None, None, "risks-v2.csv"),
    ]
    frame = store.risk_frame()
    assert frame.risk_ids == ("SR7.2", "SR7.5")
    assert frame.score.tolist() == [8.0, 12.0, 12.0]
    assert dict(frame.owners) == {"SR7.5": "Spencer, Chris"}


def test_save_cases_upserts_by_child_plan_and_start(store: Store) -> None:
    """A plan that closes later updates its row; a second plan for the child is new."""
    open_plan = case("C1", date(2019, 8, 1), worker="Worker 1", previous_plans=0)
    assert store.save_cases([open_plan, case("C2", date(2020, 1, 6))], "cases.csv") == \
        SaveCounts(inserted=2)
    closed = replace(open_plan, end_date=date(2021, 2, 1))
    again = case("C1", date(2021, 6, 1), previous_plans=1)
    cin = case("C1", date(2019, 8, 1), plan_type="CIN")
    assert store.save_cases([closed, again, cin, case("C2", date(2020, 1, 6))],
                            "cases-v2.csv") == SaveCounts(inserted=2, updated=1, unchanged=1)
    got = [(r["child_id"], r["plan_type"], r["start_date"], r["end_date"], r["previous_plans"])
           for r in table_rows(store, case_records, "child_id", "plan_type", "start_date")]
    assert got == [
        ("C1", "CIN", date(2019, 8, 1), None, None),
        ("C1", "CP", date(2019, 8, 1), date(2021, 2, 1), 0),
        ("C1", "CP", date(2021, 6, 1), None, 1),
        ("C2", "CP", date(2020, 1, 6), None, None),
    ]
    frame = store.case_frame()
    assert sorted(frame.child_id.tolist()) == ["C1", "C1", "C1", "C2"]


def test_observations_saved_as_columns_match_records(store: Store) -> None:
    """Columns with absent (None) columns store NULLs and count like the same records."""
    batch = ObservationColumns(
        measure_id=["cp-visits", "cp-visits"], area=["Stroud", "Cheltenham"],
        period_end=[date(2021, 9, 30), date(2021, 9, 30)], period_kind=["month", "month"],
        value=[82.0, None], raw_value=[None, "n/a"])
    assert store.save_observation_columns([batch], "columns.csv") == SaveCounts(inserted=2)
    by_columns = table_rows(store, observations, "area")
    assert [(r["area"], r["value"], r["raw_value"], r["target"], r["comparators"],
             r["revision"], r["source"]) for r in by_columns] == [
        ("Cheltenham", None, "n/a", None, None, 1, "columns.csv"),
        ("Stroud", 82.0, None, None, None, 1, "columns.csv"),
    ]
    records = [obs("cp-visits", "Stroud", "Sep-21", 82.0, None),
               obs("cp-visits", "Cheltenham", "Sep-21", None, None, raw_value="n/a")]
    assert store.save_observations(records, "columns.csv") == SaveCounts(unchanged=2)


def test_observation_columns_in_several_batches_count_once(store: Store) -> None:
    """Batches are staged together and merged once: new and stored rows counted apart."""
    store.save_observations(BATCH[:1], "first.csv")
    batches = [ObservationColumns.from_records(BATCH[:2]),
               ObservationColumns.from_records(BATCH[2:]),
               ObservationColumns.from_records([])]
    assert store.save_observation_columns(batches, "second.csv") == SaveCounts(
        inserted=2, unchanged=1)
    assert store.save_observation_columns([], "third.csv") == SaveCounts()


# --- reading ----------------------------------------------------------------------------------


def test_observation_frame_read_in_chunks_is_the_whole_frame(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read two rows at a time, the frame equals one built from the same records."""
    records = [obs(m, a, p, v) for m, a, p, v in (
        ("re-referrals", "Stroud", "Sep-21", 22.0), ("cp-visits", "Stroud", "Sep-21", 82.0),
        ("cp-visits", "Cheltenham", "Sep-21", None), ("cp-visits", "Stroud", "Q1 2021/22", 79.0),
        ("cp-visits", "Stroud", "Aug-21", 80.0))]
    store.save_observations(records, "scrambled.csv")
    monkeypatch.setattr(store_module, "_READ_ROWS", 2)
    read = store.observation_frame()
    built = ObservationFrame.from_records(records)
    assert (read.measure_ids, read.areas) == (built.measure_ids, built.areas)
    for column in ("measure", "area", "period_end", "kind", "value", "target"):
        assert np.array_equal(getattr(read, column), getattr(built, column), equal_nan=True)
    assert len(set(read.row_id.tolist())) == len(records)




def test_observation_frame_is_sorted_with_nan_for_missing(store: Store) -> None:
    """Rows come back sorted by measure, area, period end, with NaN for missing values."""
    store.save_observations([
        obs("re-referrals", "Stroud", "Sep-21", 22.0, None),
        obs("cp-visits", "Stroud", "Sep-21", 82.0),
        obs("cp-visits", "Cheltenham", "Sep-21", None, raw_value="?"),
        obs("cp-visits", "Stroud", "Q1 2021/22", 79.0),
        obs("cp-visits", "Stroud", "Aug-21", 80.0),
    ], "scrambled.csv")
    frame = store.observation_frame()
    got = [(frame.measure_ids[m], frame.areas[a], date.fromordinal(int(p)))
           for m, a, p in zip(frame.measure, frame.area, frame.period_end, strict=True)]
    assert got == [
        ("cp-visits", "Cheltenham", date(2021, 9, 30)),
        ("cp-visits", "Stroud", date(2021, 6, 30)),
        ("cp-visits", "Stroud", date(2021, 8, 31)),
        ("cp-visits", "Stroud", date(2021, 9, 30)),
        ("re-referrals", "Stroud", date(2021, 9, 30)),
    ]
    values = frame.value.tolist()
    assert math.isnan(values[0])
    assert values[1:] == [79.0, 80.0, 82.0, 22.0]
    targets = frame.target.tolist()
    assert targets[:4] == [75.0, 75.0, 75.0, 75.0]
    assert math.isnan(targets[4])
    assert [frame.period(i).label for i in range(len(frame))] == [
        "Sep-21", "Q1 2021/22", "Aug-21", "Sep-21", "Sep-21"]


def test_observation_frame_until_drops_later_periods(store: Store) -> None:
    """observation_frame(until) keeps only periods ending on or before that date."""
    store.save_observations(BATCH, "first.csv")
    frame = store.observation_frame(until=date(2021, 9, 29))
    assert len(frame) == 1
    assert frame.value.tolist() == [80.0]
    assert len(store.observation_frame(until=date(2021, 9, 30))) == 3


def test_observation_frame_names_a_series_added_while_it_reads(store: Store) -> None:
    """A save that commits a new series between the frame's statements (they share no
    snapshot) leaves the read whole: every series read is named."""
    store.save_observations(BATCH, "first.csv")
    writer = Store.open(store.engine.url.render_as_string(hide_password=False),
                        migrate_schema=False)
    saved: list[SaveCounts] = []

    def save_meanwhile(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM observation_values" in statement and not saved:
            saved.append(writer.save_observations(
                [obs("new-measure", "Tewkesbury", "Sep-21", 12.0)], "second.csv"))

    sa.event.listen(store.engine, "before_cursor_execute", save_meanwhile)
    try:
        frame = store.observation_frame()
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", save_meanwhile)
        writer.close()
    assert saved == [SaveCounts(inserted=1)]
    assert (frame.measure_ids, frame.areas) == (("cp-visits", "new-measure"),
                                                ("Cheltenham", "Stroud", "Tewkesbury"))
    assert len(frame) == 4


def test_observation_frame_with_a_series_id_far_above_the_others(store: Store) -> None:
    """Series ids can have gaps (a PostgreSQL sequence burns values on conflicts and
    restores); reading costs memory per series read, not per possible id."""
    store.save_observations(BATCH, "first.csv")
    with store.engine.begin() as conn:
        conn.execute(observation_series.insert().values(
            series_id=2_000_000_000, measure_id="cp-visits", area="Tewkesbury"))
    store.save_observations([obs("cp-visits", "Tewkesbury", "Sep-21", 64.0)], "second.csv")
    frame = store.observation_frame()
    assert frame.areas == ("Cheltenham", "Stroud", "Tewkesbury")
    rows = {frame.areas[a]: float(v) for a, v in zip(frame.area, frame.value, strict=True)
            if not math.isnan(v)}
    assert rows["Tewkesbury"] == 64.0
    assert int(frame.row_id[list(frame.area).index(2)]) == observation_id(
        2_000_000_000, date(2021, 9, 30))


def test_observation_frame_of_an_empty_store(store: Store) -> None:
    """An empty store gives an empty frame."""
    frame = store.observation_frame()
    assert len(frame) == 0
    assert frame.measure_ids == ()


def test_observation_extras_by_row_id(store: Store) -> None:
    """Extras (comparators, counts, commentary, raw marker) are fetched by row id."""
    store.save_observations([
        obs("cp-visits", "Stroud", "Sep-21", 69.5, comparators={"england": 60.1,
                                                                "stat_neighbours": 55.0},
            numerator=139.0, denominator=200.0, commentary="<p>Up</p>"),
        obs("cp-visits", "Cheltenham", "Sep-21", None, raw_value="Not published"),
        obs("cp-visits", "Tewkesbury", "Sep-21", 71.0),  # nothing more stored: no entry
    ], "obs.csv")
    frame = store.observation_frame()
    ids = {frame.areas[a]: int(i) for a, i in zip(frame.area, frame.row_id, strict=True)}
    extras = store.observation_extras([ids["Stroud"], ids["Cheltenham"], ids["Tewkesbury"],
                                       999_999])
    assert extras == {
        ids["Stroud"]: ObservationExtras({"england": 60.1, "stat_neighbours": 55.0}, 139.0,
                                         200.0, "<p>Up</p>", None),
        ids["Cheltenham"]: ObservationExtras({}, None, None, None, "Not published"),
    }
    assert frame.extras([ids["Cheltenham"]]) == {ids["Cheltenham"]: extras[ids["Cheltenham"]]}
    assert store.observation_extras([]) == {}


def test_counts_per_table(store: Store) -> None:
    """counts() gives the number of rows in each table users care about."""
    store.save_observations(BATCH[:2], "obs.csv")
    store.save_risks([risk("SR7.5", "Sep-21", 12.0)], "risks.csv")
    store.save_cases([case("C1", date(2019, 8, 1)), case("C2", date(2019, 8, 1)),
                      case("C3", date(2019, 8, 1))], "cases.csv")
    assert store.quarantine([RejectedRow("obs.csv", 4, "observations", "area is blank",
                                         {"area": ""})]) == 1
    assert store.counts() == {"observations": 2, "risk_scores": 1, "case_records": 3,
                              "rejected_rows": 1}


def test_store_open_on_a_new_sqlite_path_creates_it(tmp_path: Path) -> None:
    """Opening a SQLite URL in a missing folder creates the folder and a migrated database."""
    path = tmp_path / "data" / "nested" / "alerting.sqlite3"
    with Store.open(f"sqlite:///{path}") as opened:
        assert path.exists()
        assert opened.dialect == "sqlite"
        assert opened.counts() == {"observations": 0, "risk_scores": 0, "case_records": 0,
                                   "rejected_rows": 0}


def test_events_saved_and_read_by_kind(store: Store) -> None:
    """Events upsert by (child, kind, start date); a care leaver (no start) by child; the
    frame reads the kinds asked for, with their named dates."""
    from alerting.model.events import EventKind, EventRecord

    first = [
        EventRecord("C1", EventKind.REFERRAL, date(2023, 5, 1), team="Stroud"),
        EventRecord("C1", EventKind.ASSESSMENT, date(2023, 5, 2), None, "Stroud",
                    dates={"referral_date": date(2023, 5, 1)}),
        EventRecord("C2", EventKind.CARE_LEAVER, None, worker="W1",
                    dates={"latest_review": date(2023, 1, 1)}),
    ]
    assert store.save_events(first, "a.csv") == SaveCounts(inserted=3)
    assert store.save_events(first, "a.csv") == SaveCounts(unchanged=3)
    later = [EventRecord("C1", EventKind.ASSESSMENT, date(2023, 5, 2), date(2023, 6, 20),
                         "Stroud", dates={"referral_date": date(2023, 5, 1)}),
             EventRecord("C2", EventKind.CARE_LEAVER, None, worker="W2",
                         dates={"latest_review": date(2023, 7, 1)})]
    assert store.save_events(later, "b.csv") == SaveCounts(updated=2)
    frame = store.event_frame([EventKind.ASSESSMENT, "care_leaver"])
    assert frame.child_id == ["C1", "C2"]
    assert frame.end_date == [date(2023, 6, 20), None]
    assert frame.worker == [None, "W2"]
    assert frame.date("latest_review") == [None, date(2023, 7, 1)]
    assert store.event_counts() == {"referral": 1, "assessment": 1, "care_leaver": 1}


def test_store_as_a_context_manager_closes_on_error(tmp_path: Path) -> None:
    """`with Store.open(...) as store:` gives the store and closes it when the block raises."""
    closed: list[Store] = []

    class Recording(Store):
        def close(self) -> None:
            closed.append(self)
            super().close()

    with pytest.raises(RuntimeError, match="mid-block"), \
            Recording.open(f"sqlite:///{tmp_path / 'alerting.sqlite3'}") as opened:
        assert isinstance(opened, Recording)
        assert opened.counts()["observations"] == 0
        assert opened.engine.pool.checkedin() == 1
        raise RuntimeError("mid-block")
    assert closed == [opened]
    assert opened.engine.pool.checkedin() == 0  # disposed
