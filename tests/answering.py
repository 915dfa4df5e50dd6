"""Shared by the answering tests: an open wave with one invited member, and the steps a
respondent takes (start, submit a page) with what they lead to (responses, stored answers)."""

from __future__ import annotations

import re
from datetime import timedelta

from flask_babel import force_locale
from sqlalchemy import select

from core.clock import utcnow
from extensions import db
from panel.demographics.attributes import install_default_attributes
from surveys.answering.models import Answer, Response
from surveys.waves.models import Invitation
from surveys.waves.operations import open_wave
from tests.factories import MemberFactory
from tests.factories.waves import make_wave, ready_questionnaire


def open_invitation() -> Invitation:
    """A member invited to a wave that opened an hour ago and is open for two weeks."""
    install_default_attributes()
    with force_locale("en"):
        questionnaire = ready_questionnaire()
    member = MemberFactory(attributes={"gender": "f", "municipality": "751", "education": "long"})
    now = utcnow()
    wave = make_wave(
        questionnaire, invite_at=now - timedelta(hours=1), closes_at=now + timedelta(days=14),
        completes_wanted=1, default_response_rate=1.0,
    )  # fmt: skip
    db.session.commit()
    open_wave(wave, now)
    return db.session.scalar(select(Invitation).filter_by(member_id=member.id))


def responses() -> list[Response]:
    db.session.expire_all()
    return list(db.session.scalars(select(Response)))


def stored(response: Response) -> dict:
    db.session.expire_all()
    return {
        a.question_key: a.value
        for a in db.session.scalars(select(Answer).filter_by(response_id=response.id))
    }


def start(client, link: str, lang: str = "en") -> str:
    page = client.post(link, data={"lang": lang})
    assert page.status_code == 302
    return page.headers["Location"]


def submit(client, url: str, **data):
    return client.post(url, data={"action": "next", "lang": "en", **data})


def text(page) -> str:
    return re.sub(r"\s+", " ", page.get_data(as_text=True))


ALL_PAGES = [
    {"q1": "70", "q2": "yes", "q3": "24-12-2019"},
    {"q4": ["bus", "train"], "q6": "8", "q7.on_time": "3", "q7.clean": "1"},
    {"q5": "dont_know"},  # revealed on page 2 by choosing the bus
    {"q8.price": "2", "q8.speed": "1", "q8.comfort": "3", "q9": "8000"},
    {"q10": "Flere busser om aftenen"},  # revealed on page 3 by the postcode
]
