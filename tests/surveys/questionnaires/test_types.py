"""Question types as classes: every type has one, and each answers the whole interface.

Each case is what a respondent sends for a question of one type, what is stored, and the
columns an analyst gets in the answers export, so a type whose page input, stored value
and export columns disagree fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from surveys.answering.page_input import read_page
from surveys.questionnaires.models import Question, QuestionType
from surveys.questionnaires.operations import add_page, add_question, create_questionnaire
from surveys.questionnaires.types import KINDS, SUMMARISED, SummaryKind, kind_of

T = QuestionType


def both(da: str, en: str) -> dict[str, str]:
    return {"da": da, "en": en}


TRANSPORT = [
    ("bus", both("Bus", "Bus")),
    ("car", both("Bil", "Car")),
    ("bike", both("Cykel", "Bike")),
]
AGREE = [("agree", both("Enig", "Agree")), ("disagree", both("Uenig", "Disagree"))]
STATEMENTS = [("fast", both("Hurtig", "Fast")), ("cheap", both("Billig", "Cheap"))]

#: Per type: the question's settings, what the respondent sends, what is stored, and the
#: export's columns (name -> value).
CASES: dict[QuestionType, tuple[dict[str, Any], list[tuple[str, str]], Any, dict[str, Any]]] = {
    T.SINGLE_CHOICE: ({"options": TRANSPORT}, [("q1", "car")], "car", {"q1": "car"}),
    T.MULTIPLE_CHOICE: (
        {"options": TRANSPORT},
        [("q1", "bike"), ("q1", "bus")],
        ["bus", "bike"],  # in the questionnaire's order, whatever order they were ticked in
        {"q1_bus": 1, "q1_car": 0, "q1_bike": 1},
    ),
    T.RATING: ({"dont_know": True}, [("q1", "dont_know")], "dont_know", {"q1": -1}),
    T.SCALE_0_10: ({}, [("q1", "10")], 10, {"q1": 10}),
    T.GRID: (
        {"options": AGREE, "statements": STATEMENTS},
        [("q1.fast", "agree"), ("q1.cheap", "disagree")],
        {"fast": "agree", "cheap": "disagree"},
        {"q1_fast": "agree", "q1_cheap": "disagree"},
    ),
    T.RANKING: (
        {"options": TRANSPORT},
        [("q1.bus", "2"), ("q1.car", "3"), ("q1.bike", "1")],
        {"bus": 2, "car": 3, "bike": 1},
        {"q1_bus": 2, "q1_car": 3, "q1_bike": 1},
    ),
    T.NUMBER: ({"min_value": 0}, [("q1", "3,5")], 3.5, {"q1": 3.5}),
    T.DATE: ({}, [("q1", "31-12-1990")], "1990-12-31", {"q1": "1990-12-31"}),
    T.SHORT_TEXT: ({"pattern": r"\d{4}"}, [("q1", " 9000 ")], "9000", {"q1": "9000"}),
    T.LONG_TEXT: (
        {},
        [("q1", "More buses, please.")],
        "More buses, please.",
        {"q1": "More buses, please."},
    ),
    T.INFORMATION: ({}, [("q1", "anything")], None, {}),
}


def one_question(kind: QuestionType, **settings: Any) -> Question:
    questionnaire = create_questionnaire(both("Trafik", "Transport"))
    page = add_page(questionnaire)
    return add_question(page, kind, both("Spørgsmål", "Question"), **settings)


def test_every_question_type_has_one_class():
    assert [kind.type for kind in KINDS] == list(QuestionType)
    assert all(kind_of(t).type is t and kind_of(t.value) is kind_of(t) for t in QuestionType)
    assert len({str(kind.name) for kind in KINDS}) == len(KINDS)  # the picker tells them apart
    assert set(CASES) == set(QuestionType)


@pytest.mark.parametrize("kind", list(QuestionType))
def test_an_answer_goes_from_the_page_to_the_stored_value_to_the_export(app, english, kind):
    settings, posted, stored, columns = CASES[kind]
    question = one_question(kind, **settings)
    form = MultiDict(posted)

    page = read_page([question], form, "en")

    assert page.errors == {}
    assert page.values == ({} if stored is None else {"q1": stored})
    exported = question.kind.export_columns(question, "en")
    assert {variable.name: read(stored) for variable, read in exported} == columns
    assert all(variable.label.startswith("Question") for variable, _read in exported)
    if stored is not None:  # after an error the page shows again what was sent
        assert question.kind.typed(question, form) == as_sent(kind, posted)


def as_sent(kind: QuestionType, posted: list[tuple[str, str]]) -> Any:
    """What was sent as the page shows it again: a list of ticks, a dict per code, or text."""
    if kind is T.MULTIPLE_CHOICE:
        return [value for _name, value in posted]
    if kind in (T.GRID, T.RANKING):
        return {name.partition(".")[2]: value for name, value in posted}
    return posted[0][1]


@pytest.mark.parametrize("kind", sorted(set(QuestionType) - {T.INFORMATION}))
def test_a_required_question_left_empty_is_asked_for(app, english, kind):
    settings = CASES[kind][0]
    question = one_question(kind, required=True, **settings)

    page = read_page([question], MultiDict(), "en")

    assert page.errors == {"q1": ["Please answer this question."]}


@pytest.mark.parametrize(
    ("kind", "settings", "posted", "message"),
    [
        (T.SINGLE_CHOICE, {"options": TRANSPORT}, [("q1", "train")], "Choose one of the options."),
        (T.MULTIPLE_CHOICE, {"options": TRANSPORT, "max_selections": 1},
         [("q1", "bus"), ("q1", "car")], "Choose at most 1."),
        (T.RATING, {}, [("q1", "6")], "Choose one of the options."),
        (T.SCALE_0_10, {}, [("q1", "dont_know")], "Choose one of the options."),
        (T.GRID, {"options": AGREE, "statements": STATEMENTS, "required": True},
         [("q1.fast", "agree")], "Please answer every statement."),
        (T.RANKING, {"options": TRANSPORT}, [("q1.bus", "1"), ("q1.car", "1")],
         "Give each number once, starting at 1."),
        (T.NUMBER, {"min_value": 16, "max_value": 120}, [("q1", "12")],
         "Enter a number from 16 to 120."),
        (T.DATE, {}, [("q1", "yesterday")],
         "Enter a date as day-month-year, for example 31-12-1990."),
        (T.SHORT_TEXT, {"pattern": r"\d{4}"}, [("q1", "90000")],
         "The answer is not in the expected form."),
        (T.LONG_TEXT, {}, [("q1", "x" * 10_001)], "Please keep it under 10000 characters."),
    ],
)  # fmt: skip
def test_an_answer_outside_the_type_is_refused_with_a_message(
    app, english, kind, settings, posted, message
):
    question = one_question(kind, **settings)

    page = read_page([question], MultiDict(posted), "en")

    assert page.errors == {"q1": [message]}
    assert page.values == {}


def test_a_rating_that_starts_at_zero_takes_zero(app, english):
    question = one_question(T.RATING, min_value=0, max_value=4)

    assert read_page([question], MultiDict([("q1", "0")]), "en").values == {"q1": 0}
    assert list(question.kind.points(question)) == [0, 1, 2, 3, 4]


def test_each_type_declares_the_figures_results_show():
    summaries = {kind.type: kind.summary for kind in KINDS}
    assert summaries[T.SINGLE_CHOICE] is summaries[T.MULTIPLE_CHOICE] is SummaryKind.SHARES
    assert summaries[T.RATING] is summaries[T.SCALE_0_10] is SummaryKind.SCALE
    assert summaries[T.GRID] is SummaryKind.PER_STATEMENT
    assert summaries[T.RANKING] is SummaryKind.RANKS
    assert summaries[T.NUMBER] is SummaryKind.MEAN
    # free text, dates and information texts never appear in results
    assert set(QuestionType) - set(SUMMARISED) == {T.DATE, T.SHORT_TEXT, T.LONG_TEXT, T.INFORMATION}
    assert {kind.type for kind in KINDS if kind.free_text} == {T.SHORT_TEXT, T.LONG_TEXT}


def test_coded_columns_carry_the_option_labels_for_spss(app, english):
    grid = one_question(T.GRID, options=AGREE, statements=STATEMENTS)

    variables = [variable for variable, _read in grid.kind.export_columns(grid, "en")]

    assert [v.label for v in variables] == ["Question: Fast", "Question: Cheap"]
    assert all(v.codes == {"agree": 1, "disagree": 2} for v in variables)
    assert all(v.value_labels == {1: "Agree", 2: "Disagree"} for v in variables)
