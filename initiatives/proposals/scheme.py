"""The rules of the region's proposal scheme: how many supporters, within how long, from what age.

The Danish schemes differ (Folketinget: 50,000 supporters in 180 days, from 18; Region
Sjælland: 5,000 in six months; Aarhus Kommune: 1,500 in six months), so the scheme is a
setting: ``PROPOSAL_SCHEME`` names a preset, and ``PROPOSAL_THRESHOLD``,
``PROPOSAL_WINDOW_DAYS`` and ``PROPOSAL_MIN_AGE`` override its parts. A proposal copies the
rules in force when it is published, so changing the settings never moves the goalposts of
a proposal already collecting support.
"""

from __future__ import annotations

import calendar
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app


@dataclass(frozen=True)
class Scheme:
    #: Supporters needed before the council must treat the proposal.
    threshold: int
    #: The window for collecting support, in days or in calendar months (one of them).
    window_days: int | None = None
    window_months: int | None = None
    #: Youngest age (on the day of supporting) at which one may propose or support: 15 or 18.
    min_age: int = 18

    def closes_at(self, published_at: datetime) -> datetime:
        """When a proposal published at ``published_at`` stops collecting support."""
        if self.window_days is not None:
            return published_at + timedelta(days=self.window_days)
        return add_months(published_at, self.window_months or 6)


#: The schemes the issue names; a region checks the age rule of its own scheme.
PRESETS = {
    "folketinget": Scheme(threshold=50_000, window_days=180, min_age=18),
    "region_sjaelland": Scheme(threshold=5_000, window_months=6, min_age=18),
    "aarhus": Scheme(threshold=1_500, window_months=6, min_age=18),
}
ALLOWED_AGES = (15, 18)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later, or the month's last day when it is shorter."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def configure(app: Flask) -> None:
    """Read the scheme from the environment (unless the app's config already has one)."""
    app.config.setdefault(
        "SUPPORTER_RETENTION_DAYS", int(os.environ.get("SUPPORTER_RETENTION_DAYS", "90"))
    )
    app.config.setdefault(
        "PROPOSAL_RATE_LIMIT", os.environ.get("PROPOSAL_RATE_LIMIT", "5 per minute;30 per hour")
    )
    if "PROPOSAL_SCHEME_RULES" in app.config:
        return
    preset = PRESETS[os.environ.get("PROPOSAL_SCHEME", "region_sjaelland")]
    threshold = int(os.environ.get("PROPOSAL_THRESHOLD", preset.threshold))
    days = os.environ.get("PROPOSAL_WINDOW_DAYS")
    min_age = int(os.environ.get("PROPOSAL_MIN_AGE", preset.min_age))
    if min_age not in ALLOWED_AGES:
        raise ValueError(f"PROPOSAL_MIN_AGE must be 15 or 18, not {min_age}")
    app.config["PROPOSAL_SCHEME_RULES"] = Scheme(
        threshold=threshold,
        window_days=int(days) if days else preset.window_days,
        window_months=None if days else preset.window_months,
        min_age=min_age,
    )


def current_scheme() -> Scheme:
    scheme: Scheme = current_app.config["PROPOSAL_SCHEME_RULES"]
    return scheme
