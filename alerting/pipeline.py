"""The pipeline in one place: load sources -> gather data -> evaluate rules.

Later stages (alert state, routing, rendering, delivery) join here as they are built.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from alerting.evaluation import Evaluation, evaluate
from alerting.loading import LoadReport, load_path
from alerting.rules import EvaluationContext, EvaluationData, RagScheme
from alerting.ruleset import RuleSet
from alerting.store import Store


def load_sources(store: Store, paths: Iterable[Path]) -> list[LoadReport]:
    reports: list[LoadReport] = []
    for path in paths:
        reports.extend(load_path(store, path))
    return reports


def gather(store: Store, ruleset: RuleSet) -> EvaluationData:
    """Read the stored data once, as columns, for every rule of a run.

    The whole history is read: rules look only at periods up to the as-of date, and one
    read serves many as-of dates (backtests) without going back to the database.
    """
    return EvaluationData(
        catalogue=ruleset.catalogue,
        observations=store.observation_frame(),
        risks=store.risk_frame(),
        cases=store.case_frame(),
    )


def evaluate_stored(store: Store, ruleset: RuleSet, as_of: date, *,
                    scheme: RagScheme = RagScheme.TARGET_WITH_TOLERANCE,
                    include_all: bool = False) -> Evaluation:
    store.sync_measures(ruleset.catalogue)
    data = gather(store, ruleset)
    context = EvaluationContext(as_of=as_of, rag_scheme=scheme, include_all=include_all)
    return evaluate(ruleset.enabled(), data, context)
