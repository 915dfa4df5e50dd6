"""Forms of the proposal pages: writing, inviting, supporting; and the staff decisions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from initiatives.forms import birth_date_field, declaration_field, email_field, name_field


def _title_field() -> StringField:
    return StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Give the proposal a title.")),
            Length(max=200, message=_l("The title is too long.")),
        ],
    )


def _text_field() -> TextAreaField:
    return TextAreaField(
        _l("The proposal"),
        validators=[
            DataRequired(message=_l("Write the proposal.")),
            Length(max=10_000, message=_l("The proposal is too long.")),
        ],
    )


class ProposalForm(FlaskForm):
    """A new proposal and its main proposer."""

    title = _title_field()
    text = _text_field()
    name = name_field()
    email = email_field()
    birth_date = birth_date_field()
    declaration = declaration_field()


class DraftForm(FlaskForm):
    title = _title_field()
    text = _text_field()


class InviteForm(FlaskForm):
    email = email_field()


class AcceptForm(FlaskForm):
    name = name_field()
    birth_date = birth_date_field()
    declaration = declaration_field()


class SupportForm(FlaskForm):
    """Support without a panel login: confirmed by a link mailed to the address."""

    name = name_field()
    email = email_field()
    birth_date = birth_date_field()
    declaration = declaration_field()


class ScreeningForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("admit", _l("Publish it")),
            SelectChoice("reject", _l("Do not admit it")),
        ],
        validators=[InputRequired(message=_l("Choose a decision."))],
    )
    reason = TextAreaField(
        _l("Reason (published with the proposal)"),
        validators=[
            DataRequired(message=_l("Give the reason; it is published with the proposal.")),
            Length(max=5_000),
        ],
    )


class StatementForm(FlaskForm):
    """The council's decision, or what came of the proposal."""

    text = TextAreaField(
        _l("Text (published on the proposal's page)"),
        validators=[DataRequired(message=_l("Write the text.")), Length(max=10_000)],
    )


class PaperSupportForm(FlaskForm):
    name = name_field()
    birth_date = birth_date_field()
    email = StringField(
        _l("E-mail (if given on the form)"), validators=[Optional(), Length(max=254)]
    )
    note = StringField(
        _l("Note (where the paper form came from)"),
        validators=[DataRequired(message=_l("Write a note.")), Length(max=500)],
    )
