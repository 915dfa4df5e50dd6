"""The questionnaire builder: staff design questionnaires through plain forms (no JavaScript)."""

from __future__ import annotations

import json
import re
from io import BytesIO

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from extensions import db
from panel.staff.models import Role
from surveys.answering.models import Response
from surveys.questionnaires.json_format import export_json
from surveys.questionnaires.models import Question, Questionnaire, QuestionnaireState, QuestionType
from surveys.questionnaires.operations import add_page, add_question, create_questionnaire
from tests.factories.questionnaires import FORMS, _draft_with_page
from tests.helpers import login_as, login_staff
from tests.questionnaire_sample import both, sample_questionnaire

BASE = "/staff/questionnaires"
EXCHANGE = "/staff/exchange"


def _login(client) -> None:
    """A staff user, reading the pages in English."""
    login_staff(client, Role.STAFF, language="en")


def _sample() -> Questionnaire:
    questionnaire = sample_questionnaire()
    db.session.commit()
    return questionnaire


def _all_questionnaires() -> list[Questionnaire]:
    return list(db.session.scalars(select(Questionnaire).order_by(Questionnaire.id)))


def _routes(q: Questionnaire) -> list[tuple[str, str]]:
    page, question = q.pages[0], q.questions[0]
    return [
        ("get", f"{BASE}/"),
        ("get", f"{BASE}/new"),
        ("post", f"{BASE}/new"),
        ("get", f"{EXCHANGE}/import/json"),
        ("post", f"{EXCHANGE}/import/json"),
        ("get", f"{EXCHANGE}/import/xlsform"),
        ("post", f"{EXCHANGE}/import/xlsform"),
        ("get", f"{BASE}/{q.id}"),
        ("get", f"{BASE}/{q.id}/design"),
        ("post", f"{BASE}/{q.id}/design"),
        ("post", f"{BASE}/{q.id}/ready"),
        ("post", f"{BASE}/{q.id}/new-version"),
        ("post", f"{BASE}/{q.id}/pages"),
        ("get", f"{BASE}/pages/{page.id}/edit"),
        ("post", f"{BASE}/pages/{page.id}/move"),
        ("get", f"{BASE}/pages/{page.id}/delete"),
        ("post", f"{BASE}/pages/{page.id}/delete"),
        ("get", f"{BASE}/pages/{page.id}/questions/new?type=date"),
        ("post", f"{BASE}/pages/{page.id}/questions/new?type=date"),
        ("get", f"{BASE}/questions/{question.id}/edit"),
        ("post", f"{BASE}/questions/{question.id}/move"),
        ("post", f"{BASE}/questions/{question.id}/duplicate"),
        ("post", f"{BASE}/questions/{question.id}/delete"),
        ("get", f"{EXCHANGE}/{q.id}.json"),
        ("get", f"{EXCHANGE}/{q.id}.xlsx"),
        ("get", f"{BASE}/{q.id}/preview"),
        ("get", f"{BASE}/{q.id}/preview/da/1"),
    ]


@pytest.mark.parametrize("who", ["politician", "citizen"])
def test_politicians_and_citizens_get_403_on_every_builder_route(english, client, who):
    questionnaire = _sample()
    login_as(client, who)
    for method, url in _routes(questionnaire):
        assert getattr(client, method)(url).status_code == 403, (method, url)
    assert len(_all_questionnaires()) == 1
    assert len(questionnaire.questions) == 11


def test_the_builder_is_listed_for_staff_with_state_version_languages_and_answers(english, client):
    questionnaire = _sample()
    db.session.add(Response(questionnaire=questionnaire, attributes={}))
    db.session.commit()
    _login(client)
    html = client.get(f"{BASE}/").get_data(as_text=True)
    assert "Trafik i regionen" in html
    row = re.search(r"Trafik i regionen.*?</tr>", html, re.S)
    assert row
    cells = re.findall(r"<td>(.*?)</td>", row.group(0), re.S)
    assert [c.strip() for c in cells[:4]] == ["Draft", "1", "da, en", "1"]


def test_staff_create_a_questionnaire_with_the_checklist(english, client):
    _login(client)
    form = client.get(f"{BASE}/new").get_data(as_text=True)
    for label in ("1. Purpose", "2. Target group", "3. Resources", "5. How much influence"):
        assert label in form
    response = client.post(
        f"{BASE}/new",
        data={
            "language_codes": "da, en",
            "title_da": "Sundhed",
            "title_en": "Health",
            "purpose_da": "Vi vil vide, hvad du mener.",
            "influence_en": "The answers shape the plan.",
            "commissioned_by_da": "Regionsrådet",
            "target_group": "Alle over 16",
            "resources": "En måned",
            "decision_process": "Før planen vedtages",
            "decision_authority": "Rådet svarer",
            "results_published_on": "2027-05-01",
        },
    )
    assert response.status_code == 302
    (questionnaire,) = _all_questionnaires()
    assert questionnaire.title == both("Sundhed", "Health")
    assert questionnaire.purpose == {"da": "Vi vil vide, hvad du mener."}
    assert questionnaire.target_group == "Alle over 16"
    assert questionnaire.decision_authority == "Rådet svarer"
    assert str(questionnaire.results_published_on) == "2027-05-01"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sundhed" in page and "Alle over 16" in page


def test_a_questionnaire_without_english_is_refused_next_to_the_languages(english, client):
    _login(client)
    response = client.post(f"{BASE}/new", data={"language_codes": "da", "title_da": "X"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="language_codes-error"' in html and "Danish and English" in html
    assert _all_questionnaires() == []


def test_a_title_with_a_line_break_is_refused_since_it_goes_into_mail_subjects(english, client):
    _login(client)
    response = client.post(
        f"{BASE}/new",
        data={"language_codes": "da, en", "title_da": "Bus\r\nBcc: x@y.dk", "title_en": "Bus"},
    )
    assert response.status_code == 200
    assert "Write this on one line." in response.get_data(as_text=True)
    assert _all_questionnaires() == []


@pytest.mark.parametrize("kind", list(FORMS))
def test_each_question_type_can_be_added_through_its_form(english, client, kind):
    questionnaire = _draft_with_page()
    page_id = questionnaire.pages[0].id
    _login(client)
    picker = client.get(f"{BASE}/pages/{page_id}/questions/new").get_data(as_text=True)
    assert f'value="{kind}"' in picker
    url = f"{BASE}/pages/{page_id}/questions/new?type={kind}"
    form = client.get(url).get_data(as_text=True)
    for name in FORMS[kind]:
        assert f'name="{name}"' in form
    data = {"text_da": "Spørgsmål", "text_en": "Question", **FORMS[kind]}
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    (question,) = db.session.get(Questionnaire, questionnaire.id).questions
    assert question.type is QuestionType(kind)
    assert question.key == "q1"
    assert question.text == both("Spørgsmål", "Question")
    if kind == "multiple_choice":
        assert [o.code for o in question.choices] == ["bus", "train", "bike"]
        assert question.choices[1].label == both("Tog", "Train")
        assert (question.min_selections, question.max_selections) == (1, 2)
        assert question.randomise_options
    if kind == "grid":
        assert [o.code for o in question.statements] == ["clean"]
    if kind == "single_choice":
        assert question.display == "dropdown"
    if kind == "number":
        assert (question.min_value, question.max_value, question.whole_numbers) == (0, 120, True)
    if kind == "short_text":
        assert question.pattern == r"\d{4}"
        assert question.validation_message == {"da": "Fire cifre"}


def test_an_invalid_condition_is_refused_with_its_message_next_to_the_field(english, client):
    questionnaire = _draft_with_page()
    page_id = questionnaire.pages[0].id
    _login(client)
    response = client.post(
        f"{BASE}/pages/{page_id}/questions/new?type=short_text",
        data={"text_da": "A", "text_en": "A", "condition": "q7 = 'yes'"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    error = re.search(r'id="condition-error">(.*?)</p>', html, re.S)
    assert error and "q7" in error.group(1)
    assert 'aria-describedby="condition-hint condition-error"' in html
    assert db.session.get(Questionnaire, questionnaire.id).questions == []


def test_a_question_is_edited_and_a_bad_option_list_is_refused(english, client):
    questionnaire = _sample()
    question = questionnaire.question("q2")
    _login(client)
    url = f"{BASE}/questions/{question.id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert "yes|Ja|Yes" in form
    refused = client.post(url, data={"text_da": "Bil?", "text_en": "Car?", "options": "x|X"})
    assert "at least two options" in refused.get_data(as_text=True)
    response = client.post(
        url,
        data={"text_da": "Bil?", "text_en": "Car?", "display": "radio",
              "options": "yes|Ja|Yes\nno|Nej|No\nsometimes|Nogle gange|Sometimes"},
    )  # fmt: skip
    assert response.status_code == 302
    question = db.session.get(Question, question.id)
    assert question.text == both("Bil?", "Car?")
    assert [o.code for o in question.choices] == ["yes", "no", "sometimes"]


def _keys(questionnaire_id: int) -> list[list[str]]:
    questionnaire = db.session.get(Questionnaire, questionnaire_id)
    return [[q.key for q in page.questions] for page in questionnaire.pages]


def test_questions_and_pages_move_with_plain_post_buttons(english, client):
    questionnaire = _sample()
    _login(client)
    html = client.get(f"{BASE}/{questionnaire.id}").get_data(as_text=True)
    assert "Move down" in html and "<script" not in html
    q3 = questionnaire.question("q3")
    client.post(f"{BASE}/questions/{q3.id}/move", data={"direction": "up"})
    assert _keys(questionnaire.id)[0] == ["q1", "q3", "q2"]
    last_page = questionnaire.pages[2]
    client.post(f"{BASE}/pages/{last_page.id}/move", data={"direction": "up"})
    assert _keys(questionnaire.id)[1][0] == "q8"


def test_a_move_that_breaks_a_condition_is_refused_with_its_message(english, client):
    questionnaire = _sample()
    _login(client)
    q5 = questionnaire.question("q5")  # shown when selected(q4, 'bus'): must stay after q4
    response = client.post(
        f"{BASE}/questions/{q5.id}/move", data={"direction": "up"}, follow_redirects=True
    )
    assert "q4" in response.get_data(as_text=True).split('role="status"', 1)[1][:400]
    assert _keys(questionnaire.id)[1] == ["q4", "q5", "q6", "q7"]


def test_duplicate_and_delete_with_a_confirmation_step(english, client):
    questionnaire = _sample()
    _login(client)
    q9 = questionnaire.question("q9")
    client.post(f"{BASE}/questions/{q9.id}/duplicate")
    assert _keys(questionnaire.id)[2] == ["q8", "q9", "q12", "q10", "q11"]
    copy = db.session.get(Questionnaire, questionnaire.id).question("q12")
    assert copy.text == q9.text and copy.concept != q9.concept
    confirm = client.get(f"{BASE}/questions/{copy.id}/delete")
    assert "Yes, delete" in confirm.get_data(as_text=True)
    assert "q12" in _keys(questionnaire.id)[2]
    client.post(f"{BASE}/questions/{copy.id}/delete")
    assert _keys(questionnaire.id)[2] == ["q8", "q9", "q10", "q11"]
    used = client.post(f"{BASE}/questions/{q9.id}/delete", follow_redirects=True)
    assert "q10" in used.get_data(as_text=True)
    assert "q9" in _keys(questionnaire.id)[2]


def test_a_frozen_questionnaire_refuses_edits_and_offers_a_new_version(english, client):
    questionnaire = _sample()
    db.session.add(Response(questionnaire=questionnaire, attributes={}))
    db.session.commit()
    _login(client)
    html = client.get(f"{BASE}/{questionnaire.id}").get_data(as_text=True)
    assert "Make a new version" in html
    assert "Add a question" not in html and "Move up" not in html
    q1 = questionnaire.question("q1")
    refused = client.post(f"{BASE}/questions/{q1.id}/delete", follow_redirects=True)
    assert "frozen" in refused.get_data(as_text=True)
    assert len(db.session.get(Questionnaire, questionnaire.id).questions) == 11
    response = client.post(f"{BASE}/{questionnaire.id}/new-version")
    assert response.status_code == 302
    new = _all_questionnaires()[-1]
    assert (new.version, new.state, new.previous_id) == (
        2,
        QuestionnaireState.DRAFT,
        questionnaire.id,
    )
    assert [q.concept for q in new.questions] == [q.concept for q in questionnaire.questions]
    assert "Move up" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_translation_gaps_are_listed_and_block_ready(english, client):
    questionnaire = create_questionnaire(
        both("Titel", ""), introduction=both("a", "a"), purpose=both("b", "b"),
        commissioned_by=both("c", "c"), influence=both("d", "d"),
    )  # fmt: skip
    add_question(add_page(questionnaire), "date", {"da": "Hvornår?"})
    db.session.commit()
    _login(client)
    html = client.get(f"{BASE}/{questionnaire.id}").get_data(as_text=True)
    assert "questionnaire: title (en)" in html and "q1: text (en)" in html
    refused = client.post(f"{BASE}/{questionnaire.id}/ready")
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "2 texts are not translated" in text and "q1: text (en)" in text
    assert db.session.get(Questionnaire, questionnaire.id).state is QuestionnaireState.DRAFT
    question = questionnaire.question("q1")
    client.post(
        f"{BASE}/questions/{question.id}/edit", data={"text_da": "Hvornår?", "text_en": "When?"}
    )
    data = {"language_codes": "da, en", **{f"{n}_{lang}": "x" for n in ("title", "introduction",
            "purpose", "commissioned_by", "influence") for lang in ("da", "en")}}  # fmt: skip
    client.post(f"{BASE}/{questionnaire.id}/design", data=data)
    assert client.post(f"{BASE}/{questionnaire.id}/ready").status_code == 302
    assert db.session.get(Questionnaire, questionnaire.id).state is QuestionnaireState.READY
    again = client.post(f"{BASE}/{questionnaire.id}/ready")  # a second click, or a stale page
    assert again.status_code == 409 and "Only a draft can be marked ready." in again.get_data(
        as_text=True
    )


def test_json_export_downloads_and_reimports_equal(english, client):
    questionnaire = _sample()
    _login(client)
    download = client.get(f"{EXCHANGE}/{questionnaire.id}.json")
    assert "attachment" in download.headers["Content-Disposition"]
    response = client.post(
        f"{EXCHANGE}/import/json",
        data={"file": (BytesIO(download.data), "q.json")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    original, imported = _all_questionnaires()
    assert export_json(imported) == export_json(original) == json.loads(download.data)


def test_a_broken_json_file_is_refused_with_a_message(english, client):
    _login(client)
    response = client.post(
        f"{EXCHANGE}/import/json",
        data={"file": (BytesIO(b'{"format": "other"}'), "q.json")},
        content_type="multipart/form-data",
    )
    assert "not a Borgerpanel questionnaire" in response.get_data(as_text=True)
    assert _all_questionnaires() == []


def test_xlsform_export_downloads_and_reimports_equal(english, client):
    questionnaire = _sample()
    _login(client)
    download = client.get(f"{EXCHANGE}/{questionnaire.id}.xlsx")
    assert download.mimetype.endswith("spreadsheetml.sheet")
    response = client.post(
        f"{EXCHANGE}/import/xlsform",
        data={"file": (BytesIO(download.data), "q.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    original, imported = _all_questionnaires()
    assert export_json(imported) == export_json(original)


def test_xlsform_import_reports_every_unsupported_row_with_sheet_and_line(english, client):
    book = Workbook()
    survey = book.active
    survey.title = "survey"
    for row in (
        ["type", "name", "label::da", "label::en"],
        ["text", "name", "Navn", "Name"],
        ["calculate", "double", "", ""],
    ):
        survey.append(row)
    buffer = BytesIO()
    book.save(buffer)
    _login(client)
    response = client.post(
        f"{EXCHANGE}/import/xlsform",
        data={"file": (BytesIO(buffer.getvalue()), "form.xlsx")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r"<td>survey</td><td>3</td><td>[^<]*calculate", html), html
    (imported,) = _all_questionnaires()
    assert [q.key for q in imported.questions] == ["name"]


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_preview_renders_every_question_type_in_each_language(english, client, lang):
    questionnaire = _sample()
    _login(client)
    frame = client.get(f"{BASE}/{questionnaire.id}/preview?lang={lang}").get_data(as_text=True)
    assert 'class="phone-frame"' in frame and f"/preview/{lang}/0" in frame  # 360 px wide
    intro = client.get(f"{BASE}/{questionnaire.id}/preview/{lang}/0").get_data(as_text=True)
    assert questionnaire.influence[lang] in intro
    seen = set()
    for number in (1, 2, 3):
        html = client.get(f"{BASE}/{questionnaire.id}/preview/{lang}/{number}").get_data(
            as_text=True
        )
        assert f'<html lang="{lang}" dir="ltr">' in html
        seen |= set(re.findall(r'data-type="(\w+)"', html))
        for q in questionnaire.pages[number - 1].questions:
            assert q.text[lang] in html
    assert seen == {kind.value for kind in QuestionType}
    grid = client.get(f"{BASE}/{questionnaire.id}/preview/{lang}/2").get_data(as_text=True)
    assert "<table" not in grid
    assert grid.count('<fieldset class="field question"') >= 2  # one per statement
    assert questionnaire.question("q7").statements[0].label[lang] in grid
    first = client.get(f"{BASE}/{questionnaire.id}/preview/{lang}/1").get_data(as_text=True)
    assert 'aria-describedby="q1-error"' not in first  # no errors in a preview
    assert '<label for="q-q1">' in first


def test_an_arabic_questionnaire_is_previewed_right_to_left(english, client):
    questionnaire = create_questionnaire(
        {"da": "Titel", "en": "Title", "ar": "عنوان"}, languages=["da", "en", "ar"]
    )
    add_question(
        add_page(questionnaire), "single_choice", {"da": "Bil?", "en": "Car?", "ar": "سيارة؟"},
        options=[("yes", {"da": "Ja", "en": "Yes", "ar": "نعم"}),
                 ("no", {"da": "Nej", "en": "No", "ar": "لا"})],
    )  # fmt: skip
    db.session.commit()
    _login(client)
    html = client.get(f"{BASE}/{questionnaire.id}/preview/ar/1").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert 'lang="ar" dir="rtl"' in html.split("<main", 1)[1]
    assert "سيارة؟" in html and "نعم" in html
    assert "<legend>" in html
