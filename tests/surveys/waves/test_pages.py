"""The staff wave pages: calendar, creating a wave, preview, live counts and actions."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.demographics.models import PopulationFigure, PopulationTable
from panel.staff.models import Role
from surveys.waves.models import AllocationMode, Invitation, Wave, WaveState
from surveys.waves.operations import open_wave
from tests.factories import MemberFactory
from tests.factories.waves import NOW, coming_wave, ready_questionnaire
from tests.helpers import login_as, login_staff

BASE = "/staff/waves"


@pytest.fixture
def english(app):
    with force_locale("en"):
        install_default_attributes()
        yield


def _login(client) -> None:
    login_staff(client, Role.STAFF, language="en")


def _state(wave_id: int) -> WaveState:
    db.session.expire_all()
    return db.session.get(Wave, wave_id).state  # type: ignore[union-attr]


def _population() -> None:
    table = PopulationTable(name="FOLK1A", attribute_keys=["gender"])
    table.figures.append(PopulationFigure(cell={"gender": "f"}, count=500))
    table.figures.append(PopulationFigure(cell={"gender": "m"}, count=500))
    db.session.add(table)


@pytest.mark.parametrize("who", ["politician", "citizen"])
def test_politicians_and_citizens_get_403_on_every_wave_route(english, client, who):
    wave = coming_wave()
    login_as(client, who)
    routes = [
        ("get", f"{BASE}/"),
        ("post", f"{BASE}/"),
        ("get", f"{BASE}/{wave.id}"),
        ("post", f"{BASE}/{wave.id}/move"),
        ("post", f"{BASE}/{wave.id}/pause"),
        ("post", f"{BASE}/{wave.id}/resume"),
        ("get", f"{BASE}/{wave.id}/cancel"),
        ("post", f"{BASE}/{wave.id}/cancel"),
    ]
    for method, url in routes:
        assert getattr(client, method)(url).status_code == 403, (method, url)
    assert _state(wave.id) is WaveState.PLANNED


def test_staff_plan_a_wave_through_the_form_and_see_it_on_the_calendar(english, client):
    questionnaire = ready_questionnaire()
    db.session.commit()
    _login(client)
    page = client.get(f"{BASE}/").get_data(as_text=True)
    assert "Transport in the region" in page and "No waves are planned." in page

    response = client.post(
        f"{BASE}/",
        data={
            "name": "Spring 2099",
            "questionnaire": questionnaire.id,
            "invitation_date": "2099-03-02",
            "closing_date": "2099-03-22",
            "results_date": "2099-06-01",
            "reminder_after_days": "5",
            "max_reminders": "1",
            "stratify_by": ["gender", "municipality"],
            "completes_wanted": "400",
            "allocation_mode": "equal",
            "default_response_rate": "0.5",
        },
        follow_redirects=True,
    )

    assert "The wave was planned." in response.get_data(as_text=True)
    wave = db.session.scalars(select(Wave)).one()
    assert wave.name == "Spring 2099" and wave.state is WaveState.PLANNED
    assert wave.stratify_by == ["gender", "municipality"]
    assert (wave.completes_wanted, wave.allocation_mode) == (400, AllocationMode.EQUAL)
    assert (wave.reminder_after_days, wave.max_reminders) == (5, 1)
    # 08:00 in Copenhagen (winter time) and the end of the closing day
    assert wave.invite_at == datetime(2099, 3, 2, 7, 0)
    assert wave.closes_at == datetime(2099, 3, 22, 23, 0)
    calendar = client.get(f"{BASE}/").get_data(as_text=True)
    assert "March 2099" in calendar and "Spring 2099" in calendar


def test_a_bad_form_shows_errors_next_to_the_fields(english, client):
    questionnaire = ready_questionnaire()
    db.session.commit()
    _login(client)
    response = client.post(
        f"{BASE}/",
        data={
            "name": "",
            "questionnaire": questionnaire.id,
            "invitation_date": "2099-03-22",
            "closing_date": "2099-03-02",
            "reminder_after_days": "0",
            "max_reminders": "1",
            "completes_wanted": "400",
            "allocation_mode": "equal",
            "default_response_rate": "1.5",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="closing_date-error"' in page
    assert "The closing date must not be before the invitation date." in page
    assert 'id="name-error"' in page and 'id="default_response_rate-error"' in page
    assert 'id="reminder_after_days-error"' in page
    assert db.session.scalars(select(Wave)).all() == []


def test_the_preview_marks_a_stratum_with_too_few_eligible_members(english, client):
    _population()
    MemberFactory.create_batch(20, attributes={"gender": "f", "municipality": "751"})
    MemberFactory.create_batch(2, attributes={"gender": "m", "municipality": "751"})
    wave = coming_wave(
        allocation_mode=AllocationMode.PROPORTIONAL_POPULATION,
        completes_wanted=10,
        default_response_rate=1.0,
    )
    _login(client)
    page = client.get(f"{BASE}/{wave.id}").get_data(as_text=True)
    assert "Woman" in page and "Man" in page
    assert "50.0 %" in page
    assert "Too few eligible: 3 short" in page
    assert "takes 3 from short strata" in page
    assert "3 moved to other strata" in page
    assert "cannot be reached" not in page


def test_live_counts_per_stratum_after_the_wave_opened(english, client):
    for i in range(6):
        MemberFactory(attributes={"gender": "fm"[i % 2], "municipality": "751"})
    wave = coming_wave(
        completes_wanted=4,
        default_response_rate=1.0,
        invite_at=NOW,
        closes_at=NOW + timedelta(days=14),
    )
    open_wave(wave, NOW)
    first = db.session.scalars(select(Invitation).where(Invitation.stratum == '["f"]')).first()
    assert first is not None
    first.started_at = first.completed_at = NOW + timedelta(hours=1)
    db.session.commit()
    _login(client)
    page = client.get(f"{BASE}/{wave.id}").get_data(as_text=True)
    assert "Answers so far" in page
    assert '<th scope="row">Woman</th>' in page
    assert "50.0 %" in page and "0.0 %" in page
    assert "Move the wave" not in page


def test_move_pause_resume_and_cancel_a_planned_wave(english, client):
    wave = coming_wave()
    _login(client)
    moved = client.post(
        f"{BASE}/{wave.id}/move",
        data={"invitation_date": "2099-04-06", "closing_date": "2099-04-26"},
        follow_redirects=True,
    )
    assert "The wave was moved." in moved.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Wave, wave.id).invite_at == datetime(2099, 4, 6, 6, 0)  # summer time

    client.post(f"{BASE}/{wave.id}/pause")
    assert _state(wave.id) is WaveState.PAUSED
    client.post(f"{BASE}/{wave.id}/resume")
    assert _state(wave.id) is WaveState.PLANNED

    confirm = client.get(f"{BASE}/{wave.id}/cancel").get_data(as_text=True)
    assert "Yes, cancel the wave" in confirm
    assert _state(wave.id) is WaveState.PLANNED
    done = client.post(f"{BASE}/{wave.id}/cancel", follow_redirects=True)
    assert "The wave was cancelled." in done.get_data(as_text=True)
    assert _state(wave.id) is WaveState.CANCELLED


def test_an_invalid_transition_is_refused_with_a_message(english, client):
    wave = coming_wave(state=WaveState.CANCELLED)
    _login(client)
    paused = client.post(f"{BASE}/{wave.id}/pause", follow_redirects=True)
    assert paused.status_code == 200
    assert "A wave that is cancelled cannot be changed like that." in paused.get_data(as_text=True)
    moved = client.post(
        f"{BASE}/{wave.id}/move",
        data={"invitation_date": "2099-04-06", "closing_date": "2099-04-26"},
        follow_redirects=True,
    )
    assert "Only a wave that has not opened can be moved." in moved.get_data(as_text=True)
    assert _state(wave.id) is WaveState.CANCELLED
