"""Forms of the questionnaire builder.

Texts a citizen sees are asked once per language the questionnaire offers, so the design,
page and question forms are built per questionnaire: ``design_form(languages)`` and
``question_form(type, languages)`` add one field per language (``title_da``, ``title_en``,
...), and the question form only the settings its type uses (``questions.SETTINGS``).
Options are typed one per line, ``code|Danish label|English label`` (the labels in the
order of the questionnaire's languages), so the builder works without JavaScript.
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    Field,
    FloatField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from core.input_checks import SingleLine
from surveys.questionnaires.models import Question, QuestionType, Texts
from surveys.questionnaires.questions import SETTINGS, WITH_CHOICES

T = QuestionType
#: The question types in the order the type picker offers them, with their names for staff.
TYPE_NAMES = {
    T.SINGLE_CHOICE: _l("Single choice (radio buttons or a dropdown)"),
    T.MULTIPLE_CHOICE: _l("Multiple choice"),
    T.RATING: _l("Rating scale (e.g. 1-5)"),
    T.SCALE_0_10: _l("Scale from 0 to 10"),
    T.GRID: _l("Grid (several statements on one scale)"),
    T.RANKING: _l("Ranking"),
    T.NUMBER: _l("Number"),
    T.DATE: _l("Date"),
    T.SHORT_TEXT: _l("Short text"),
    T.LONG_TEXT: _l("Long text"),
    T.INFORMATION: _l("Information text (nothing to answer)"),
}
#: Texts shown to citizens, asked in every offered language: (name, label, help, long?).
CITIZEN_FIELDS = (
    ("title", _l("Title"), None, False),
    (
        "introduction",
        _l("Introduction"),
        _l("Shown before the first question. Say in plain words what the questionnaire is about."),
        True,
    ),
    (
        "purpose",
        _l("1. Purpose"),
        _l("Why are we asking? Shown to citizens, so write it in plain language."),
        True,
    ),
    (
        "commissioned_by",
        _l("Who asked for it"),
        _l("A committee, a council or a department; shown to citizens."),
        False,
    ),
    (
        "influence",
        _l("What the answers can influence"),
        _l("Shown before the first question, in plain language: what can change because of it?"),
        True,
    ),
)
#: Checklist questions 2-5 of Region Nordjylland, for staff only: (name, label, help).
CHECKLIST_FIELDS = (
    ("target_group", _l("2. Target group"), _l("Who should answer, and who might be left out?")),
    (
        "resources",
        _l("3. Resources"),
        _l("What does it cost in time and money, and does that fit the purpose?"),
    ),
    (
        "decision_process",
        _l("4. Where in the decision process"),
        _l("When do the answers come in: before a decision, while options are still open?"),
    ),
    (
        "decision_authority",
        _l("5. How much influence"),
        _l("Are citizens informed, consulted, or do they decide? Who answers them afterwards?"),
    ),
)


def language_label(label: Any, language: str) -> str:
    return f"{label} ({language})"


class _LanguageForm(FlaskForm):
    """A form with fields per language, named ``<name>_<language>``."""

    languages: ClassVar[list[str]] = []

    def texts(self, name: str) -> list[Field]:
        return [self[f"{name}_{lang}"] for lang in self.languages if f"{name}_{lang}" in self]

    def texts_data(self, name: str) -> Texts:
        return {
            lang: (self[f"{name}_{lang}"].data or "").strip()
            for lang in self.languages
            if f"{name}_{lang}" in self and (self[f"{name}_{lang}"].data or "").strip()
        }

    def fill_texts(self, name: str, texts: Texts) -> None:
        for lang in self.languages:
            if f"{name}_{lang}" in self:
                self[f"{name}_{lang}"].data = texts.get(lang, "")


def _add_texts(cls: type, name: str, label: Any, languages: list[str], long: bool) -> None:
    kind = TextAreaField if long else StringField
    one_line = [] if long else [SingleLine()]  # titles go into mail subjects
    for lang in languages:
        validators = [Optional(), Length(max=5000), *one_line]
        field = kind(language_label(label, lang), validators=validators)
        setattr(cls, f"{name}_{lang}", field)


def parse_languages(text: str) -> list[str]:
    """ "da, en ar" -> ["da", "en", "ar"]; create_questionnaire checks the codes."""
    return [code.strip().lower() for code in text.replace(",", " ").split() if code.strip()]


class DesignForm(_LanguageForm):
    language_codes = StringField(
        _l("Languages offered"),
        validators=[DataRequired(message=_l("Give at least Danish and English: da, en."))],
        default="da, en",
    )
    results_published_on = DateField(_l("Results published on"), validators=[Optional()])


def design_form(languages: list[str], **kwargs: Any) -> DesignForm:
    class Form(DesignForm):
        pass

    Form.languages = list(languages)
    for name, label, _help, long in CITIZEN_FIELDS:
        _add_texts(Form, name, label, languages, long)
    for name, label, _help in CHECKLIST_FIELDS:
        setattr(Form, name, TextAreaField(label, validators=[Optional(), Length(max=5000)]))
    return Form(**kwargs)


class PageForm(_LanguageForm):
    condition = StringField(_l("Show the page only when"), validators=[Optional()])


def page_form(languages: list[str], **kwargs: Any) -> PageForm:
    class Form(PageForm):
        pass

    Form.languages = list(languages)
    _add_texts(Form, "title", _l("Page heading"), languages, False)
    return Form(**kwargs)


class TypePickerForm(FlaskForm):
    """A GET form: picking a type changes nothing, it only opens that type's form."""

    class Meta:
        csrf = False

    type = RadioField(
        _l("What kind of question?"),
        choices=[SelectChoice(kind.value, name) for kind, name in TYPE_NAMES.items()],
        validators=[InputRequired(message=_l("Choose a kind of question."))],
    )


def _option_lines(text: str, languages: list[str], what: str) -> list[tuple[str, dict[str, str]]]:
    """Lines ``code|label|label`` -> [(code, {lang: label})]; raises ValidationError."""
    specs = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) > len(languages) + 1:
            raise ValidationError(
                _(
                    "%(what)s line %(n)d has more labels than the questionnaire has languages.",
                    what=what,
                    n=number,
                )
            )
        labels = {lang: label for lang, label in zip(languages, parts[1:], strict=False) if label}
        specs.append((parts[0], labels))
    return specs


class QuestionForm(_LanguageForm):
    question_type: QuestionType = T.SHORT_TEXT
    key = StringField(_l("Key"), validators=[Optional(), Length(max=40)])
    required = BooleanField(_l("An answer is required"))
    condition = StringField(_l("Show the question only when"), validators=[Optional()])

    def validate_options(self, field: Field) -> None:
        _option_lines(field.data or "", self.languages, str(_("Options")))

    def validate_statements(self, field: Field) -> None:
        _option_lines(field.data or "", self.languages, str(_("Statements")))

    def settings(self) -> dict[str, Any]:
        """The keyword arguments of add_question / update_question that this form sets."""
        kind = self.question_type
        values: dict[str, Any] = {"text": self.texts_data("text"), "hint": self.texts_data("hint")}
        values["condition"] = (self.condition.data or "").strip() or None
        if kind is not T.INFORMATION:
            values["required"] = bool(self.required.data)
            values["validation_message"] = self.texts_data("validation_message")
        for name in SETTINGS[kind]:
            if name in ("low_label", "high_label"):
                values[name] = self.texts_data(name)
            elif name == "pattern":
                values[name] = (self.pattern.data or "").strip() or None
            elif name == "min_value" and kind is T.RATING:
                values[name] = float(self.min_value.data)
            else:
                values[name] = self[name].data
        if kind in WITH_CHOICES:
            values["options"] = _option_lines(self.options.data or "", self.languages, "")
        if kind is T.GRID:
            values["statements"] = _option_lines(self.statements.data or "", self.languages, "")
        return values

    def fill(self, question: Question) -> None:
        """Show an existing question's settings in the form."""
        self.key.data = question.key
        for name in ("text", "hint", "validation_message", "low_label", "high_label"):
            self.fill_texts(name, getattr(question, name))
        self.required.data = question.required
        self.condition.data = question.condition or ""
        for name in SETTINGS[question.type]:
            if name in ("low_label", "high_label"):
                continue
            value = getattr(question, name)
            if name == "min_value" and question.type is T.RATING:
                value = str(int(value or 0))
            elif name == "max_value" and question.type is T.RATING:
                value = int(value or 5)
            self[name].data = value if value is not None else None
        if "options" in self:
            self.options.data = _lines(question.choices, self.languages)
        if "statements" in self:
            self.statements.data = _lines(question.statements, self.languages)


def _lines(options: list[Any], languages: list[str]) -> str:
    return "\n".join(
        "|".join([option.code, *(option.label.get(lang, "") for lang in languages)])
        for option in options
    )


OPTIONS_HELP = _l(
    "One per line: a code (letters, digits, _ . -; stored with the answers and used in "
    "conditions), then the label in each language, separated by |, e.g. yes|Ja|Yes."
)


def question_form(kind: QuestionType, languages: list[str], **kwargs: Any) -> QuestionForm:
    """The form for a question of ``kind``: common fields, then what the type needs."""

    class Form(QuestionForm):
        pass

    Form.languages, Form.question_type = list(languages), kind
    _add_texts(Form, "text", _l("Question") if kind is not T.INFORMATION else _l("Text"),
               languages, True)  # fmt: skip
    _add_texts(Form, "hint", _l("Help text"), languages, False)
    if kind is not T.INFORMATION:
        _add_texts(Form, "validation_message", _l("Message when an answer is not valid"),
                   languages, False)  # fmt: skip
    settings = SETTINGS[kind]
    optional = [Optional()]
    if "display" in settings:
        Form.display = RadioField(
            _l("Show the options as"),
            choices=[
                SelectChoice("radio", _l("Radio buttons")),
                SelectChoice("dropdown", _l("A dropdown list")),
            ],
            default="radio",
        )
    if kind in WITH_CHOICES:
        label = _l("Scale points") if kind is T.GRID else _l("Options")
        Form.options = TextAreaField(label, validators=[DataRequired()])
    if kind is T.GRID:
        Form.statements = TextAreaField(_l("Statements"), validators=[DataRequired()])
    if "randomise_options" in settings:
        Form.randomise_options = BooleanField(_l("Show the options in random order"))
    if "min_selections" in settings:
        Form.min_selections = IntegerField(_l("Choose at least"), validators=optional)
        Form.max_selections = IntegerField(_l("Choose at most"), validators=optional)
    if kind is T.RATING:
        Form.min_value = RadioField(
            _l("The scale starts at"),
            choices=[SelectChoice("1", "1"), SelectChoice("0", "0")],
            default="1",
        )
        Form.max_value = IntegerField(
            _l("The scale ends at"), validators=[InputRequired()], default=5
        )
    elif "min_value" in settings:
        Form.min_value = FloatField(_l("Lowest allowed number"), validators=optional)
        Form.max_value = FloatField(_l("Highest allowed number"), validators=optional)
    if "whole_numbers" in settings:
        Form.whole_numbers = BooleanField(_l("Whole numbers only"))
    if "low_label" in settings:
        _add_texts(Form, "low_label", _l("Label of the lowest point"), languages, False)
        _add_texts(Form, "high_label", _l("Label of the highest point"), languages, False)
    if "dont_know" in settings:
        Form.dont_know = BooleanField(_l("Offer “Don't know”"))
    if "pattern" in settings:
        Form.pattern = StringField(
            _l("The answer must match (regular expression)"),
            validators=[Optional(), Length(max=500)],
        )
    return Form(**kwargs)


class ConfirmForm(FlaskForm):
    """Only the CSRF token: delete, move, duplicate, new version, mark ready."""


class JsonImportForm(FlaskForm):
    file = FileField(_l("JSON file"), validators=[FileRequired(message=_l("Choose a file."))])


class XlsFormImportForm(FlaskForm):
    file = FileField(
        _l("XLSForm workbook (.xlsx)"), validators=[FileRequired(message=_l("Choose a file."))]
    )
