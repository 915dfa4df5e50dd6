"""Retention: members who left, sign-ups never confirmed and lapsed consents are deleted in time.

The nightly retention job (``delete_expired_records`` in surveys/jobs.py, 03:00) is driven
here through ``flask --app app waves tick --now ...``, the same door cron uses, so the
times are stated rather than waited for.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from extensions import db
from panel.jobs import delete_expired_records
from panel.members.models import Member, MemberContact, MemberStatus
from panel.members.operations import MemberDetails, join_panel, leave_panel
from surveys.answering.models import Answer, Response
from surveys.questionnaires.models import Questionnaire
from tests.factories import MemberFactory

#: 04:00 in Copenhagen: the 03:00 retention slot has come.
NIGHT = datetime(2031, 3, 10, 3, 0)


def tick(runner, at: datetime) -> str:
    result = runner.invoke(args=["waves", "tick", "--now", at.isoformat()])
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if "delete_expired_records" in line]
    assert ": ok" in line, line
    return line


def member(email: str, **values) -> Member:
    made = MemberFactory(contact=MemberContact(email=email, name="Karen Jensen"), **values)
    db.session.commit()
    return made


def emails() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(MemberContact.email)))


def left(email: str, at: datetime) -> Member:
    made = member(email)
    leave_panel(made, at)
    db.session.commit()
    return made


def test_a_member_who_left_is_deleted_after_the_retention_period_and_their_answers_stay(
    app, runner
):
    gone = left("gone@example.dk", NIGHT - timedelta(days=31))
    left("recent@example.dk", NIGHT - timedelta(days=29))
    member("active@example.dk")
    questionnaire = Questionnaire(title={"da": "Trafik"})
    response = Response(questionnaire=questionnaire, member_id=gone.id, attributes={"gender": "f"})
    response.answers.append(Answer(question_key="q1", value="Bedre busser"))
    db.session.add(response)
    db.session.commit()

    line = tick(runner, NIGHT)

    assert "1 members who left" in line
    assert emails() == {"recent@example.dk", "active@example.dk"}
    kept = db.session.scalars(select(Response)).one()
    assert kept.member_id is None
    assert [a.value for a in kept.answers] == ["Bedre busser"]


def test_a_sign_up_never_confirmed_is_deleted_but_a_recent_one_or_a_rejoiner_is_kept(app, runner):
    member("old@example.dk", status=MemberStatus.PENDING, confirmed_at=None,
           joined_at=NIGHT - timedelta(days=31))  # fmt: skip
    member("new@example.dk", status=MemberStatus.PENDING, confirmed_at=None,
           joined_at=NIGHT - timedelta(days=2))  # fmt: skip
    rejoiner = left("again@example.dk", NIGHT - timedelta(days=400))
    rejoiner.joined_at = NIGHT - timedelta(days=800)
    db.session.commit()
    join_panel(
        MemberDetails(email="again@example.dk", birth_year=1980, attributes={}, name=None,
                      language="da"),
        now=NIGHT - timedelta(days=1),
    )  # fmt: skip
    db.session.commit()

    line = tick(runner, NIGHT)

    assert "1 never confirmed" in line
    assert emails() == {"new@example.dk", "again@example.dk"}


def test_a_consent_lapsed_past_the_grace_period_counts_as_leaving_then_is_deleted(app, runner):
    lapsed = member("lapsed@example.dk")
    lapsed.consent_expires_at = NIGHT - timedelta(days=91)
    within_grace = member("late@example.dk")
    within_grace.consent_expires_at = NIGHT - timedelta(days=89)
    db.session.commit()

    line = tick(runner, NIGHT)

    assert "1 with lapsed consent marked as left" in line
    db.session.expire_all()
    assert db.session.get_one(Member, lapsed.id).status is MemberStatus.LEFT
    assert db.session.get_one(Member, within_grace.id).status is MemberStatus.ACTIVE
    assert emails() == {"lapsed@example.dk", "late@example.dk"}

    tick(runner, NIGHT + timedelta(days=31))

    assert emails() == {"late@example.dk"}  # its grace has run out only now: marked left


def test_running_the_job_twice_deletes_nothing_more(app, runner):
    left("gone@example.dk", NIGHT - timedelta(days=31))
    tick(runner, NIGHT)

    again = delete_expired_records(NIGHT)

    assert again.startswith("deleted 0 sent mails (0 .eml files), 0 login links, 0 members")


class TestShorterPeriods:
    @pytest.fixture
    def app_config(self, app_config):
        return {
            **app_config,
            "LEFT_MEMBER_RETENTION_DAYS": 7,
            "UNCONFIRMED_RETENTION_DAYS": 3,
            "CONSENT_GRACE_DAYS": 0,
        }

    def test_the_periods_come_from_the_configuration(self, app, runner):
        left("week@example.dk", NIGHT - timedelta(days=8))
        member("days@example.dk", status=MemberStatus.PENDING, confirmed_at=None,
               joined_at=NIGHT - timedelta(days=4))  # fmt: skip
        lapsed = member("lapsed@example.dk")
        lapsed.consent_expires_at = NIGHT - timedelta(hours=1)
        db.session.commit()

        tick(runner, NIGHT)

        assert emails() == {"lapsed@example.dk"}
        assert db.session.get_one(Member, lapsed.id).status is MemberStatus.LEFT


def test_the_file_backends_mail_files_go_with_the_sent_mail(app):
    import os

    from core.clock import utcnow
    from panel.mail.outbox import deliver_outbox, get_backend
    from panel.members.operations import send_login_link

    member = MemberFactory()
    db.session.commit()
    send_login_link(member)
    db.session.commit()
    deliver_outbox()
    directory = get_backend().directory
    (written,) = os.listdir(directory)
    with open(os.path.join(directory, written)) as sent:
        assert "Subject:" in sent.read()

    kept = delete_expired_records(utcnow() + timedelta(days=89))
    assert "(0 .eml files)" in kept and os.listdir(directory) == [written]
    gone = delete_expired_records(utcnow() + timedelta(days=91))
    assert "(1 .eml files)" in gone and os.listdir(directory) == []
