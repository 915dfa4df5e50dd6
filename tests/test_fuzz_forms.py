"""Hostile input on every form a person submits: never a 500, a clear error, nothing half-saved.

Property-based (hypothesis): each example keeps the valid form but replaces some fields
with injections, odd encodings, NULs, lone surrogates or a megabyte of text (tests/fuzz.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask_babel import force_locale
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import select

from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.staff.models import Role
from surveys.answering.models import Answer
from surveys.questionnaires.models import Questionnaire
from surveys.waves.operations import personal_token
from tests.answering import ALL_PAGES, open_invitation, start, submit
from tests.factories import MemberFactory
from tests.factories.members import good_form
from tests.factories.questionnaires import FORMS, _draft_with_page
from tests.factories.waves import ready_questionnaire
from tests.fuzz import FUZZ, assert_clean, counts, form_with, post_form
from tests.helpers import login_member, login_staff

BUILDER = "/staff/questionnaires"


@pytest.fixture
def english(app):
    with force_locale("en"):
        install_default_attributes()
        db.session.commit()
        yield


@pytest.fixture
def staff(client, english):
    login_staff(client, Role.STAFF, language="en")
    return client


@FUZZ
@given(form=form_with(good_form()))
@example(form={**good_form(), "name": b"Karen\x00"})  # a 500 on PostgreSQL before the check
def test_join_refuses_hostile_input_cleanly(client, english, form):
    before = counts()
    assert_clean(post_form(client, "/join", form), refused_saves_nothing=before)


@FUZZ
@given(form=form_with({"email": "karen@example.dk"}))
def test_login_link_request_refuses_hostile_input_cleanly(client, english, form):
    before = counts()
    response = post_form(client, "/login", form)
    assert_clean(response, refused_saves_nothing=before)
    assert response.status_code in (200, 302, 400)  # 400: a NUL no browser sends


@pytest.fixture
def member_client(client, english):
    login_member(client, MemberFactory())
    return client


@pytest.fixture
def draft(english) -> Questionnaire:
    return _draft_with_page()


@FUZZ
@given(form=form_with({k: v for k, v in good_form().items() if k != "consent"}))
def test_profile_edit_refuses_hostile_input_cleanly(member_client, form):
    before = counts()
    assert_clean(post_form(member_client, "/profile/edit", form), refused_saves_nothing=before)


#: The valid answers of each page of the sample questionnaire (tests/answering.py).
PAGE_ANSWERS = {
    1: ALL_PAGES[0],
    2: {**ALL_PAGES[1], **ALL_PAGES[2]},
    3: {**ALL_PAGES[3], **ALL_PAGES[4]},
}


def _reach(client: Any, link: str, number: int) -> str:
    """Answer the pages before ``number`` validly and return the URL of page ``number``."""
    url = start(client, link)
    for answers in ALL_PAGES:
        if url.split("?")[0].endswith(f"/{number}"):
            return url
        response = submit(client, url, **answers)
        url = response.headers.get("Location", url)
    raise AssertionError(f"page {number} not reached")


@pytest.mark.parametrize("number", sorted(PAGE_ANSWERS))
def test_answer_pages_refuse_hostile_input_cleanly(client, english, number):
    invitation = open_invitation()
    db.session.commit()
    url = _reach(client, f"/a/{personal_token(invitation)}", number)
    good = {"action": "next", "lang": "en", **PAGE_ANSWERS[number]}

    @FUZZ
    @given(form=form_with(good))
    def answer(form: dict[str, Any]) -> None:
        response = post_form(client, url, form)
        assert_clean(response, shown=())  # re-shown without an error when a question appears
        db.session.expire_all()
        for answer in db.session.scalars(select(Answer)):
            assert "\x00" not in str(answer.value)

    answer()


DESIGN = {
    "language_codes": "da, en",
    "title_da": "Sundhed",
    "title_en": "Health",
    "purpose_da": "Vi vil vide, hvad du mener.",
    "influence_en": "The answers shape the plan.",
    "target_group": "Alle over 16",
    "results_published_on": "2027-05-01",
}


@FUZZ
@given(form=form_with(DESIGN))
def test_new_questionnaire_refuses_hostile_input_cleanly(staff, form):
    before = counts()
    assert_clean(post_form(staff, f"{BUILDER}/new", form), refused_saves_nothing=before)


@FUZZ
@given(form=form_with(DESIGN))
def test_questionnaire_design_refuses_hostile_input_cleanly(staff, draft, form):
    db.session.expire_all()
    before = db.session.get_one(Questionnaire, draft.id).title
    response = post_form(staff, f"{BUILDER}/{draft.id}/design", form)
    assert_clean(response)
    if response.status_code != 302:
        db.session.expire_all()
        assert db.session.get_one(Questionnaire, draft.id).title == before


@FUZZ
@given(data=st.data(), kind=st.sampled_from(sorted(FORMS)))
def test_question_form_refuses_hostile_input_cleanly(staff, draft, data, kind):
    page_id = draft.pages[0].id
    good = {"text_da": "Spørgsmål", "text_en": "Question", "condition": "", **FORMS[kind]}
    form = data.draw(form_with(good))
    before = counts()
    response = post_form(staff, f"{BUILDER}/pages/{page_id}/questions/new?type={kind}", form)
    assert_clean(response, refused_saves_nothing=before)


WAVE = {
    "name": "Spring 2099",
    "invitation_date": "2099-03-02",
    "closing_date": "2099-03-22",
    "results_date": "2099-06-01",
    "reminder_after_days": "5",
    "max_reminders": "1",
    "stratify_by": ["gender", "municipality"],
    "completes_wanted": "400",
    "allocation_mode": "equal",
    "default_response_rate": "0.5",
}


@pytest.fixture
def ready(english) -> int:
    questionnaire = ready_questionnaire()
    db.session.commit()
    return questionnaire.id


@FUZZ
@given(data=st.data())
def test_wave_form_refuses_hostile_input_cleanly(staff, ready, data):
    form = data.draw(form_with({"questionnaire": str(ready), **WAVE}))
    before = counts()
    assert_clean(post_form(staff, "/staff/waves/", form), refused_saves_nothing=before)


class TestTooLarge:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "MAX_CONTENT_LENGTH": 2 * 1024 * 1024}

    def test_a_request_over_the_limit_gets_the_too_large_page_and_saves_nothing(
        self, client, english
    ):
        client.get("/language/en")
        before = counts()
        response = post_form(client, "/join", {**good_form(), "name": "x" * 3 * 1024 * 1024})
        assert response.status_code == 413
        text = response.get_data(as_text=True)
        assert "The form or file you sent is too large. Nothing was saved." in text
        assert "At most 2 MB can be sent at once." in text
        assert counts() == before
