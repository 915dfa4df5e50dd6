"""How an estimate is written, the one way the pages, the report and results mails write it.

A share is its percentage and its 95 % interval as the interval is, e.g. "4 % (1–13 %)",
and a median its value and interval, e.g. "12.0 (10.0–15.0)":
the logit interval is asymmetric near 0 and 100 %, so a "±" would misstate one side. An
average keeps "6.2 (± 0.3; 5.9–6.5)", its interval being symmetric. Where nothing is known
of the sampling error (one answer), the text says so instead of showing a margin of 0.
Decimals follow the current locale ("3,1" in Danish), as Flask-Babel formats them.
"""

from __future__ import annotations

from flask_babel import format_decimal, format_number
from flask_babel import gettext as _

from stats.change import Change
from stats.estimation import Estimate

#: One decimal, in the current locale's own notation ("3.1" in English, "3,1" in Danish).
ONE_DECIMAL = "#,##0.0"


def figure_parts(e: Estimate | None, kind: str) -> tuple[str, str]:
    """(the figure, its margin of error in words), e.g. ("45 %", "41–49 %")."""
    if e is None:
        return "–", ""
    if kind == "share":
        main = f"{e.estimate * 100:.0f} %"
        if not e.has_margin:
            return main, _("no margin of error from a single answer")
        return main, f"{e.low * 100:.0f}–{e.high * 100:.0f} %"
    main = format_decimal(e.estimate, ONE_DECIMAL)
    if not e.has_margin:
        return main, _("no margin of error from a single answer")
    if kind == "total":  # a population total: whole numbers
        total = format_number(round(e.estimate))
        margin = format_number(round(e.high - e.estimate))
        low, high = format_number(round(e.low)), format_number(round(e.high))
        return total, f"± {margin}; {low}–{high}"
    if kind == "median":  # Woodruff's interval: answers given, not symmetric
        return main, f"{format_decimal(e.low, ONE_DECIMAL)}–{format_decimal(e.high, ONE_DECIMAL)}"
    margin = format_decimal(e.high - e.estimate, ONE_DECIMAL)
    low, high = format_decimal(e.low, ONE_DECIMAL), format_decimal(e.high, ONE_DECIMAL)
    return main, f"± {margin}; {low}–{high}"


def figure(e: Estimate | None, kind: str) -> str:
    """The figure with its margin in brackets, as one line of text."""
    main, margin = figure_parts(e, kind)
    return f"{main} ({margin})" if margin else main


def margin_statement() -> str:
    """What a margin of error covers, said wherever margins are shown: the chance of who
    happened to answer, and nothing else, so that no reader takes it for more certainty."""
    return _(
        "The margin of error covers only chance: which citizens happened to answer. It does "
        "not cover what weighting cannot correct, such as people who answer differently from "
        "others like them, or questions understood in different ways."
    )


def change_sentence(label: str, change: Change) -> str:
    """A share's significant change since the previous wave, in points, with its interval."""

    def points(x: float) -> str:
        return ("+" if x > 0 else "") + format_decimal(x * 100, ONE_DECIMAL)

    return _(
        "%(option)s: %(change)s points since the previous wave (95 %% interval %(low)s to "
        "%(high)s points).",
        option=label, change=points(change.difference), low=points(change.low),
        high=points(change.high),
    )  # fmt: skip
