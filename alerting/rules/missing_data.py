"""`missing_data`: no value for a measure's latest expected period, or data older than its
frequency allows.

A monthly measure whose latest value is for June is overdue once July's period has ended
(plus any `grace` for the reporting lag). Catalogue measures with no data at all are reported
too, so a source that silently stopped is noticed.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from alerting.model.catalogue import Measure
from alerting.model.durations import Duration, DurationField
from alerting.model.findings import Finding, Status
from alerting.model.frames import period_from
from alerting.model.periods import month_period
from alerting.rules.base import EvaluationContext, EvaluationData, Rule
from alerting.rules.wording import subject_line


class MissingDataRule(Rule):
    """Fire when the next expected period (after the latest value) has passed."""

    rule_type = "missing_data"

    type: Literal["missing_data"]
    grace: DurationField = Duration(0, "d")

    def evaluate(self, data: EvaluationData, context: EvaluationContext) -> list[Finding]:
        frame, catalogue = data.observations, data.catalogue
        rows = self.select.latest_rows(frame, catalogue, context.as_of)
        known = frame.latest_rows(context.as_of, with_value=True)
        series_key = frame.measure * max(1, len(frame.areas)) + frame.area
        last_known = dict(zip(series_key[known].tolist(), known.tolist(), strict=True))
        findings = []
        for row in rows.tolist():
            measure = catalogue.get(frame.measure_ids[frame.measure[row]])
            area = frame.areas[frame.area[row]]
            valued = last_known.get(int(series_key[row]))
            basis = valued if valued is not None else row
            base_period = frame.period(basis)
            total = base_period.month_index + measure.frequency.months
            expected = month_period(total // 12, total % 12 + 1)
            overdue_from = self.grace.after(expected.end, context.calendar)
            if valued is not None and overdue_from > context.as_of:
                continue
            findings.append(self._finding(measure, area, valued, row, expected.end,
                                          data, context))
        # Only measures with no rows at all: data that starts after the as-of date is not missing.
        seen = set(frame.measure_ids)
        for measure in catalogue.measures.values():
            if measure.id not in seen and self.select.matches_measure(measure):
                findings.append(self._no_data(measure, context))
        return findings

    def _finding(self, measure: Measure, area: str, valued: int | None, latest: int,
                 expected_end: date, data: EvaluationData,
                 context: EvaluationContext) -> Finding:
        frame = data.observations
        latest_period = frame.period(latest)
        expected_label = period_from(expected_end.toordinal(),
                                     int(frame.kind[valued if valued is not None else latest])
                                     ).label
        if valued is None:
            message = (f"{subject_line(measure, area)}: no value in any period up to "
                       f"{latest_period.label}")
            value = None
            period = latest_period
        else:
            period = frame.period(valued)
            value = float(frame.value[valued])
            if latest != valued:
                missing = f"no value for {latest_period.label}"
            else:
                missing = f"no value for {expected_label}"
            message = (f"{subject_line(measure, area)}: {missing}; the latest value is "
                       f"{measure.unit.format_value(value)} for {period.label}")
        return Finding(
            rule=self.id, rule_type=self.rule_type, subject=measure.id,
            subject_title=measure.display_title, area=area, period=latest_period.end,
            period_label=latest_period.label, status=Status.BREACH, severity=self.severity,
            exception=True, message=message, value=value, target=None,
            labels=self.finding_labels(measure=measure.id, area=area,
                                       service_area=measure.service_area),
            details={"latest_value_period": period.end if valued is not None else None,
                     "expected_by": expected_end, "frequency": measure.frequency.value,
                     "grace": str(self.grace), "owner": measure.owner,
                     # What `alerting explain` needs to retell the deadline.
                     "latest_value_label": period.label if valued is not None else None,
                     "latest_label": latest_period.label, "expected_label": expected_label,
                     "overdue_from": self.grace.after(expected_end, context.calendar)},
        )

    def _no_data(self, measure: Measure, context: EvaluationContext) -> Finding:
        return Finding(
            rule=self.id, rule_type=self.rule_type, subject=measure.id,
            subject_title=measure.display_title, area=None, period=context.as_of,
            period_label=context.as_of.isoformat(), status=Status.BREACH, severity=self.severity,
            exception=True,
            message=f"{measure.display_title}: no data loaded for any period up to "
                    f"{context.as_of.isoformat()}",
            labels=self.finding_labels(measure=measure.id, service_area=measure.service_area),
            details={"frequency": measure.frequency.value, "owner": measure.owner},
        )
