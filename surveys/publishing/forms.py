"""The staff form for publishing a wave's results: public or not, and "you said, we did"."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField, TextAreaField
from wtforms.validators import Length


class PublishForm(FlaskForm):
    public = BooleanField(_l("Also publish the results on a public page"))
    you_said_we_did_da = TextAreaField(
        _l("You said, we did (Danish)"), validators=[Length(max=10_000)]
    )
    you_said_we_did_en = TextAreaField(
        _l("You said, we did (English)"), validators=[Length(max=10_000)]
    )
    #: Mail everyone who answered once more (e.g. after adding "you said, we did").
    mail_again = BooleanField(_l("Mail the results again to everyone who answered"))
    submit = SubmitField(_l("Publish"))

    def texts(self) -> dict[str, str]:
        return {
            "da": self.you_said_we_did_da.data or "",
            "en": self.you_said_we_did_en.data or "",
        }
