"""Forms of the panel's public and citizen pages (Flask-WTF, so every POST carries CSRF).

Every validation message is an explicit lazy string, so it appears in the reader's
language next to the field it belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar, cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Field,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from core.clock import today
from core.input_checks import SingleLine
from panel.demographics.models import Attribute, AttributeKind
from panel.members.operations import MemberDetails

#: Youngest and oldest age (reached this year) at which one can join.
MIN_AGE, MAX_AGE = 18, 110
#: Up to this many categories are radio buttons; more (e.g. municipalities) a drop-down.
MAX_RADIO_CHOICES = 6
LANGUAGE_CHOICES = [SelectChoice("da", "Dansk"), SelectChoice("en", "English")]


def _email_field() -> EmailField:
    return EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(message=_l("Enter your e-mail address.")),
            Email(message=_l("Enter a valid e-mail address, like name@example.dk.")),
            Length(max=254, message=_l("The e-mail address is too long.")),
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


def _language_field(label: Any) -> RadioField:
    return RadioField(
        label,
        choices=LANGUAGE_CHOICES,
        validators=[
            InputRequired(message=_l("Choose a language.")),
            AnyOf([c.value for c in LANGUAGE_CHOICES], message=_l("Choose a language.")),
        ],
        validate_choice=False,
    )


class StaffLoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(message=_l("Enter your e-mail address.")),
            Email(message=_l("Enter a valid e-mail address, like name@example.dk.")),
            Length(max=254),
        ],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(message=_l("Enter your password."))]
    )


class BirthYear:
    """Four digits that make the person MIN_AGE to MAX_AGE years old this year."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        raw = (field.data or "").strip()
        if not re.fullmatch(r"[0-9]{4}", raw):
            raise ValidationError(_("Write the year you were born with four digits, like 1980."))
        if not MIN_AGE <= today().year - int(raw) <= MAX_AGE:
            raise ValidationError(
                _(
                    "You must turn between %(low)s and %(high)s this year to join.",
                    low=MIN_AGE,
                    high=MAX_AGE,
                )
            )


class MemberForm(FlaskForm):
    """What joining and editing a profile ask; ``member_form_class`` adds the attributes."""

    #: Keys of the attributes the subclass asks for, each as field ``attr_<key>``.
    attribute_keys: ClassVar[tuple[str, ...]] = ()

    email = _email_field()
    birth_year = StringField(
        _l("Birth year"),
        validators=[InputRequired(message=_l("Enter the year you were born.")), BirthYear()],
        render_kw={"inputmode": "numeric", "autocomplete": "bday-year", "maxlength": "4"},
    )
    name = StringField(
        _l("Name"),
        validators=[
            Optional(),
            Length(max=200, message=_l("Use at most 200 characters.")),
            SingleLine(),
        ],
        render_kw={"autocomplete": "name"},
    )
    language = _language_field(_l("Language of pages and e-mails"))

    def attribute_fields(self) -> list[Field]:
        return [self[f"attr_{key}"] for key in self.attribute_keys]

    def member_details(self) -> MemberDetails:
        attributes = {
            key: value.strip()
            for key in self.attribute_keys
            if (value := self[f"attr_{key}"].data or "").strip()
        }
        return MemberDetails(
            email=self.email.data or "",
            birth_year=int(self.birth_year.data or 0),
            attributes=attributes,
            name=self.name.data or None,
            language=self.language.data or "da",
        )


class JoinForm(MemberForm):
    consent = BooleanField(
        _l("I have read the text about the panel and my data, and I want to join"),
        validators=[DataRequired(message=_l("Tick the box to join. We need your consent."))],
    )


class ProfileForm(MemberForm):
    """Editing a profile asks what joining asks, except the consent already given."""


def _attribute_field(attribute: Attribute, language: str) -> Field:
    label = attribute.label(language)
    if not attribute.categories:
        presence: Any = (
            InputRequired(message=_l("Fill in this field.")) if attribute.required else Optional()
        )
        return StringField(
            label,
            validators=[presence, Length(max=40, message=_l("Use at most 40 characters."))],
        )
    choices = [SelectChoice(c.code, c.label(language)) for c in attribute.categories]
    presence = (
        InputRequired(message=_l("Choose one of the options."))
        if attribute.required
        else Optional()
    )
    valid = AnyOf([c.value for c in choices], message=_l("Choose one of the options."))
    if len(choices) <= MAX_RADIO_CHOICES:
        return RadioField(
            label, choices=choices, validators=[presence, valid], validate_choice=False
        )
    return SelectField(
        label,
        choices=[SelectChoice("", _("Choose from the list")), *choices],
        validators=[presence, valid],
        validate_choice=False,
    )


F = TypeVar("F", bound=MemberForm)


def member_form_class(base: type[F], attributes: Sequence[Attribute], language: str) -> type[F]:
    """``base`` with one field per configured attribute, labelled in ``language``.

    Age bands are left out (they follow from the birth year). Built per request, because
    staff can change the attributes at any time.
    """
    fields: dict[str, Any] = {}
    for attribute in attributes:
        if attribute.kind is not AttributeKind.AGE_BAND:
            fields[f"attr_{attribute.key}"] = _attribute_field(attribute, language)
    keys = tuple(name.removeprefix("attr_") for name in fields)
    return cast(type[F], type(base.__name__, (base,), {**fields, "attribute_keys": keys}))


class LoginLinkForm(FlaskForm):
    email = _email_field()


class ActionForm(FlaskForm):
    """A button that changes something: a POST with its CSRF token and nothing else."""


class DayField(DateField):
    """A date field whose "not a date" message is ours, so it reads like the others."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_("Write the date like 2027-03-31.")) from error


class PauseForm(FlaskForm):
    until = DayField(
        _l("No invitations until and including"),
        validators=[InputRequired(message=_l("Choose a date."))],
    )


class LanguageForm(FlaskForm):
    language = _language_field(_l("Language of pages and e-mails"))
