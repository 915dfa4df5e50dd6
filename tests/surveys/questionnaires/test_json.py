"""Questionnaires as JSON: exact round trip, and clear errors for what is not one."""

from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import func, select

from extensions import db
from surveys.questionnaires.json_format import QuestionnaireImportError, export_json, import_json
from surveys.questionnaires.models import Questionnaire, QuestionType
from tests.questionnaire_sample import sample_questionnaire


def test_export_carries_format_texts_checklist_and_every_type(english):
    data = export_json(sample_questionnaire())
    assert (data["format"], data["format_version"]) == ("borgerpanel-questionnaire", 1)
    assert data["influence"]["da"] == "Svarene indgår i køreplanen for 2027."
    assert data["results_published_on"] == "2027-03-01"
    assert data["checklist"]["decision_process"] == "Før udvalget vedtager køreplanen"
    questions = [q for page in data["pages"] for q in page["questions"]]
    assert {q["type"] for q in questions} == {t.value for t in QuestionType}
    age = questions[0]
    assert (age["min_value"], age["max_value"], age["whole_numbers"]) == (16, 120, True)
    assert "options" not in age and "display" not in age  # only what the type uses
    assert data["pages"][1]["condition"] == "q1 >= 18"
    json.dumps(data)  # plain JSON


def test_round_trip_is_exact_through_the_database(english):
    original = export_json(sample_questionnaire())
    imported = import_json(json.loads(json.dumps(original)))
    db.session.commit()
    imported_id = imported.id
    db.session.expunge_all()
    assert export_json(db.session.get(Questionnaire, imported_id)) == original


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="other"), "not a Borgerpanel questionnaire"),
        (lambda d: d.update(colour="red"), "questionnaire has unknown fields: colour"),
        (
            lambda d: d["pages"][0]["questions"][0].update(type="slider"),
            r"pages\[0\].questions\[0\]: unknown question type",
        ),
        (
            lambda d: d["pages"][0]["questions"][0].update(display="radio"),
            "has unknown fields: display",
        ),
        (
            lambda d: d["pages"][1]["questions"][0].update(condition="q99 = 1"),
            r"pages\[1\].questions\[0\] \(q4\): The condition of q4 refers to q99",
        ),
        (
            lambda d: d["pages"][0]["questions"][0].update(text="Alder"),
            "text has the wrong kind of value",
        ),
        (lambda d: d.update(results_published_on="next spring"), "not a date"),
        (lambda d: d.update(languages=["da"]), "Danish and English at least"),
    ],
)
def test_invalid_json_is_refused_with_where_and_why(english, change, message):
    data = copy.deepcopy(export_json(sample_questionnaire()))
    db.session.commit()
    change(data)
    with pytest.raises(QuestionnaireImportError, match=message):
        import_json(data)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Questionnaire)) == 1
