"""When jobs run: crontab expressions as performance teams and server admins write them.

Five fields (`minute hour day month day-of-week`) as in crontab, or six with seconds first
(`*/5 * * * * *`, for trying a schedule out). Days of the week must be names (`mon-fri`):
crontab counts Sunday as 0 and APScheduler 3 counts Monday as 0, so a number would run
on the wrong day in one of them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

_FIELDS = ("minute", "hour", "day", "month", "day_of_week")
_NUMERIC_WEEKDAY = re.compile(r"(^|[,\-])\d")


def time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (e.g. Europe/London)") from None


def cron_trigger(expression: str, zone: tzinfo) -> CronTrigger:
    """A CronTrigger from a 5- or 6-field expression; ValueError says what is wrong."""
    fields = expression.split()
    if len(fields) not in (5, 6):
        raise ValueError(f"cron must have 5 fields (minute hour day month day-of-week) or 6 "
                         f"with seconds first, got {len(fields)}: {expression!r}")
    names = (("second", *_FIELDS) if len(fields) == 6 else _FIELDS)
    values = dict(zip(names, fields, strict=True))
    weekday = values["day_of_week"]
    if weekday != "*" and _NUMERIC_WEEKDAY.search(weekday):
        raise ValueError(f"day of week must use names like mon-fri or sat,sun, got "
                         f"{weekday!r} (crontab and APScheduler number days differently)")
    if "/" in weekday:
        raise ValueError(f"day of week cannot have a step, got {weekday!r}: list the days "
                         "instead, e.g. mon,wed,fri (APScheduler 3 would drop or shift the step)")
    if "/" in values["month"] and re.search(r"[a-z]", values["month"], re.IGNORECASE):
        raise ValueError(f"month with a step must use numbers, got {values['month']!r} "
                         "(e.g. 1-12/3)")
    if values["day"] not in ("*", "?") and weekday not in ("*", "?"):
        raise ValueError(f"cron {expression!r} sets both day of month and day of week: crontab "
                         "runs on either, APScheduler only on both; keep one (use * for the other)")
    if len(fields) == 5:
        values["second"] = "0"
    try:
        return CronTrigger(timezone=zone, **values)
    except ValueError as exc:
        raise ValueError(f"cron {expression!r}: {exc}") from None


def next_fire(expression: str, zone: tzinfo, after: datetime) -> datetime | None:
    trigger = cron_trigger(expression, zone)
    fire: datetime | None = trigger.get_next_fire_time(None, after)
    return fire


def last_fire(trigger: CronTrigger, since: datetime, now: datetime) -> datetime | None:
    """The latest time the trigger fired in (since, now], or None: the run a worker that
    was down at that moment still owes, within its misfire grace time."""
    found: datetime | None = None
    fire: datetime | None = trigger.get_next_fire_time(None, since)
    for _ in range(100_000):  # a seconds schedule over a long grace time, at most
        if fire is None or fire > now:
            break
        found = fire
        # Step in UTC: local wall-clock arithmetic loses the repeated hour when the clocks
        # go back, and would find the same fire time again for ever.
        fire = trigger.get_next_fire_time(fire, fire.astimezone(UTC) + timedelta(microseconds=1))
    return found
