"""Forms of the staff pages. POST forms are Flask-WTF forms, so each carries a CSRF token;
the GET forms (filters) switch CSRF off, since they change nothing and must be linkable."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, SearchField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from panel.members.models import MemberStatus


class _GetForm(FlaskForm):
    class Meta:
        csrf = False


class CompositionPairForm(_GetForm):
    rows = SelectField(_l("Rows"), validators=[DataRequired()])
    columns = SelectField(_l("Columns"), validators=[DataRequired()])


class MemberSearchForm(_GetForm):
    q = SearchField(
        _l("E-mail or member number"),
        validators=[Optional(), Length(max=254)],
    )
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("All")),
            SelectChoice(MemberStatus.PENDING.value, _l("Pending")),
            SelectChoice(MemberStatus.ACTIVE.value, _l("Active")),
            SelectChoice(MemberStatus.LEFT.value, _l("Left")),
        ],
        default="",
        validators=[Optional()],
    )


def _csv_file() -> FileField:
    return FileField(_l("CSV file"), validators=[FileRequired(message=_l("Choose a CSV file."))])


class PopulationUploadForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Give the table a name.")), Length(max=200)],
    )
    source = StringField(_l("Source"), validators=[Optional(), Length(max=500)])
    file = _csv_file()


class MemberImportForm(FlaskForm):
    file = _csv_file()
    consent_given = BooleanField(_l("Consent was given on paper or by phone"))


class LabelsForm(FlaskForm):
    """The Danish and English labels every attribute and category has."""

    label_da = StringField(
        _l("Danish label"),
        validators=[DataRequired(message=_l("Enter a Danish label.")), Length(max=100)],
    )
    label_en = StringField(
        _l("English label"),
        validators=[DataRequired(message=_l("Enter an English label.")), Length(max=100)],
    )


class AttributeForm(LabelsForm):
    required = BooleanField(_l("Required when joining"))
    weighting = BooleanField(_l("Used for composition and weighting"))
    aliases = StringField(
        _l("Other column names in CSV files"), validators=[Optional(), Length(max=500)]
    )


class CategoryLabelsForm(LabelsForm):
    aliases = StringField(
        _l("Other spellings in CSV files"), validators=[Optional(), Length(max=500)]
    )


class CategoryForm(CategoryLabelsForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(message=_l("Enter a code.")),
            Length(max=40),
            Regexp(
                r"^[\w+-]+$",
                message=_l("Use letters, digits, - and + only."),
            ),
        ],
    )
    min_age = IntegerField(
        _l("From age"),
        validators=[Optional(), NumberRange(min=0, max=130)],
    )
    max_age = IntegerField(
        _l("To age"),
        validators=[Optional(), NumberRange(min=0, max=130)],
    )


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


def split_aliases(text: str | None) -> list[str]:
    return [alias.strip() for alias in (text or "").split(",") if alias.strip()]


class TwoFactorCodeForm(FlaskForm):
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[
            DataRequired(message=_l("Enter the six-digit code.")),
            Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message=_l("Enter the six-digit code.")),
        ],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
