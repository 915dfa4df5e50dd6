"""Conditions: parsed safely, refused with a clear message when they cannot work, evaluated."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from surveys.questionnaires.conditions import (
    BoolOp,
    Compare,
    ConditionError,
    Not,
    Selected,
    evaluate,
    from_xlsform,
    parse,
    to_xlsform,
    validate,
)
from surveys.questionnaires.operations import add_question
from tests.questionnaire_sample import both, sample_questionnaire


def test_parse_builds_the_tree_with_and_binding_tighter_than_or():
    assert parse("q2 = 'yes' or q1 > 3 and not (q3 = 'no')") == BoolOp(
        "or",
        (
            Compare("q2", "=", "yes"),
            BoolOp("and", (Compare("q1", ">", 3), Not(Compare("q3", "=", "no")))),
        ),
    )
    assert parse("selected(q5, 'bus')") == Selected("q5", "bus")
    assert parse("q4 != ''") == Compare("q4", "!=", "")


@pytest.mark.parametrize(
    "text", ["__import__('os')", "q1 = ", "q1 = 'yes' or", "q1 3", "(q1 = 1", "q1 == 1", ""]
)
def test_anything_outside_the_language_is_refused(english, text):
    with pytest.raises(ConditionError):
        parse(text)


def test_xlsform_relevant_translates_both_ways():
    ours = "q2 = 'yes' or q1 > 3 and not (selected(q5, 'bus'))"
    theirs = to_xlsform(ours)
    assert theirs == "${q2} = 'yes' or (${q1} > 3 and not(selected(${q5}, 'bus')))"
    assert parse(from_xlsform(theirs)) == parse(ours)
    assert from_xlsform("selected(${q5}, 'bus')") == "selected(q5, 'bus')"


@pytest.mark.parametrize(
    ("text", "answers", "expected"),
    [
        ("q2 = 'yes' or q1 > 3", {"q2": "no", "q1": 4}, True),
        ("q2 = 'yes' or q1 > 3", {"q2": "no", "q1": 3}, False),
        ("q2 = 'yes' or q1 > 3", {}, False),  # unanswered: every comparison is false
        ("q1 != 3", {}, False),
        ("selected(q5, 'bus')", {"q5": ["train", "bus"]}, True),
        ("selected(q5, 'bus')", {"q5": []}, False),
        ("not (q3 = 'no')", {"q3": "no"}, False),
        ("not (q3 = 'no')", {}, True),  # plain negation of a false comparison
        ("q4 != ''", {"q4": "Aarhus"}, True),
        ("q4 != ''", {}, False),
        ("q4 = ''", {}, True),
        ("q1 >= 2.5 and q1 < 10", {"q1": "7"}, True),
        ("q3 < '2020-01-01'", {"q3": "2019-05-01"}, True),
    ],
)
def test_evaluate(text, answers, expected):
    assert evaluate(parse(text), answers) is expected


def test_sample_conditions_are_valid(english, app):
    q = sample_questionnaire()
    for question in q.questions:
        if question.condition:
            validate(question.condition, q, question)


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("q99 = 'yes'", "The condition of q12 refers to q99, which does not exist."),
        ("q12 != ''", "The condition of q12 refers to the question itself."),
        ("q2 = 'maybe'", "The condition of q12 cannot use q2: it has no option “maybe”."),
        ("selected(q4, 'car')", "The condition of q12 cannot use q4: it has no option “car”."),
        ("q4 = 'bus'", "cannot use q4: use selected() with a multiple-choice question."),
        ("q1 = 'old'", "cannot use q1: its answer is a number, so compare it with a number."),
        ("q7 = '1'", "cannot use q7: its answers cannot be compared."),
        ("q3 > 'soon'", "cannot use q3: compare a date with a date written 'YYYY-MM-DD'."),
        ("q1 >", "Condition of q12: The condition ends too early."),
    ],
)
def test_invalid_conditions_are_refused_naming_question_and_reference(english, condition, message):
    q = sample_questionnaire()
    with pytest.raises(
        ConditionError, match="^.*" + message.replace("(", r"\(").replace(")", r"\)")
    ):
        add_question(q.pages[-1], "short_text", both("Hvorfor?", "Why?"), condition=condition)
    assert q.question("q12") is None  # nothing half-added


def test_a_condition_on_a_later_question_is_refused(english):
    q = sample_questionnaire()
    first = q.pages[0]
    with pytest.raises(ConditionError, match="refers to q2, which comes later"):
        add_question(
            first, "short_text", both("Hvorfor?", "Why?"), position=0, condition="q2 = 'yes'"
        )


def test_a_page_condition_on_its_own_questions_counts_as_later(english):
    q = sample_questionnaire()
    page = q.pages[1]
    with pytest.raises(
        ConditionError, match="The condition of page 2 refers to q4, which comes later"
    ):
        validate("selected(q4, 'bus')", q, page)


def test_a_cycle_is_named(english):
    from surveys.questionnaires.operations import update_question

    q = sample_questionnaire()
    q9 = q.question("q9")
    # q10 already depends on q9; making q9 depend on q10 would close a cycle
    with pytest.raises(ConditionError, match="The conditions of q9 and q10 depend on each other"):
        update_question(q9, condition="q10 != ''")
    assert q9.condition is None


def test_messages_are_in_danish_for_danish_staff(app):
    with force_locale("da"):
        q = sample_questionnaire()
        with pytest.raises(ConditionError, match="Betingelsen for q12 bruger q99, som ikke findes"):
            add_question(q.pages[-1], "short_text", both("Hvorfor?", "Why?"), condition="q99 = 1")
