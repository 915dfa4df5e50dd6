"""Forms of the idea bank: writing an idea, and staff moving it on."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from initiatives.ideas.models import STATE_LABELS, TOPICS, IdeaState


class IdeaForm(FlaskForm):
    topic = RadioField(
        _l("Topic"),
        choices=[SelectChoice(key, label) for key, label in TOPICS.items()],
        validators=[InputRequired(message=_l("Choose a topic."))],
    )
    title = StringField(
        _l("Your idea in a line"),
        validators=[
            DataRequired(message=_l("Give the idea a title.")),
            Length(max=200, message=_l("The title is too long.")),
        ],
    )
    text = TextAreaField(
        _l("Describe the idea"),
        validators=[
            DataRequired(message=_l("Describe the idea.")),
            Length(max=5_000, message=_l("The description is too long.")),
        ],
    )
    name = StringField(_l("Your name"), validators=[Optional(), Length(max=200)])
    email = EmailField(
        _l("E-mail"),
        validators=[
            Optional(),
            Email(message=_l("Enter a valid e-mail address, like name@example.dk.")),
            Length(max=254),
        ],
    )
    #: The page shows similar ideas instead of submitting (no JavaScript needed).
    check = SubmitField(_l("Look for similar ideas"))
    submit = SubmitField(_l("Submit the idea"))


def state_form(targets: list[IdeaState]) -> type[FlaskForm]:
    """A form offering the states the idea may move to next."""

    class StateForm(FlaskForm):
        state = RadioField(
            _l("New status"),
            choices=[SelectChoice(t.value, STATE_LABELS[t]) for t in targets],
            validators=[InputRequired(message=_l("Choose a status."))],
        )
        note = TextAreaField(
            _l("Note (the answer when answering, the reason when refusing)"),
            validators=[Length(max=10_000)],
        )

    return StateForm
