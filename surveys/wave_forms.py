"""Forms for the staff wave pages: create a wave, move it, confirm an action.

Dates are local dates in the scheduler's time zone; ``surveys.views_waves`` turns them
into the stored UTC moments (invitations at 08:00, closing at the start of the day after
the closing date).
"""

from __future__ import annotations

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

from surveys.wave_models import AllocationMode, WaveState

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


class WaveForm(DatesForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    questionnaire = SelectField(_l("Questionnaire"), coerce=int, validators=[InputRequired()])
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
