"""Questionnaires, plans and waves over the API: the questionnaire JSON format both ways,
waves a page at a time and with live counts, and a wave made from a plan's design."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from api.models import Scope
from extensions import db
from surveys.questionnaires.json_format import export_json
from surveys.questionnaires.models import Questionnaire, QuestionnaireState
from surveys.waves.models import Wave, WavePlan, WaveState
from tests.answering import open_invitation
from tests.api_client import bearer, problem
from tests.factories.waves import make_wave, ready_questionnaire
from tests.questionnaire_sample import sample_questionnaire


@pytest.fixture
def writer(app):
    return {**bearer(Scope.SURVEYS_WRITE), "Accept-Language": "en"}


def test_a_questionnaire_goes_out_and_comes_back_in_the_json_format(client, writer):
    with force_locale("en"):
        original = sample_questionnaire()
    db.session.commit()
    read = client.get(f"/api/v1/questionnaires/{original.id}", headers=writer).get_json()
    assert read["content"] == export_json(original)

    created = client.post("/api/v1/questionnaires", headers=writer, json=read["content"])
    assert created.status_code == 201, created.get_json()
    copy = db.session.get(Questionnaire, created.get_json()["id"])
    assert copy.state is QuestionnaireState.DRAFT
    assert export_json(copy) == read["content"]
    listed = client.get("/api/v1/questionnaires", headers=writer).get_json()
    assert [q["id"] for q in listed] == [copy.id, original.id]


def test_a_questionnaire_that_is_not_one_is_refused_saying_why(client, writer):
    wrong = {"format": "borgerpanel-questionnaire", "format_version": 1, "pages": [{"x": 1}]}
    body = problem(client.post("/api/v1/questionnaires", headers=writer, json=wrong), 422)
    assert "pages[0]" in body["detail"] and "x" in body["detail"]
    body = problem(client.post("/api/v1/questionnaires", headers=writer, json={}), 422)
    assert {e["field"] for e in body["errors"]} == {"format", "format_version"}
    assert db.session.scalar(select(func.count()).select_from(Questionnaire)) == 0


def test_a_draft_is_made_ready_through_the_api(client, writer):
    with force_locale("en"):
        questionnaire = sample_questionnaire()
    db.session.commit()
    response = client.post(f"/api/v1/questionnaires/{questionnaire.id}/ready", headers=writer)
    assert response.status_code == 200 and response.get_json()["state"] == "ready"
    again = client.post(f"/api/v1/questionnaires/{questionnaire.id}/ready", headers=writer)
    problem(again, 409)


def test_a_wave_shows_its_live_counts(client, writer):
    invitation = open_invitation()
    wave = invitation.wave
    body = client.get(f"/api/v1/waves/{wave.id}", headers=writer).get_json()
    assert body["state"] == "open"
    assert body["totals"] == {
        "stratum": [],
        "invited": 1,
        "started": 0,
        "completed": 0,
        "response_rate": 0.0,
    }
    assert sum(s["invited"] for s in body["strata"]) == 1


def test_waves_are_listed_a_page_at_a_time(client, writer):
    with force_locale("en"):
        questionnaire = ready_questionnaire()
    waves = [make_wave(questionnaire, name=f"Wave {i}") for i in range(3)]
    db.session.commit()
    first = client.get("/api/v1/waves?limit=2", headers=writer).get_json()
    assert [w["name"] for w in first["items"]] == ["Wave 0", "Wave 1"]
    rest = client.get(f"/api/v1/waves?cursor={first['next_cursor']}", headers=writer).get_json()
    assert [w["id"] for w in rest["items"]] == [waves[2].id]
    assert rest["next_cursor"] is None


def test_a_wave_is_created_from_a_plan_s_design(client, writer):
    with force_locale("en"):
        questionnaire = ready_questionnaire()
    plan = WavePlan(
        name="Transport", questionnaire=questionnaire, stratify_by=["gender", "age"],
        completes_wanted=600, open_days=14, results_after_days=30, enabled=False,
    )  # fmt: skip
    db.session.add(plan)
    db.session.commit()
    plans = client.get("/api/v1/wave-plans", headers=writer).get_json()
    assert [p["name"] for p in plans] == ["Transport"]

    response = client.post(
        "/api/v1/waves",
        headers=writer,
        json={"plan_id": plan.id, "invite_at": "2027-09-06T08:00:00+02:00"},
    )
    assert response.status_code == 201, response.get_json()
    wave = db.session.get(Wave, response.get_json()["id"])
    assert wave.state is WaveState.PLANNED and wave.plan_id == plan.id
    assert wave.invite_at == datetime(2027, 9, 6, 6, 0)  # stored as naive UTC
    assert wave.closes_at == wave.invite_at + timedelta(days=14)
    assert (wave.stratify_by, wave.completes_wanted) == (["gender", "age"], 600)
    assert response.get_json()["invite_at"] in ("2027-09-06T06:00:00+00:00", "2027-09-06T06:00:00Z")

    body = problem(
        client.post(
            "/api/v1/waves", headers=writer, json={"plan_id": 9999, "invite_at": "2027-09-06"}
        ),
        422,
    )
    assert "plan_id" in {e["field"] for e in body["errors"]}
