"""The starter rule pack written beside the synthetic catalogue (rules.yaml)."""

from __future__ import annotations

# The comment names the module as it was before it became a package: kept, so the same seed
# still gives byte-identical files.
RULES_YAML = """\
# Starter rules for the synthetic catalogue (benchmarks/generate.py): the shipped pack's
# rule types and thresholds, selecting the generated measures by tag or all of them.
rules:
  - id: significantly-worse-than-target
    type: tolerance
    title: Significantly worse than target
    description: The latest value is worse than target by more than the measure's tolerance.
    severity: high
    include_amber: false
    labels:
      team: performance

  - id: three-period-decline
    type: decline
    title: Declined for the third period running
    description: Three consecutive periods of deterioration; a warning at the second.
    severity: medium
    periods: 3
    warn_at: 2

  - id: volumes-rising
    type: decline
    title: Volume rising for the third month
    description: Volumes have no polarity, so this rule says that increases count.
    severity: low
    direction: increase
    periods: 3
    select:
      tags: [volume]

  - id: data-missing
    type: missing_data
    title: Value missing or overdue
    description: No value for the latest expected period of a measure.
    severity: medium
    grace: 0d
    select:
      tags: [synthetic]

  - id: risk-score-rise
    type: risk_rise
    title: Strategic risk residual score rose
    description: The residual score is higher than in the previous period.
    severity: high
    at_least: 1
    only_on_level_change: false

  - id: cp-over-2y
    type: case_duration
    title: Children on a child protection plan for two years or more
    description: The current CP plan started two or more years ago and has not ended.
    severity: high
    older_than: 2y
    warn_after: 21m
    select:
      plan_types: [CP]
"""
