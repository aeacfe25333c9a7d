"""Delivery channels (email, Teams, webhook, file). Each knows only a rendered notice.

One module per channel, discovered at import: adding a channel means adding a module.
"""

from __future__ import annotations

import importlib
import pkgutil

from notifiers.base import (
    ADAPTIVE_CARD,
    EMAIL,
    JSON,
    MESSAGE_CARD,
    NOTIFIERS,
    ChannelOptions,
    DeliveryResult,
    InlineImage,
    Notice,
    Notifier,
)

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["ADAPTIVE_CARD", "EMAIL", "JSON", "MESSAGE_CARD", "NOTIFIERS", "ChannelOptions",
           "DeliveryResult", "InlineImage", "Notice", "Notifier"]
