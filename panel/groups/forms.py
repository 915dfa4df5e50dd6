"""Forms of the focus-group pages (staff and members)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from panel.groups.models import KIND_LABELS


class GroupForm(FlaskForm):
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()],
        validators=[DataRequired()],
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    purpose = TextAreaField(
        _l("What the group is for"), validators=[DataRequired(), Length(max=5000)]
    )
    influence = TextAreaField(
        _l("What its advice can influence"), validators=[DataRequired(), Length(max=5000)]
    )
    size = IntegerField(
        _l("Number of members"),
        validators=[InputRequired(), NumberRange(min=1, max=1000)],
    )
    quotas = TextAreaField(_l("Quotas"), validators=[Optional(), Length(max=20000)])


class InviteForm(FlaskForm):
    count = IntegerField(
        _l("Members to invite"), validators=[InputRequired(), NumberRange(min=1, max=100_000)]
    )


class DrawForm(FlaskForm):
    seed = StringField(_l("Seed"), validators=[DataRequired(), Length(max=200)])


class AnswerForm(FlaskForm):
    answer = RadioField(
        _l("Will you take part if you are drawn?"),
        choices=[
            SelectChoice("yes", _l("Yes, put me in the lottery")),
            SelectChoice("no", _l("No, thank you")),
        ],
        validators=[InputRequired(message=_l("Choose yes or no."))],
    )
    street = StringField(_l("Street and number"), validators=[Optional(), Length(max=200)])
    postcode = StringField(_l("Postcode"), validators=[Optional(), Length(max=10)])
