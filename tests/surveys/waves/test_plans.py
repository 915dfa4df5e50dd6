"""Staff pages for wave plans, the soft launch's release, and what ran when on a wave."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale, format_date
from sqlalchemy import func, select

from core.clock import utcnow
from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.staff.models import Role
from surveys.waves.jobs import occurrences
from surveys.waves.models import AllocationMode, Invitation, Wave, WavePlan, WaveState
from surveys.waves.operations import open_wave, utc_to_local
from tests.factories.waves import make_wave, members, ready_questionnaire
from tests.helpers import login_as, login_staff, sent_mail

BASE = "/staff/waves"

#: A valid new plan: the first Tuesday of February and of August, 09:30.
PLAN = {
    "name": "Health panel",
    "months": ["2", "8"],
    "week_of_month": "1",
    "weekday": "1",
    "invitation_time": "09:30",
    "open_days": "20",
    "results_after_days": "45",
    "reminder_after_days": "5",
    "max_reminders": "1",
    "stratify_by": ["gender"],
    "completes_wanted": "400",
    "allocation_mode": "equal",
    "default_response_rate": "0.5",
    "soft_launch_percent": "10",
}


@pytest.fixture
def english(app):
    with force_locale("en"):
        install_default_attributes()
        yield


def _login(client) -> None:
    login_staff(client, Role.STAFF, language="en")


def _plan(**fields) -> WavePlan:
    values = {"name": "Citizens' panel", "questionnaire": ready_questionnaire()}
    values.update(fields)
    plan = WavePlan(**values)
    db.session.add(plan)
    db.session.commit()
    return plan


def _plan_waves(plan_id: int) -> list[Wave]:
    db.session.expire_all()
    query = select(Wave).filter_by(plan_id=plan_id).order_by(Wave.invite_at)
    return list(db.session.scalars(query))


def test_creating_a_plan_shows_the_next_two_waves_it_will_send(english, client):
    questionnaire = ready_questionnaire()
    db.session.commit()
    _login(client)
    assert "There are no wave plans yet." in client.get(f"{BASE}/plans").get_data(as_text=True)

    response = client.post(
        f"{BASE}/plans", data={**PLAN, "questionnaire": questionnaire.id}, follow_redirects=True
    )

    page = response.get_data(as_text=True)
    assert "The plan was saved." in page
    plan = db.session.scalars(select(WavePlan)).one()
    assert (plan.months, plan.weekday, plan.week_of_month) == ([2, 8], 1, 1)
    planned = _plan_waves(plan.id)
    assert len(planned) == 2
    for wave in planned:
        invite = utc_to_local(wave.invite_at)
        assert invite.weekday() == 1 and invite.day <= 7 and invite.month in (2, 8)
        assert (invite.hour, invite.minute) == (9, 30)
        assert wave.closes_at - wave.invite_at == timedelta(days=20)
        assert (wave.completes_wanted, wave.allocation_mode) == (400, AllocationMode.EQUAL)
        assert wave.soft_launch_share == pytest.approx(0.1)
        assert wave.state is WaveState.PLANNED
        assert wave.name in page  # on the plan's page, with the flash naming them
    assert f"Waves planned: {planned[0].name}, {planned[1].name}." in page

    listing = client.get(f"{BASE}/plans").get_data(as_text=True)
    assert "Health panel" in listing and "first Tuesday of the month" in listing
    assert "February, August" in listing
    for day in occurrences(plan, utc_to_local(utcnow()).date(), 2):
        assert format_date(day) in listing
    calendar = client.get(f"{BASE}/").get_data(as_text=True)
    assert planned[0].name in calendar and planned[1].name in calendar


def test_a_plan_in_danish(app, client):
    with force_locale("da"):
        install_default_attributes()
        plan = _plan(months=[3, 9])
    login_staff(client, Role.STAFF)
    client.get("/language/da")
    page = client.get(f"{BASE}/plans/{plan.id}").get_data(as_text=True)
    assert "Marts, September" in page and "første mandag i måneden" in page
    assert "Deaktivér planen" in page


def test_invalid_plan_input_shows_errors_next_to_the_fields(english, client):
    questionnaire = ready_questionnaire()
    db.session.commit()
    _login(client)
    response = client.post(
        f"{BASE}/plans",
        data={
            **PLAN,
            "questionnaire": questionnaire.id,
            "name": "",
            "months": [],
            "open_days": "0",
            "invitation_time": "half past nine",
            "soft_launch_percent": "0",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for field in ("name", "months", "open_days", "invitation_time", "soft_launch_percent"):
        assert f'id="{field}-error"' in page, field
    assert "Choose at least one month." in page
    assert db.session.scalars(select(WavePlan)).all() == []

    reminders_too_late = client.post(
        f"{BASE}/plans",
        data={**PLAN, "questionnaire": questionnaire.id, "reminder_after_days": "25"},
    ).get_data(as_text=True)
    assert 'id="reminder_after_days-error"' in reminders_too_late
    assert "Reminders must come before the wave closes." in reminders_too_late
    assert db.session.scalars(select(WavePlan)).all() == []


def test_editing_a_plan_moves_its_planned_waves_to_the_new_dates(english, client):
    plan = _plan(months=[3, 9], completes_wanted=500)
    _login(client)
    client.post(f"{BASE}/plans/{plan.id}/enable")  # plans its next two waves (Mondays)
    before = _plan_waves(plan.id)
    assert len(before) == 2 and all(utc_to_local(w.invite_at).weekday() == 0 for w in before)

    page = client.get(f"{BASE}/plans/{plan.id}").get_data(as_text=True)
    assert "Change the plan" in page and "Citizens" in page
    saved = client.post(
        f"{BASE}/plans/{plan.id}",
        data={**PLAN, "questionnaire": plan.questionnaire_id, "months": ["3", "9"]},
        follow_redirects=True,
    ).get_data(as_text=True)

    assert "The plan was saved." in saved
    assert "Cancelled, as the plan no longer has their dates" in saved
    db.session.expire_all()
    assert (plan.name, plan.completes_wanted, plan.weekday) == ("Health panel", 400, 1)
    waves = _plan_waves(plan.id)
    coming = [w for w in waves if w.state is WaveState.PLANNED]
    assert len(coming) == 2
    assert all(utc_to_local(w.invite_at).weekday() == 1 for w in coming)  # Tuesdays now
    assert all(w.completes_wanted == 400 for w in coming)
    cancelled = [w for w in waves if w.state is WaveState.CANCELLED]
    assert sorted(w.id for w in cancelled) == sorted(w.id for w in before)


def test_a_disabled_plan_creates_no_waves_until_enabled_again(english, client, runner):
    plan = _plan(months=[3, 9], enabled=True)
    _login(client)
    disabled = client.post(f"{BASE}/plans/{plan.id}/disable", follow_redirects=True)
    assert "The plan was disabled" in disabled.get_data(as_text=True)
    assert "Enable the plan" in disabled.get_data(as_text=True)
    assert "no (disabled)" in client.get(f"{BASE}/plans").get_data(as_text=True)

    result = runner.invoke(args=["waves", "tick", "--now", utcnow().isoformat()])
    assert result.exit_code == 0, result.output
    assert _plan_waves(plan.id) == []

    enabled = client.post(f"{BASE}/plans/{plan.id}/enable", follow_redirects=True)
    assert "The plan was enabled" in enabled.get_data(as_text=True)
    assert len(_plan_waves(plan.id)) == 2


def _open_wave(count: int, share: float, opened: datetime, **design) -> Wave:
    members(count)
    wave = make_wave(
        ready_questionnaire(),
        invite_at=opened,
        closes_at=utcnow() + timedelta(days=7),
        completes_wanted=count,
        soft_launch_share=share,
        **design,
    )
    db.session.commit()
    open_wave(wave, opened)
    return wave


def _invited(wave: Wave) -> int:
    db.session.expire_all()
    query = select(func.count(Invitation.invited_at)).filter_by(wave_id=wave.id)
    return db.session.scalar(query) or 0


def test_soft_launch_release_through_the_page_invites_the_rest_once(english, client):
    wave = _open_wave(10, 0.3, utcnow() - timedelta(hours=2))
    assert _invited(wave) == 3 and len(sent_mail(kind="invitation")) == 3
    _login(client)
    page = client.get(f"{BASE}/{wave.id}").get_data(as_text=True)
    assert "7 invitations are held back." in page and "Release the rest" in page

    released = client.post(f"{BASE}/{wave.id}/release", follow_redirects=True)
    text = released.get_data(as_text=True)
    assert "The rest of the sample was invited: 7 invitations sent." in text
    assert "Release the rest" not in text and "Released" in text
    assert _invited(wave) == 10 and len(sent_mail(kind="invitation")) == 10

    again = client.post(f"{BASE}/{wave.id}/release", follow_redirects=True)
    assert "No invitations are held back." in again.get_data(as_text=True)
    assert len(sent_mail(kind="invitation")) == 10


def test_the_wave_creation_form_takes_a_soft_launch_share(english, client):
    questionnaire = ready_questionnaire()
    db.session.commit()
    _login(client)
    response = client.post(
        f"{BASE}/",
        data={
            "name": "Try-out",
            "questionnaire": questionnaire.id,
            "invitation_date": "2099-03-02",
            "closing_date": "2099-03-22",
            "reminder_after_days": "5",
            "max_reminders": "1",
            "completes_wanted": "400",
            "allocation_mode": "equal",
            "default_response_rate": "0.5",
            "soft_launch_percent": "10",
        },
        follow_redirects=True,
    )
    assert "invite 10% first, the rest when released" in response.get_data(as_text=True)
    assert db.session.scalars(select(Wave)).one().soft_launch_share == pytest.approx(0.1)


def test_the_wave_page_shows_what_ran_when(english, client, runner):
    opened = utcnow() - timedelta(days=5)
    wave = _open_wave(6, 1.0, opened, reminder_after_days=3, max_reminders=2)
    first = db.session.scalars(select(Invitation).filter_by(wave_id=wave.id)).first()
    assert first is not None
    first.started_at = first.completed_at = opened + timedelta(hours=1)
    db.session.commit()
    reminded_at = opened + timedelta(days=4)
    result = runner.invoke(args=["waves", "tick", "--now", reminded_at.isoformat()])
    assert result.exit_code == 0, result.output

    _login(client)
    page = client.get(f"{BASE}/{wave.id}").get_data(as_text=True)
    assert "What ran when" in page
    assert "6 drawn, 6 invited so far" in page
    assert "5 sent" in page  # reminders: everyone but the one who completed
    assert format_date(utc_to_local(reminded_at).date()) in page
    assert "reminder no. 1" in page
    assert "Latest runs of the scheduled waves job" in page
    assert "reminded 5" in page and "done" in page
    assert "Closed" not in page

    closing = wave.closes_at + timedelta(minutes=1)
    assert runner.invoke(args=["waves", "tick", "--now", closing.isoformat()]).exit_code == 0
    closed = client.get(f"{BASE}/{wave.id}").get_data(as_text=True)
    assert "Closed" in closed and "closed 1" in closed


@pytest.mark.parametrize("who", ["politician", "citizen"])
def test_politicians_and_citizens_get_403_on_plans_and_release(english, client, who):
    plan = _plan(enabled=True)
    wave = _open_wave(4, 0.5, utcnow() - timedelta(hours=1))
    login_as(client, who)
    routes = [
        ("get", f"{BASE}/plans"),
        ("post", f"{BASE}/plans"),
        ("get", f"{BASE}/plans/{plan.id}"),
        ("post", f"{BASE}/plans/{plan.id}"),
        ("post", f"{BASE}/plans/{plan.id}/disable"),
        ("post", f"{BASE}/plans/{plan.id}/enable"),
        ("post", f"{BASE}/{wave.id}/release"),
    ]
    for method, url in routes:
        assert getattr(client, method)(url).status_code == 403, (method, url)
    db.session.expire_all()
    assert plan.enabled and _plan_waves(plan.id) == []
    assert _invited(wave) == 2
