"""Builders for the questionnaire builder's tests: form data per type, a draft with a page."""

from __future__ import annotations

from extensions import db
from surveys.questionnaires.models import Questionnaire
from surveys.questionnaires.operations import add_page, create_questionnaire
from tests.questionnaire_sample import both


def _draft_with_page() -> Questionnaire:
    questionnaire = create_questionnaire(both("Test", "Test"))
    add_page(questionnaire, both("Side", "Page"))
    db.session.commit()
    return questionnaire


FORMS = {
    "single_choice": {"display": "dropdown", "options": "yes|Ja|Yes\nno|Nej|No"},
    "multiple_choice": {
        "options": "bus|Bus|Bus\ntrain|Tog|Train\nbike|Cykel|Bike",
        "min_selections": "1",
        "max_selections": "2",
        "randomise_options": "y",
    },
    "rating": {"min_value": "1", "max_value": "5", "low_label_da": "Dårlig", "dont_know": "y"},
    "scale_0_10": {"low_label_en": "Not at all", "high_label_en": "Certainly"},
    "grid": {"options": "1|Uenig|Disagree\n2|Enig|Agree", "statements": "clean|Ren|Clean"},
    "ranking": {"options": "a|A|A\nb|B|B"},
    "number": {"min_value": "0", "max_value": "120", "whole_numbers": "y"},
    "date": {},
    "short_text": {"pattern": r"\d{4}", "validation_message_da": "Fire cifre"},
    "long_text": {"required": "y"},
    "information": {},
}
