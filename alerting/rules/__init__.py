"""Rule types: one module each, discovered at import so adding one needs no registry edit."""

from __future__ import annotations

import importlib
import pkgutil

from alerting.rules.base import (
    RULE_TYPES,
    EvaluationContext,
    EvaluationData,
    RagScheme,
    Rule,
    Selection,
)

# Modules beside the rule types: their contract, wording, and the stage that runs them.
_NOT_RULE_TYPES = {"base", "wording", "evaluation", "trends"}

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in _NOT_RULE_TYPES:
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["RULE_TYPES", "EvaluationContext", "EvaluationData", "RagScheme", "Rule", "Selection"]
