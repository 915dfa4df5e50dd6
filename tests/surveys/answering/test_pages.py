"""Answering through a personal link: every question type, validation in both languages,
conditions, resume, back, double submits and completion.

The sample questionnaire (tests/questionnaire_sample.py): page 1 q1 age (number 16-120,
required), q2 car (dropdown), q3 moved here (date); page 2, shown from age 18: q4 what
you use (multiple, 1-2, shuffled; shown if no car or over 60), q5 bus rating (shown if q4
has bus), q6 0-10, q7 grid; page 3: q8 ranking, q9 postcode (4 digits), q10 other wishes
(shown once q9 is answered), q11 information.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core.clock import utcnow
from extensions import db
from surveys.answering.models import Answer, ResponseMode
from surveys.waves.models import Invitation
from surveys.waves.operations import close_wave, personal_token
from tests.answering import ALL_PAGES, open_invitation, responses, start, stored, submit, text


@pytest.fixture
def invitation(app) -> Invitation:
    return open_invitation()


@pytest.fixture
def link(invitation) -> str:
    return f"/a/{personal_token(invitation)}"


def test_the_introduction_says_why_who_what_influence_and_when_in_the_members_language(
    client, link
):
    danish = text(client.get(link))
    assert '<html lang="da"' in danish
    assert "Vi planlægger nye busruter." in danish
    assert "Udvalg for regional udvikling" in danish
    assert "Svarene indgår i køreplanen for 2027." in danish
    assert "Resultaterne bliver offentliggjort den" in danish and "2027" in danish

    english = text(client.get(f"{link}?lang=en"))
    assert '<html lang="en"' in english
    assert "We are planning new bus routes." in english
    assert "The answers shape the 2027 timetable." in english
    assert responses() == []  # looking starts nothing


def test_every_question_type_is_answered_stored_and_completed_once(client, link, invitation):
    url = start(client, link)
    assert url.endswith("/1?lang=en")
    answered = submit(client, url, **ALL_PAGES[0])
    assert answered.headers["Location"].endswith("/2?lang=en")
    revealed = submit(client, answered.headers["Location"], **ALL_PAGES[1])
    assert revealed.status_code == 200
    assert "brought up another question" in text(revealed)
    assert "How satisfied are you with the bus?" in text(revealed)
    page3 = submit(client, answered.headers["Location"], **ALL_PAGES[1], **ALL_PAGES[2])
    assert page3.headers["Location"].endswith("/3?lang=en")
    wishes = submit(client, page3.headers["Location"], **ALL_PAGES[3])
    assert "Other wishes?" in text(wishes)
    done = submit(client, page3.headers["Location"], **ALL_PAGES[3], **ALL_PAGES[4])
    assert done.headers["Location"].endswith("/done?lang=en")

    (response,) = responses()
    assert stored(response) == {
        "q1": 70,
        "q2": "yes",
        "q3": "2019-12-24",
        "q4": ["bus", "train"],
        "q5": "dont_know",
        "q6": 8,
        "q7": {"on_time": "3", "clean": "1"},
        "q8": {"price": 2, "speed": 1, "comfort": 3},
        "q9": "8000",
        "q10": "Flere busser om aftenen",
    }
    assert response.completed_at is not None and response.mode is ResponseMode.WEB
    assert response.attributes["gender"] == "f" and response.attributes["age"]
    db.session.refresh(invitation)
    assert invitation.started_at is not None and invitation.completed_at is not None
    thanks = text(client.get(done.headers["Location"]))
    assert "We have received your answers." in thanks
    assert "The results will be published on" in thanks


def test_the_shuffled_order_a_respondent_saw_is_recorded_with_the_answer(client, link):
    url = start(client, link)
    submit(client, url, **ALL_PAGES[0])
    page = client.get(url.replace("/1?", "/2?")).get_data(as_text=True)
    shown = re.findall(r'id="q-q4-(\w+)"', page)
    assert sorted(shown) == ["bike", "bus", "train"]
    submit(client, url.replace("/1?", "/2?"), **ALL_PAGES[1], **ALL_PAGES[2])
    (response,) = responses()
    answer = db.session.scalar(select(Answer).filter_by(response_id=response.id, question_key="q4"))
    assert answer.shown_order == shown


MESSAGES = {
    "da": ("Besvar venligst spørgsmålet.", "Skriv en alder mellem 16 og 120.", "Skriv fire cifre."),
    "en": (
        "Please answer this question.",
        "Enter an age between 16 and 120.",
        "Enter four digits.",
    ),
}


@pytest.mark.parametrize(
    ("lang", "required", "bounds", "postcode"), [(k, *v) for k, v in MESSAGES.items()]
)
def test_errors_are_shown_next_to_the_question_in_the_respondents_language(
    client, link, lang, required, bounds, postcode
):
    url = start(client, link, lang)
    empty = text(client.post(url, data={"action": "next", "lang": lang}))
    assert required in empty
    assert 'href="#q-q1"' in empty  # the summary links to the field
    assert 'aria-invalid="true"' in empty and 'aria-describedby="q1-error"' in empty

    too_old = client.post(url, data={"action": "next", "lang": lang, "q1": "130", "q3": "someday"})
    page = text(too_old)
    assert bounds in page and 'value="130"' in page  # what was typed stays, to be corrected
    assert ("Skriv en dato" if lang == "da" else "Enter a date") in page
    assert stored(responses()[0]) == {}  # nothing wrong is saved

    submit(client, url, q1="40", q2="yes")
    third = url.replace("/1?", "/3?")
    wrong = text(client.post(third, data={"action": "next", "lang": lang, "q9": "80"}))
    assert postcode in wrong


def test_leaving_and_coming_back_through_the_link_resumes_where_it_stopped(client, link):
    url = start(client, link)
    submit(client, url, **ALL_PAGES[0])

    again = client.get(link)
    assert "Continue where you left off" in text(again)
    assert start(client, link).endswith("/2?lang=en")
    assert len(responses()) == 1


def test_going_back_saves_the_page_and_shows_earlier_answers(client, link):
    url = start(client, link)
    submit(client, url, **ALL_PAGES[0])
    second = url.replace("/1?", "/2?")
    back = client.post(second, data={"action": "back", "lang": "en", "q6": "3"})
    assert back.headers["Location"].endswith("/1?lang=en")
    first = client.get(back.headers["Location"]).get_data(as_text=True)
    assert 'value="70"' in first
    assert 'value="3" checked' in client.get(second).get_data(as_text=True)


def test_a_double_submit_a_reload_or_the_link_after_completion_never_make_a_second_response(
    client, link
):
    url = start(client, link)
    assert start(client, link) == url  # a double click on start
    submit(client, url, q1="17")  # under 18: page 2 is skipped
    third = url.replace("/1?", "/3?")
    assert "Other wishes?" in text(submit(client, third, q9="8000"))
    first = submit(client, third, q9="8000", q10="Nej tak")
    second = submit(client, third, q9="9000")
    assert first.headers["Location"] == second.headers["Location"]
    assert client.get(link).headers["Location"].endswith("/done")
    late = submit(client, url, q1="99")
    assert "/done?" in late.headers["Location"]

    (response,) = responses()
    assert stored(response) == {"q1": 17, "q9": "8000", "q10": "Nej tak"}
    count = db.session.scalar(select(func.count()).select_from(Answer))
    assert count == 3


def test_answers_to_questions_hidden_by_a_later_change_are_dropped(client, link):
    url = start(client, link)
    submit(client, url, **ALL_PAGES[0])
    submit(client, url.replace("/1?", "/2?"), **ALL_PAGES[1], **ALL_PAGES[2])
    # back on page 1: now under 18, so page 2 no longer applies
    submit(client, url, **{**ALL_PAGES[0], "q1": "17"})
    third = url.replace("/1?", "/3?")
    assert submit(client, third, q9="8000").status_code == 200  # q10 appears
    assert submit(client, third, q9="8000").headers["Location"].endswith("/done?lang=en")

    assert set(stored(responses()[0])) == {"q1", "q2", "q3", "q9"}


def test_a_closed_wave_takes_no_more_answers(client, link, invitation):
    url = start(client, link)
    close_wave(invitation.wave, utcnow())
    db.session.commit()

    closed = client.get(link)
    assert closed.status_code == 410 and "This questionnaire is closed" in text(
        client.get(f"{link}?lang=en")
    )
    assert client.post(url, data={"action": "next", "q1": "50"}).status_code == 410
    assert stored(responses()[0]) == {}


def test_an_unknown_link_is_not_found(client, link):
    assert client.get("/a/not-a-real-token").status_code == 404
    changed = link[:-1] + ("1" if link.endswith("0") else "0")  # one digit off, never the same
    assert client.get(changed + "/1").status_code == 404
