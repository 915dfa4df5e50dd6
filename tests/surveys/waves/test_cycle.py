"""A wave's whole life driven by ``flask --app app waves tick`` with a stated clock."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from core.jobs import JobRun
from extensions import db
from panel.demographics.attributes import install_default_attributes
from surveys.waves import operations as waves
from surveys.waves.models import Invitation, Wave, WavePlan, WaveState
from surveys.waves.operations import accepting_answers, open_wave
from tests.conftest import make_config
from tests.factories.waves import NOW, make_wave, members, ready_questionnaire
from tests.helpers import link_in, sent_mail
from tests.questionnaire_sample import sample_questionnaire


@pytest.fixture
def app_config(database_url, tmp_path):
    """Sent mail is kept long enough for a clock that runs months ahead of the real one."""
    return make_config(database_url, tmp_path, MAIL_RETENTION_DAYS=3650)


@pytest.fixture
def questionnaire(app):
    install_default_attributes()
    with force_locale("en"):
        return ready_questionnaire()


def tick(runner, at: datetime) -> str:
    result = runner.invoke(args=["waves", "tick", "--now", at.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def invitations(wave: Wave) -> list[Invitation]:
    db.session.expire_all()
    return list(db.session.scalars(select(Invitation).filter_by(wave_id=wave.id)))


def test_tick_invites_reminds_only_non_completers_and_closes(runner, questionnaire):
    members(12)
    wave = make_wave(questionnaire, completes_wanted=6, reminder_after_days=3, max_reminders=2)
    db.session.commit()

    tick(runner, NOW - timedelta(minutes=15))
    assert sent_mail(kind="invitation") == []
    output = tick(runner, NOW)
    assert "waves: ok (planned 0, opened 1, invited 6, reminded 0, closed 0)" in output
    invited = sent_mail(kind="invitation")
    assert len(invited) == 6 and all(m.sent_at is not None for m in invited)
    links = {m.member_id: link_in(m, "/a/") for m in invited}
    tick(runner, NOW + timedelta(minutes=15))
    assert len(sent_mail(kind="invitation")) == 6

    done, *others = invitations(wave)
    done.completed_at = NOW + timedelta(days=1)
    db.session.commit()
    tick(runner, NOW + timedelta(days=2))
    assert sent_mail(kind="reminder") == []

    tick(runner, NOW + timedelta(days=3))
    reminded = sent_mail(kind="reminder")
    assert sorted(m.member_id for m in reminded) == sorted(i.member_id for i in others)
    assert link_in(reminded[0], "/a/") == links[reminded[0].member_id]  # the same link
    tick(runner, NOW + timedelta(days=3, minutes=15))
    assert len(sent_mail(kind="reminder")) == 5

    tick(runner, NOW + timedelta(days=6))
    tick(runner, NOW + timedelta(days=9))  # two reminders at most
    assert Counter(m.member_id for m in sent_mail(kind="reminder")) == {
        i.member_id: 2 for i in others
    }
    assert accepting_answers(others[0], NOW + timedelta(days=13))

    tick(runner, NOW + timedelta(days=14))
    db.session.expire_all()
    assert wave.state is WaveState.CLOSED and wave.closed_at == NOW + timedelta(days=14)
    assert not accepting_answers(others[0], NOW + timedelta(days=13))
    tick(runner, NOW + timedelta(days=17))
    assert len(sent_mail(kind="reminder")) == 10


def test_a_crash_between_drawing_and_sending_is_finished_by_the_next_tick(
    runner, questionnaire, monkeypatch
):
    members(10)
    wave = make_wave(questionnaire, completes_wanted=8)
    db.session.commit()
    real_queue = waves.queue_member_mails
    calls = []

    def crash_in_the_second_batch(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise ConnectionError("the server went away")
        return real_queue(*args, **kwargs)

    monkeypatch.setattr(waves, "queue_member_mails", crash_in_the_second_batch)
    with force_locale("en"), pytest.raises(ConnectionError):
        open_wave(wave, NOW, batch_size=2)
    db.session.rollback()
    assert len(invitations(wave)) == 8
    assert len(sent_mail(kind="invitation")) == 2  # the first batch was committed
    monkeypatch.setattr(waves, "queue_member_mails", real_queue)

    tick(runner, NOW + timedelta(minutes=15))
    tick(runner, NOW + timedelta(minutes=30))

    rows = invitations(wave)
    mails = sent_mail(kind="invitation")
    assert len(rows) == 8 and all(i.invited_at is not None for i in rows)
    assert Counter(m.member_id for m in mails) == {i.member_id: 1 for i in rows}


def test_a_wave_missed_during_downtime_opens_once_when_the_scheduler_returns(runner, questionnaire):
    members(6)
    wave = make_wave(questionnaire, completes_wanted=4)
    db.session.commit()

    tick(runner, NOW + timedelta(days=2, hours=3))
    tick(runner, NOW + timedelta(days=2, hours=3, minutes=15))

    db.session.expire_all()
    assert wave.state is WaveState.OPEN and wave.opened_at == NOW + timedelta(days=2, hours=3)
    assert len(invitations(wave)) == 4
    assert len(sent_mail(kind="invitation")) == 4
    summaries = db.session.scalars(select(JobRun.summary).filter_by(job_id="waves")).all()
    assert [s for s in summaries if "opened 1" in (s or "")] == [summaries[0]]


def test_a_wave_that_cannot_open_is_reported_and_the_others_still_run(runner, app):
    install_default_attributes()
    members(4)
    with force_locale("en"):
        draft = make_wave(sample_questionnaire(), name="Draft", completes_wanted=2)
        fine = make_wave(ready_questionnaire(), name="Fine", completes_wanted=2)
    db.session.commit()

    output = tick(runner, NOW)

    assert f"cannot open waves [{draft.id}]" in output
    db.session.expire_all()
    assert draft.state is WaveState.PLANNED and fine.state is WaveState.OPEN


def test_plans_get_their_next_waves_from_the_tick(runner, questionnaire):
    db.session.add(WavePlan(name="Borgerpanelet", questionnaire=questionnaire))
    db.session.commit()

    assert "planned 2" in tick(runner, datetime(2026, 11, 23, 12, 0))
    assert "planned 0" in tick(runner, datetime(2026, 11, 23, 12, 15))
    assert [w.invite_at for w in db.session.scalars(select(Wave).order_by(Wave.id))] == [
        datetime(2027, 3, 1, 7, 0),
        datetime(2027, 9, 6, 6, 0),
    ]
