"""XLSForm: a form written in Excel imports, unsupported rows are reported by line."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from extensions import db
from surveys.questionnaires.json_format import export_json
from surveys.questionnaires.models import QuestionType
from surveys.questionnaires.xlsform import (
    ImportProblem,
    XlsFormError,
    export_xlsform,
    import_xlsform,
)
from tests.questionnaire_sample import sample_questionnaire

SURVEY = [
    [
        "type",
        "name",
        "label::Dansk (da)",
        "label::en",
        "hint::da",
        "hint::en",
        "required",
        "relevant",
        "constraint",
        "constraint_message::Dansk (da)",
        "constraint_message::en",
        "appearance",
        "parameters",
        "choice_filter",
        "calculation",
    ],
    ["begin group", "p1", "Om dig", "About you"],
    [
        "integer",
        "age",
        "Alder",
        "Age",
        "",
        "",
        "yes",
        "",
        ". >= 16 and . <= 120",
        "Mellem 16 og 120",
        "Between 16 and 120",
    ],
    ["select_one yesno", "car", "Bil?", "Car?", "", "", "", "", "", "", "", "minimal"],
    ["calculate", "double", "", "", "", "", "", "", "", "", "", "", "", "", "${age} * 2"],
    ["end group"],
    ["begin group", "p2", "Transport", "Transport", "", "", "", "${age} >= 18"],
    [
        "select_multiple modes",
        "modes",
        "Hvad?",
        "What?",
        "",
        "",
        "",
        "${car} = 'no'",
        "count-selected(.) <= 2",
        "",
        "",
        "",
        "randomize=true",
    ],
    [
        "select_one modes",
        "filtered",
        "Filter",
        "Filter",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "${car} = 'yes'",
    ],
    [
        "range",
        "nps",
        "Anbefale?",
        "Recommend?",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "start=0 end=10 step=1",
    ],
    [
        "select_one agree",
        "bus",
        "Bussen?",
        "The bus?",
        "",
        "",
        "",
        "selected(${modes}, 'bus')",
        "",
        "",
        "",
        "likert",
    ],
    [
        "text",
        "zip",
        "Postnummer",
        "Postcode",
        "Fx 8000",
        "E.g. 8000",
        "",
        "",
        "regex(., '^[0-9]{4}$')",
        "Fire cifre",
        "Four digits",
    ],
    ["text", "other", "Andet", "Other", "", "", "", "", "string-length(.) < 5"],
    ["text", "wishes", "Ønsker", "Wishes", "", "", "", "", "", "", "", "multiline"],
    ["date", "moved", "Flyttet", "Moved"],
    ["rank modes", "priority", "Vigtigst", "Most important"],
    ["note", "thanks", "Tak", "Thanks"],
    ["end group"],
]
CHOICES = [
    ["list_name", "name", "label::Dansk (da)", "label::en"],
    ["yesno", "yes", "Ja", "Yes"],
    ["yesno", "no", "Nej", "No"],
    ["modes", "bus", "Bus", "Bus"],
    ["modes", "train", "Tog", "Train"],
    ["agree", "1", "Uenig", "Disagree"],
    ["agree", "2", "2", "2"],
    ["agree", "3", "3", "3"],
    ["agree", "4", "4", "4"],
    ["agree", "5", "Enig", "Agree"],
    ["agree", "dont_know", "Ved ikke", "Don't know"],
]


def workbook(survey=SURVEY, choices=CHOICES) -> BytesIO:
    book = Workbook()
    book.active.title = "survey"
    for row in survey:
        book.active.append(row)
    sheet = book.create_sheet("choices")
    for row in choices:
        sheet.append(row)
    settings = book.create_sheet("settings")
    settings.append(["form_title", "default_language"])
    settings.append(["Trafik", "Dansk (da)"])
    data = BytesIO()
    book.save(data)
    data.seek(0)
    return data


def test_sample_form_imports_and_reports_each_unsupported_row_by_line(english):
    report = import_xlsform(workbook())
    q = report.questionnaire
    assert report.problems == [
        ImportProblem("survey", 5, "the column “calculation” is not supported."),
        ImportProblem("survey", 9, "the column “choice_filter” is not supported."),
        ImportProblem("survey", 13, "the constraint “string-length(.) < 5” is not supported."),
    ]
    assert [question.key for question in q.questions] == [
        "age",
        "car",
        "modes",
        "nps",
        "bus",
        "zip",
        "wishes",
        "moved",
        "priority",
        "thanks",
    ]
    assert q.languages == ["da", "en"] and q.title == {"da": "Trafik"}
    assert q.pages[1].condition == "age >= 18" and q.pages[0].title["en"] == "About you"
    age, car, modes, nps, bus, zip_code, wishes = q.questions[:7]
    assert (age.type, age.whole_numbers, age.min_value, age.max_value) == (
        QuestionType.NUMBER,
        True,
        16,
        120,
    )
    assert age.required and age.validation_message == {
        "da": "Mellem 16 og 120",
        "en": "Between 16 and 120",
    }
    assert (car.type, car.display) == (QuestionType.SINGLE_CHOICE, "dropdown")
    assert (modes.type, modes.max_selections, modes.randomise_options) == (
        QuestionType.MULTIPLE_CHOICE,
        2,
        True,
    )
    assert modes.condition == "car = 'no'"
    assert nps.type is QuestionType.SCALE_0_10
    assert (bus.type, bus.min_value, bus.max_value, bus.dont_know) == (
        QuestionType.RATING,
        1,
        5,
        True,
    )
    assert (
        bus.low_label == {"da": "Uenig", "en": "Disagree"}
        and bus.condition == "selected(modes, 'bus')"
    )
    assert zip_code.pattern == "^[0-9]{4}$" and zip_code.hint["en"] == "E.g. 8000"
    assert wishes.type is QuestionType.LONG_TEXT
    assert [x.type for x in q.questions[7:]] == [
        QuestionType.DATE,
        QuestionType.RANKING,
        QuestionType.INFORMATION,
    ]


def test_a_question_referring_to_a_left_out_one_is_left_out_too(english):
    survey = [
        *SURVEY[:-1],
        ["text", "why", "Hvorfor", "Why", "", "", "", "${double} > 3"],
        ["end group"],
    ]
    report = import_xlsform(workbook(survey))
    assert report.problems[-1].line == len(survey) - 1
    assert "refers to double, which does not exist" in report.problems[-1].reason
    assert report.questionnaire.question("why") is None


def test_not_a_workbook_is_refused(english):
    with pytest.raises(XlsFormError, match="not an Excel workbook"):
        import_xlsform(BytesIO(b"type,name\n"))


def test_export_uses_language_columns_and_reimports_equal(english):
    original = sample_questionnaire()
    data = export_xlsform(original)
    book = load_workbook(BytesIO(data))
    assert book.sheetnames == ["survey", "choices", "settings"]
    header = [cell.value for cell in book["survey"][1]]
    assert "label::Dansk (da)" in header and "label::English (en)" in header
    types = [row[0].value for row in book["survey"].iter_rows(min_row=2)]
    assert "select_one q5" in types and "rank q8" in types and "note" in types
    report = import_xlsform(BytesIO(data))
    assert report.problems == []
    db.session.commit()
    assert export_json(report.questionnaire) == export_json(original)


def test_export_writes_texts_that_look_like_formulas_as_text_and_reads_them_back(english):
    original = sample_questionnaire()
    question = original.pages[0].questions[0]
    question.text = {**question.text, "da": "=1+1 er to", "en": "-5 degrees?"}
    db.session.flush()
    data = export_xlsform(original)
    cells = [cell for row in load_workbook(BytesIO(data))["survey"].iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert "'=1+1 er to" in [cell.value for cell in cells]
    report = import_xlsform(BytesIO(data))
    assert report.questionnaire.pages[0].questions[0].text["da"] == "=1+1 er to"
    assert report.questionnaire.pages[0].questions[0].text["en"] == "-5 degrees?"


def test_a_workbook_that_unpacks_to_far_too_much_is_refused_before_it_is_read(english):
    import zipfile

    from surveys.questionnaires import xlsform

    bomb = BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", " " * (xlsform.MAX_UNPACKED_BYTES + 1))
    assert len(bomb.getvalue()) < 1_000_000  # small to upload, huge to unpack
    bomb.seek(0)
    with pytest.raises(XlsFormError, match="unpacks to more than 50 MB"):
        import_xlsform(bomb)


def test_a_sheet_with_more_rows_than_any_questionnaire_is_refused(english, monkeypatch):
    from surveys.questionnaires import xlsform

    monkeypatch.setattr(xlsform, "MAX_ROWS", 5)
    data = export_xlsform(sample_questionnaire())
    with pytest.raises(XlsFormError, match="more than 5 rows"):
        import_xlsform(BytesIO(data))
