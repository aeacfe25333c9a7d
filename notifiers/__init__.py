"""Delivery channels (email, Teams, webhook, file). Each knows only a rendered notice.

One module per channel, discovered at import: adding a channel means adding a module (and,
for a form of its own, its default templates in alerting/rendering/templates/).
"""

from __future__ import annotations

import importlib
import pkgutil

from notifiers.base import (
    DOCUMENTS,
    EMAIL,
    EMAIL_ALERT_TEMPLATES,
    EMAIL_TEMPLATES,
    NOTIFIERS,
    ChannelOptions,
    DeliveryResult,
    Document,
    InlineImage,
    Notice,
    Notifier,
    alert_template_keys,
    declare,
    previewed_documents,
)

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

# The documents the shipped channels declare, by the names tests and older code use.
from notifiers.teams import ADAPTIVE_CARD, MESSAGE_CARD  # noqa: E402
from notifiers.webhook import JSON  # noqa: E402

__all__ = ["ADAPTIVE_CARD", "DOCUMENTS", "EMAIL", "EMAIL_ALERT_TEMPLATES", "EMAIL_TEMPLATES",
           "JSON", "MESSAGE_CARD", "NOTIFIERS", "ChannelOptions", "DeliveryResult", "Document",
           "InlineImage", "Notice", "Notifier", "alert_template_keys", "declare",
           "previewed_documents"]
