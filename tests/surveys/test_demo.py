"""`flask --app app demo`: a questionnaire to answer, and waves whose results have data."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any
from urllib.parse import urlparse

import numpy as np
from sqlalchemy import func, select

from core.clock import utcnow
from extensions import db
from panel.mail.models import OutboxMessage
from panel.members.models import Member
from surveys.answering.models import Response
from surveys.demo.build import build_demo
from surveys.questionnaires.conditions import visible
from surveys.questionnaires.models import Questionnaire, QuestionnaireState, QuestionType
from surveys.questionnaires.questions import missing_translations
from surveys.results.models import Weighting
from surveys.waves.models import Invitation, Wave, WaveState
from surveys.waves.operations import find_invitation
from tests.helpers import login_as

#: A small panel keeps the tests quick; its waves ask for 100 completes.
MEMBERS = 600


def _demo_json(runner: Any) -> dict[str, Any]:
    result = runner.invoke(args=["demo", "--json", "--members", str(MEMBERS)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _questionnaire() -> Questionnaire:
    return db.session.scalars(select(Questionnaire)).one()


def _waves(state: WaveState) -> list[Wave]:
    return list(db.session.scalars(select(Wave).filter_by(state=state).order_by(Wave.invite_at)))


def test_demo_questionnaire_has_every_type_in_danish_and_english(app):
    build_demo(members=MEMBERS)
    q = _questionnaire()
    assert q.state is QuestionnaireState.IN_USE
    assert {question.type for question in q.questions} == set(QuestionType)
    assert q.languages == ["da", "en"] and missing_translations(q) == []
    assert 4 <= len(q.pages) <= 6
    for field in ("introduction", "purpose", "commissioned_by", "influence"):
        assert all(getattr(q, field).get(lang) for lang in ("da", "en")), field
    assert q.results_published_on is not None
    assert q.target_group and q.resources and q.decision_process and q.decision_authority
    assert any(page.condition for page in q.pages)
    assert any(question.condition for question in q.questions)
    assert any(question.randomise_options for question in q.questions)
    dropdown = [x for x in q.questions if x.display == "dropdown"]
    radio = [x for x in q.questions if x.display == "radio"]
    assert dropdown and radio
    multiple = next(x for x in q.questions if x.type is QuestionType.MULTIPLE_CHOICE)
    assert multiple.min_selections and multiple.max_selections
    rating = next(x for x in q.questions if x.type is QuestionType.RATING and x.dont_know)
    assert (rating.min_value, rating.max_value) == (1, 5) and rating.low_label["en"]
    number = next(x for x in q.questions if x.type is QuestionType.NUMBER)
    assert number.min_value is not None and number.max_value is not None
    text = next(x for x in q.questions if x.type is QuestionType.SHORT_TEXT)
    assert text.pattern and text.validation_message["da"] and text.validation_message["en"]


def test_demo_waves_two_closed_one_open_two_planned(app):
    build_demo(members=MEMBERS)
    now = utcnow()
    closed, (open_wave,), planned = (
        _waves(WaveState.CLOSED),
        _waves(WaveState.OPEN),
        _waves(WaveState.PLANNED),
    )
    assert len(closed) == 2 and len(planned) == 2
    assert all(w.plan is not None and w.plan.months == [3, 9] for w in closed + planned)
    for wave in closed:
        responses = select(func.count()).select_from(Response).filter_by(wave_id=wave.id)
        assert wave.closes_at < open_wave.invite_at and db.session.scalar(responses) > 0
    assert open_wave.invite_at < now < open_wave.closes_at
    invited = list(db.session.scalars(select(Invitation).filter_by(wave_id=open_wave.id)))
    assert invited and all(i.invited_at == open_wave.invite_at for i in invited)
    queued = select(func.count()).select_from(OutboxMessage).filter_by(sent_at=None)
    assert db.session.scalar(queued.filter_by(kind="invitation")) == len(invited)
    assert all(w.invite_at > now and w.plan_occurrence for w in planned)


def _answer_of(response: Response) -> dict[str, Any]:
    return {answer.question_key: answer.value for answer in response.answers}


def _fits(kind: QuestionType, value: Any, codes: set[str]) -> bool:
    checks = {
        QuestionType.SINGLE_CHOICE: lambda v: v in codes,
        QuestionType.MULTIPLE_CHOICE: lambda v: isinstance(v, list) and set(v) <= codes,
        QuestionType.RATING: lambda v: v == "dont_know" or (isinstance(v, int) and 1 <= v <= 5),
        QuestionType.SCALE_0_10: lambda v: v == "dont_know" or (isinstance(v, int) and v <= 10),
        QuestionType.GRID: lambda v: isinstance(v, dict) and set(v.values()) <= codes,
        QuestionType.RANKING: lambda v: sorted(v.values()) == list(range(1, len(codes) + 1)),
        QuestionType.NUMBER: lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        QuestionType.DATE: lambda v: bool(date.fromisoformat(v)),
        QuestionType.SHORT_TEXT: lambda v: isinstance(v, str),
        QuestionType.LONG_TEXT: lambda v: isinstance(v, str),
    }
    return checks[kind](value)


def test_synthetic_answers_respect_conditions_types_and_demographics(app):
    build_demo(members=MEMBERS)
    q = _questionnaire()
    trust = []
    for wave in _waves(WaveState.CLOSED):
        responses = list(db.session.scalars(select(Response).filter_by(wave_id=wave.id)))
        for response in responses:
            answers = _answer_of(response)
            assert response.completed_at and response.invitation.completed_at
            assert response.language == db.session.get(Member, response.member_id).language
            assert set(response.attributes) >= {"age", "gender", "municipality", "education"}
            shown: dict[str, Any] = {}
            for page in q.pages:
                for question in page.questions:
                    if question.key not in answers:
                        continue
                    assert question.type is not QuestionType.INFORMATION
                    assert visible(page.condition, shown) and visible(question.condition, shown)
                    codes = {o.code for o in question.choices}
                    assert _fits(question.type, answers[question.key], codes), question.key
                    shown[question.key] = answers[question.key]
        trust.append(
            np.mean([v for r in responses if (v := _answer_of(r)["health_trust"]) != "dont_know"])
        )
    assert abs(trust[1] - trust[0]) > 0.3  # a trend to show

    rates = {}
    for band in ("18-29", "70+"):
        row = db.session.execute(
            select(func.count(), func.count(Invitation.completed_at))
            .join(Wave, Wave.id == Invitation.wave_id)
            .where(Wave.state == WaveState.CLOSED, Invitation.stratum.like(f'["{band}"%'))
        ).one()
        rates[band] = row[1] / row[0]
    assert rates["70+"] > rates["18-29"]


def test_answer_links_lead_to_invitations_of_the_open_wave(runner):
    info = _demo_json(runner)
    links = info["answer_links"]
    assert 3 <= len(links) <= 6
    assert {link["language"] for link in links} <= {"da", "en"}
    for link in links:
        path = urlparse(link["link"]).path
        assert link["link"].startswith(info["url"]) and path.startswith("/a/")
        invitation = find_invitation(path.removeprefix("/a/"))
        assert invitation is not None and invitation.member_id == link["member"]
        assert invitation.wave.state is WaveState.OPEN
        assert invitation.member.language == link["language"]

    plain = runner.invoke(args=["demo", "--members", str(MEMBERS)])
    assert links[0]["link"] in plain.output


def test_a_second_demo_run_adds_nothing(runner):
    def counts() -> list[int]:
        tables = (Questionnaire, Wave, Invitation, Response, OutboxMessage, Member)
        return [db.session.scalar(select(func.count()).select_from(t)) for t in tables]

    first = _demo_json(runner)
    before = counts()
    again = _demo_json(runner)
    assert counts() == before
    assert again["answer_links"] == first["answer_links"]


def test_the_demos_closed_waves_show_weighted_results_breakdowns_and_a_trend(app, client):
    build_demo(members=MEMBERS)
    _first, second = sorted(_waves(WaveState.CLOSED), key=lambda w: w.invite_at)
    weighting = db.session.scalar(select(Weighting).filter_by(wave_id=second.id))
    assert weighting is not None and weighting.converged

    login_as(client, "politician")
    page = client.get(f"/results/waves/{second.id}?by=gender")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    # the variables the demo weights on, and no other
    said = "vægtet til regionens befolkning efter Alder, Køn og Højeste fuldførte uddannelse."
    assert said in text
    assert re.search(r'[0-9]+ % <span class="moe">\([0-9]+–[0-9]+ %\)</span>', text)
    assert "På tværs af runderne" in text  # the trend of questions asked in both waves
