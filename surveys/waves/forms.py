"""Forms for the staff wave pages: create a wave or a wave plan, move a wave, confirm an action.

Dates are local dates in the scheduler's time zone; ``surveys.waves.views`` turns them
into the stored UTC moments (invitations at 08:00, closing at the start of the day after
the closing date).
"""

from __future__ import annotations

from datetime import time
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FloatField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from core.jobs import JobOutcome
from surveys.waves.models import AllocationMode, WaveState

#: How each allocation mode reads on the pages.
ALLOCATION_NAMES = {
    AllocationMode.PROPORTIONAL_POPULATION: _l("In proportion to the population"),
    AllocationMode.PROPORTIONAL_PANEL: _l("In proportion to the panel"),
    AllocationMode.EQUAL: _l("The same in every stratum"),
}


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes, so no JavaScript or multi-select is needed."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DatesForm(FlaskForm):
    invitation_date = DateField(_l("Invitation date"), validators=[InputRequired()])
    closing_date = DateField(_l("Closing date"), validators=[InputRequired()])
    results_date = DateField(_l("Results date"), validators=[Optional()])

    def validate_closing_date(self, field: Any) -> None:
        start = self.invitation_date.data
        if start is not None and field.data is not None and field.data < start:
            raise ValidationError(_l("The closing date must not be before the invitation date."))


class DesignForm(FlaskForm):
    """The sample design a wave, or a plan's waves, start from: whom, how many, reminders."""

    reminder_after_days = IntegerField(
        _l("Remind after this many days"), default=7, validators=[InputRequired(), NumberRange(1)]
    )
    max_reminders = IntegerField(
        _l("Reminders at most"), default=2, validators=[InputRequired(), NumberRange(0, 10)]
    )
    stratify_by = CheckboxesField(_l("Stratify by"), validators=[Optional()])
    completes_wanted = IntegerField(
        _l("Completed answers wanted"),
        default=1000,
        validators=[InputRequired(), NumberRange(1)],
    )
    allocation_mode = RadioField(
        _l("Allocation"),
        choices=[SelectChoice(mode.value, name) for mode, name in ALLOCATION_NAMES.items()],
        default=AllocationMode.PROPORTIONAL_POPULATION.value,
        validators=[InputRequired()],
    )
    default_response_rate = FloatField(
        _l("Expected response rate (0 to 1)"),
        default=0.4,
        validators=[InputRequired(), NumberRange(0.01, 1)],
    )
    #: A percentage on the page (empty: everyone at once), a share (0-1] in the database.
    soft_launch_percent = IntegerField(
        _l("Soft launch: invite this percentage first"),
        default=100,
        validators=[Optional(), NumberRange(1, 100)],
    )

    def design(self) -> dict[str, Any]:
        """The form's values as ``SampleDesign`` columns."""
        return {
            "reminder_after_days": self.reminder_after_days.data,
            "max_reminders": self.max_reminders.data,
            "stratify_by": self.stratify_by.data or [],
            "completes_wanted": self.completes_wanted.data,
            "allocation_mode": AllocationMode(self.allocation_mode.data),
            "default_response_rate": self.default_response_rate.data,
            "soft_launch_share": (self.soft_launch_percent.data or 100) / 100,
        }


class WaveForm(DatesForm, DesignForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    questionnaire = SelectField(_l("Questionnaire"), coerce=int, validators=[InputRequired()])


class ConfirmForm(FlaskForm):
    """Only the CSRF token: pause, resume, cancel."""


#: How each state reads on the pages.
STATE_NAMES = {
    WaveState.PLANNED: _l("planned"),
    WaveState.PAUSED: _l("paused"),
    WaveState.OPEN: _l("open"),
    WaveState.CLOSED: _l("closed"),
    WaveState.CANCELLED: _l("cancelled"),
}

#: How each outcome of a scheduled job's run reads on the pages.
OUTCOME_NAMES = {
    JobOutcome.RUNNING: _l("running"),
    JobOutcome.OK: _l("done"),
    JobOutcome.FAILED: _l("failed"),
    JobOutcome.ABANDONED: _l("abandoned"),
}


class EntryForm(FlaskForm):
    """Staff type in a paper or telephone answer for an invited member."""

    member_id = IntegerField(
        _l("Member number"),
        validators=[InputRequired(_l("Enter the member's number.")), NumberRange(min=1)],
        description=_l("The number printed on the paper questionnaire, or the caller's."),
    )
    mode = RadioField(
        _l("How the answers were given"),
        choices=[SelectChoice("paper", _l("On paper")), SelectChoice("phone", _l("By telephone"))],
        default="paper",
        validators=[InputRequired(_l("Choose paper or telephone."))],
    )


#: Which week of the month a plan's waves start in.
WEEK_NAMES = {1: _l("first"), 2: _l("second"), 3: _l("third"), 4: _l("fourth")}


class PlanForm(DesignForm):
    """A wave plan: when its waves come round, and the design each new wave copies.

    The month and weekday choices are set by the view, in the page's language.
    """

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    questionnaire = SelectField(_l("Questionnaire"), coerce=int, validators=[InputRequired()])
    months = CheckboxesField(
        _l("Months"),
        coerce=int,
        default=[3, 9],
        validators=[DataRequired(_l("Choose at least one month."))],
    )
    week_of_month = SelectField(
        _l("Week of the month"),
        coerce=int,
        choices=[SelectChoice(week, name) for week, name in WEEK_NAMES.items()],
        default=1,
        validators=[InputRequired()],
    )
    weekday = SelectField(_l("Weekday"), coerce=int, default=0, validators=[InputRequired()])
    invitation_time = TimeField(
        _l("Invitation time"), default=time(8, 0), validators=[InputRequired()]
    )
    open_days = IntegerField(
        _l("Days open"), default=21, validators=[InputRequired(), NumberRange(1, 365)]
    )
    results_after_days = IntegerField(
        _l("Results this many days after closing"),
        default=60,
        validators=[InputRequired(), NumberRange(0, 3650)],
    )

    def validate_reminder_after_days(self, field: Any) -> None:
        days = self.open_days.data
        if days is not None and field.data is not None and field.data >= days:
            raise ValidationError(_l("Reminders must come before the wave closes."))

    def timetable(self) -> dict[str, Any]:
        """The form's values as ``WavePlan`` columns, besides the design."""
        return {
            "name": self.name.data,
            "months": sorted(self.months.data),
            "week_of_month": self.week_of_month.data,
            "weekday": self.weekday.data,
            "invitation_time": self.invitation_time.data,
            "open_days": self.open_days.data,
            "results_after_days": self.results_after_days.data,
        }
