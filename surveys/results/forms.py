"""The staff form for weighting a wave: method, attributes, optional trimming bounds."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from surveys.results.models import WeightingMethod
from surveys.waves.forms import CheckboxesField

METHOD_NAMES = {
    WeightingMethod.RAKE: _l("Raking on each attribute's margin"),
    WeightingMethod.POSTSTRATIFY: _l("Post-stratification on the combinations of the attributes"),
}


class WeightingForm(FlaskForm):
    method = RadioField(
        _l("Method"),
        choices=[SelectChoice(m.value, label) for m, label in METHOD_NAMES.items()],
        default=WeightingMethod.RAKE.value,
        validators=[InputRequired()],
    )
    attributes = CheckboxesField(_l("Weight by"), validators=[InputRequired()])
    bound_low = FloatField(
        _l("Lowest weight, times the mean weight"), validators=[Optional(), NumberRange(0, 0.999)]
    )
    bound_high = FloatField(
        _l("Highest weight, times the mean weight"), validators=[Optional(), NumberRange(1.001)]
    )

    def validate(self, extra_validators: Any = None) -> bool:
        """Both bounds or neither (each field alone may be empty), and raking only."""
        valid = super().validate(extra_validators)
        low, high = self.bound_low.data, self.bound_high.data
        if (low is None) != (high is None):
            self.bound_high.errors = [*self.bound_high.errors, _l("Give both bounds, or neither.")]
            return False
        if high is not None and self.method.data == WeightingMethod.POSTSTRATIFY.value:
            self.bound_high.errors = [
                *self.bound_high.errors,
                _l("Trimming bounds apply to raking only."),
            ]
            return False
        return valid

    @property
    def bounds(self) -> tuple[float, float] | None:
        if self.bound_low.data is None or self.bound_high.data is None:
            return None
        return (float(self.bound_low.data), float(self.bound_high.data))
