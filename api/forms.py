"""Forms of the admins' API pages: tokens and webhook endpoints."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, InputRequired, Length

from api.models import Scope, WebhookEvent
from surveys.waves.forms import CheckboxesField

SCOPE_NAMES = {
    Scope.RESULTS_READ: _l("Read results summaries (aggregated and suppressed)"),
    Scope.MEMBERS_WRITE: _l("Manage members, including their personal data"),
    Scope.SURVEYS_WRITE: _l("Create questionnaires and waves"),
    Scope.ANSWERS_EXPORT: _l("Export answers with weights"),
}
EVENT_NAMES = {
    WebhookEvent.WAVE_OPENED: _l("A wave opens"),
    WebhookEvent.WAVE_CLOSED: _l("A wave closes"),
    WebhookEvent.RESULTS_PUBLISHED: _l("A wave's results are published"),
    WebhookEvent.PROPOSAL_THRESHOLD_REACHED: _l("A citizen proposal reaches its threshold"),
    WebhookEvent.PROPOSAL_ANSWERED: _l("A citizen proposal is answered"),
}


class TokenForm(FlaskForm):
    name = StringField(_l("What the token is for"), validators=[DataRequired(), Length(max=200)])
    scopes = CheckboxesField(
        _l("Scopes"),
        choices=[SelectChoice(s.value, label) for s, label in SCOPE_NAMES.items()],
        validators=[DataRequired(_l("Choose at least one scope."))],
    )
    expires_on = DateField(_l("Expires on"), validators=[InputRequired()])


class WebhookForm(FlaskForm):
    url = StringField(
        _l("Address (URL)"),
        validators=[DataRequired(), Length(max=500), URL(require_tld=False)],
    )
    events = CheckboxesField(
        _l("Events"),
        choices=[SelectChoice(e.value, label) for e, label in EVENT_NAMES.items()],
        validators=[DataRequired(_l("Choose at least one event."))],
    )
