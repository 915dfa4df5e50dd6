"""Form fields the proposals and the idea bank share: who you are, and the age declaration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, EmailField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length


def name_field() -> StringField:
    return StringField(
        _l("Your name"),
        validators=[
            DataRequired(message=_l("Enter your name.")),
            Length(max=200, message=_l("The name is too long.")),
        ],
        render_kw={"autocomplete": "name"},
    )


def email_field() -> EmailField:
    return EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(message=_l("Enter your e-mail address.")),
            Email(message=_l("Enter a valid e-mail address, like name@example.dk.")),
            Length(max=254, message=_l("The e-mail address is too long.")),
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


def birth_date_field() -> DateField:
    """The scheme's age rule is checked against it; only the check's result is kept."""
    return DateField(
        _l("Date of birth"),
        validators=[InputRequired(message=_l("Enter your date of birth, like 1990-05-31."))],
        render_kw={"autocomplete": "bday"},
    )


def declaration_field() -> BooleanField:
    return BooleanField(
        _l("I declare that the information is true and that I meet the age rule"),
        validators=[DataRequired(message=_l("Confirm the declaration."))],
    )
