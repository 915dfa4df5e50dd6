"""Designing questionnaires: types, editing, states, frozen versions, translations."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.errors import InvalidTransition
from extensions import db
from surveys.answering.models import Response
from surveys.questionnaires.conditions import ConditionError
from surveys.questionnaires.models import Questionnaire, QuestionnaireState, QuestionType
from surveys.questionnaires.operations import (
    QuestionError,
    QuestionnaireFrozen,
    add_page,
    add_question,
    copy_question,
    create_questionnaire,
    delete_question,
    duplicate_question,
    mark_ready,
    move_page,
    move_question,
    new_version,
    update_question,
)
from surveys.questionnaires.questions import missing_translations, option_order, text_direction
from tests.questionnaire_sample import both, sample_questionnaire


def stored(questionnaire: Questionnaire) -> Questionnaire:
    db.session.commit()
    questionnaire_id = questionnaire.id
    db.session.expunge_all()
    return db.session.get(Questionnaire, questionnaire_id)


def test_every_question_type_is_stored_with_its_settings(english):
    q = stored(sample_questionnaire())
    assert {question.type for question in q.questions} == set(QuestionType)
    assert [p.position for p in q.pages] == [0, 1, 2]
    age, car = q.question("q1"), q.question("q2")
    assert (age.min_value, age.max_value, age.whole_numbers, age.required) == (16, 120, True, True)
    assert age.validation_message == both(
        "Skriv en alder mellem 16 og 120.", "Enter an age between 16 and 120."
    )
    assert car.display == "dropdown" and [o.code for o in car.choices] == ["yes", "no"]
    uses = q.question("q4")
    assert (uses.min_selections, uses.max_selections, uses.randomise_options) == (1, 2, True)
    rating = q.question("q5")
    assert (rating.min_value, rating.max_value, rating.dont_know) == (1, 5, True)
    assert rating.low_label["en"] == "Very dissatisfied"
    grid = q.question("q7")
    assert [s.code for s in grid.statements] == ["on_time", "clean"]
    assert [o.code for o in grid.choices] == ["1", "2", "3"]
    assert q.question("q9").pattern == r"\d{4}"
    assert len({question.concept for question in q.questions}) == 11
    assert q.purpose["da"] and q.influence["en"] and q.results_published_on.year == 2027
    assert q.decision_authority == "Udvalget skal svare på resultaterne"


@pytest.mark.parametrize(
    ("kind", "settings", "message"),
    [
        ("single_choice", {"options": [("a", both("A", "A"))]}, "it needs at least two options"),
        (
            "number",
            {"options": [("a", both("A", "A")), ("b", both("B", "B"))]},
            "this type has no options",
        ),
        ("number", {"display": "dropdown"}, "has no setting “display”"),
        ("rating", {"min_value": 1, "max_value": 20}, "a rating scale starts at 0 or 1"),
        (
            "number",
            {"min_value": 10, "max_value": 1},
            "the lowest allowed number is above the highest",
        ),
        ("short_text", {"pattern": "("}, "not a valid regular expression"),
        ("information", {"required": True}, "an information text cannot be required"),
        ("short_text", {"key": "1st"}, "cannot be a question key"),
        ("short_text", {"key": "q1"}, "There is already a question q1"),
    ],
)
def test_settings_that_do_not_fit_the_type_are_refused(english, kind, settings, message):
    q = sample_questionnaire()
    with pytest.raises(QuestionError, match=message):
        add_question(q.pages[0], kind, both("Spørgsmål", "Question"), **settings)
    assert len(q.questions) == 11


def test_move_duplicate_and_delete(english):
    q = sample_questionnaire()
    q2 = q.question("q2")
    move_question(q2, -1)
    assert [x.key for x in q.pages[0].questions] == ["q2", "q1", "q3"]
    # q1 moves below q4 and then q4's condition would use a later question: refused, undone
    with pytest.raises(ConditionError, match="refers to q1, which comes later"):
        move_page(q.pages[0], +1)
    assert [p.questions[0].key for p in q.pages] == ["q2", "q4", "q8"]
    move_question(q.question("q3"), +1)  # past the bottom: first on the next page
    assert [x.key for x in q.pages[1].questions][:2] == ["q3", "q4"]
    copy = duplicate_question(q.question("q8"))
    assert (copy.key, copy.position) == ("q12", 1)
    assert copy.concept != q.question("q8").concept and copy.text == q.question("q8").text
    with pytest.raises(ConditionError, match="q9 cannot be deleted: the conditions of q10 use it"):
        delete_question(q.question("q9"))
    delete_question(q.question("q10"))
    assert q.question("q10") is None and [x.position for x in q.pages[2].questions] == [0, 1, 2, 3]


def test_frozen_once_answered_and_a_new_version_keeps_concepts(english):
    q = sample_questionnaire()
    mark_ready(q)
    q.take_into_use()
    db.session.add(Response(questionnaire=q))
    db.session.commit()
    with pytest.raises(QuestionnaireFrozen, match="has answers, so its questions are frozen"):
        update_question(q.question("q1"), text=both("Alder?", "Age?"))
    with pytest.raises(QuestionnaireFrozen):
        add_page(q)
    second = new_version(q)
    db.session.commit()
    assert (second.state, second.version, second.previous) == (QuestionnaireState.DRAFT, 2, q)
    assert [x.concept for x in second.questions] == [x.concept for x in q.questions]
    assert [x.key for x in second.questions] == [x.key for x in q.questions]
    assert second.question("q4").condition == "q2 = 'no' or q1 > 60"
    update_question(second.question("q1"), text=both("Alder?", "Age?"))
    assert q.question("q1").text["en"] == "How old are you?"


def test_a_question_copied_into_a_later_questionnaire_keeps_its_identity(english):
    earlier = sample_questionnaire()
    later = create_questionnaire(both("Trafik 2028", "Transport 2028"))
    page = add_page(later)
    copy = copy_question(earlier.question("q5"), page)
    db.session.commit()
    assert (copy.key, copy.concept) == ("q5", earlier.question("q5").concept)
    assert copy.condition is None and copy.dont_know
    trend = db.session.scalars(
        select(Questionnaire.id).join_from(Questionnaire, Questionnaire.pages)
    )
    assert len(set(trend)) == 2


def test_states_refuse_invalid_transitions():
    q = Questionnaire(state=QuestionnaireState.DRAFT)
    with pytest.raises(InvalidTransition):
        q.take_into_use()
    q.mark_ready()
    q.take_into_use()
    with pytest.raises(InvalidTransition):
        q.back_to_draft()
    q.archive()
    assert q.state is QuestionnaireState.ARCHIVED


def test_missing_translations_are_listed_and_block_ready(english):
    q = sample_questionnaire()
    q.languages = ["da", "en", "ar"]
    update_question(
        q.question("q2"),
        options=[("yes", {"da": "Ja", "en": "Yes", "ar": "نعم"}), ("no", both("Nej", "No"))],
    )
    missing = missing_translations(q)
    assert any(m.where == "q2 choice no" and m.language == "ar" for m in missing)
    assert any(m.where == "q1" and m.field == "validation_message" for m in missing)
    assert all(m.language == "ar" for m in missing)
    with pytest.raises(QuestionError, match="texts are not translated yet"):
        mark_ready(q)
    assert q.state is QuestionnaireState.DRAFT
    assert (text_direction("ar"), text_direction("da")) == ("rtl", "ltr")


def test_validation_messages_exist_in_both_languages(english):
    q = sample_questionnaire()
    for question in q.questions:
        has_rule = question.pattern or question.min_value is not None
        if has_rule and question.type is not QuestionType.RATING:
            assert question.validation_message.keys() >= {"da", "en"}
    update_question(q.question("q9"), validation_message={"da": "Skriv fire cifre."})
    assert [(m.where, m.language) for m in missing_translations(q)] == [("q9", "en")]


def test_option_order_is_random_per_respondent_but_stable(english):
    q = sample_questionnaire()
    uses = q.question("q4")
    orders = {tuple(o.code for o in option_order(uses, seed)) for seed in range(20)}
    assert len(orders) > 1
    assert option_order(uses, 7) == option_order(uses, 7)
    assert [o.code for o in option_order(q.question("q2"), 7)] == ["yes", "no"]


def test_editing_options_keeps_those_that_stay_and_relabels_them(english):
    """Saving a choice question's options again (same codes) must not trip over itself."""
    q = stored(sample_questionnaire())
    question = next(x for x in q.questions if x.type is QuestionType.SINGLE_CHOICE)
    before = {o.code: o.id for o in question.options}
    codes = list(before)
    kept, dropped = codes[0], codes[-1]
    new_options = [(code, both(f"{code} da", f"{code} en")) for code in codes if code != dropped]
    new_options.append(("new", both("Ny", "New")))

    update_question(question, options=new_options)
    q = stored(q)
    question = next(x for x in q.questions if x.type is QuestionType.SINGLE_CHOICE)

    assert [o.code for o in question.options] == [c for c, _ in new_options]
    assert {o.code: o.id for o in question.options}[kept] == before[kept]
    assert question.options[0].label == both(f"{kept} da", f"{kept} en")
