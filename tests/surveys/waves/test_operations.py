"""Waves without the scheduler: eligibility, allocation, the draw, invitations, plans."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select, update

from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.demographics.models import PopulationFigure, PopulationTable
from panel.members.models import Member, MemberStatus
from panel.members.operations import delete_member
from surveys.questionnaires.models import Questionnaire, QuestionnaireState
from surveys.waves.jobs import plan_next_waves
from surveys.waves.models import (
    AllocationMode,
    InvalidTransition,
    Invitation,
    Wave,
    WavePlan,
    WaveState,
)
from surveys.waves.operations import find_invitation, live_counts, open_wave, release_wave
from surveys.waves.sampling import (
    WaveError,
    eligible_frame,
    expected_response_rates,
    preview_wave,
    stratum_text,
)
from tests.factories import MemberFactory
from tests.factories.waves import NOW, make_wave, members, ready_questionnaire
from tests.helpers import link_in, sent_mail
from tests.questionnaire_sample import sample_questionnaire


def invite(wave: Wave, member: Member, at: datetime) -> None:
    db.session.add(Invitation(wave=wave, member_id=member.id, stratum='["f"]', invited_at=at))


def eligible_ids(wave: Wave) -> set[int]:
    return set(eligible_frame(wave, NOW).ids.tolist())


@pytest.fixture
def questionnaire(english) -> Questionnaire:
    install_default_attributes()
    return ready_questionnaire()


def test_each_eligibility_rule_excludes_exactly_the_member_it_is_about(questionnaire):
    earlier = make_wave(questionnaire, name="Earlier", invite_at=NOW - timedelta(days=400))
    wave = make_wave(questionnaire, invitation_gap_days=90, max_invitations_per_year=2)
    fine = MemberFactory()
    pause_over = MemberFactory(paused_until=NOW.date() - timedelta(days=1))
    invited_long_ago = MemberFactory()
    once_this_year_twice_before = MemberFactory()
    excluded = {
        "pending": MemberFactory(status=MemberStatus.PENDING),
        "left": MemberFactory(status=MemberStatus.LEFT),
        "paused on the day": MemberFactory(paused_until=NOW.date()),
        "consent lapsed": MemberFactory(),
        "never consented": MemberFactory(consent=False),
        "bounced": MemberFactory(),
        "invited 30 days ago": MemberFactory(),
        "twice this year": MemberFactory(),
    }
    excluded["consent lapsed"].consent_expires_at = NOW
    excluded["bounced"].email_bounced_at = NOW - timedelta(days=5)
    other_waves = [
        make_wave(questionnaire, name=f"Other {i}", invite_at=NOW - timedelta(days=500))
        for i in range(3)
    ]
    invite(earlier, excluded["invited 30 days ago"], NOW - timedelta(days=30))
    invite(earlier, invited_long_ago, NOW - timedelta(days=100))
    invite(earlier, excluded["twice this year"], NOW - timedelta(days=100))
    invite(other_waves[0], excluded["twice this year"], NOW - timedelta(days=200))
    invite(earlier, once_this_year_twice_before, NOW - timedelta(days=100))
    invite(other_waves[0], once_this_year_twice_before, NOW - timedelta(days=400))
    invite(other_waves[1], once_this_year_twice_before, NOW - timedelta(days=500))
    db.session.commit()

    assert eligible_ids(wave) == {
        fine.id,
        pause_over.id,
        invited_long_ago.id,
        once_this_year_twice_before.id,
    }


def test_a_waves_own_invitations_do_not_make_its_members_ineligible(questionnaire):
    wave = make_wave(questionnaire, invitation_gap_days=90)
    (member,) = members(1)
    invite(wave, member, NOW)
    db.session.commit()

    assert eligible_ids(wave) == {member.id}


def test_filters_keep_only_the_chosen_categories_and_age_bands(questionnaire):
    aarhus_young = MemberFactory(birth_year=2000, attributes={"gender": "f", "municipality": "751"})
    aarhus_old = MemberFactory(birth_year=1950, attributes={"gender": "m", "municipality": "751"})
    MemberFactory(birth_year=2000, attributes={"gender": "f", "municipality": "740"})
    wave = make_wave(questionnaire, filters={"municipality": ["751"]})
    young_in_aarhus = make_wave(
        questionnaire, name="Young", filters={"municipality": ["751"], "age": ["18-29"]}
    )
    db.session.commit()

    assert eligible_ids(wave) == {aarhus_young.id, aarhus_old.id}
    assert eligible_ids(young_in_aarhus) == {aarhus_young.id}


def test_strata_follow_the_keys_with_the_age_band_at_the_invitation_date(questionnaire):
    # 29 in 2026, 30 in 2027: the band of the year the wave opens
    member = MemberFactory(birth_year=1997, attributes={"gender": "m", "municipality": "751"})
    MemberFactory(birth_year=1990, attributes={"municipality": "751"})  # no gender: unplaced
    wave = make_wave(questionnaire, stratify_by=["age", "gender"])
    db.session.commit()

    frame = eligible_frame(wave, NOW)

    assert frame.ids.tolist() == [member.id]
    assert frame.strata[frame.codes[0]] == ("30-39", "m")
    assert frame.unplaced == 1
    assert len(frame.strata) == 6 * 2


def test_preview_caps_a_short_stratum_and_gives_its_shortfall_to_the_others(questionnaire):
    table = PopulationTable(name="FOLK1A", attribute_keys=["gender", "municipality"])
    for municipality in ("751", "740"):
        table.figures.append(
            PopulationFigure(cell={"gender": "f", "municipality": municipality}, count=300)
        )
        table.figures.append(
            PopulationFigure(cell={"gender": "m", "municipality": municipality}, count=200)
        )
    db.session.add(table)
    MemberFactory.create_batch(30, attributes={"gender": "f", "municipality": "751"})
    MemberFactory.create_batch(5, attributes={"gender": "m", "municipality": "751"})
    wave = make_wave(
        questionnaire,
        allocation_mode=AllocationMode.PROPORTIONAL_POPULATION,
        completes_wanted=10,
        default_response_rate=0.5,
    )
    db.session.commit()

    preview = preview_wave(wave, NOW)

    women, men = preview.allocation.strata
    assert (women.stratum, women.invitations, women.received) == (("f",), 15, 1.5)
    assert (men.stratum, men.invitations, men.capped, men.shortfall) == (("m",), 5, True, 1.5)
    assert preview.frame_size == 35
    assert preview.expected_completes == 10


def test_population_allocation_needs_figures_for_the_stratification_keys(questionnaire):
    MemberFactory.create_batch(3)
    wave = make_wave(
        questionnaire,
        allocation_mode=AllocationMode.PROPORTIONAL_POPULATION,
        stratify_by=["education"],
    )
    db.session.commit()

    with pytest.raises(WaveError):
        preview_wave(wave, NOW)


def test_response_rates_come_from_the_plans_closed_waves_where_they_have_enough(questionnaire):
    plan = WavePlan(name="Half-yearly", questionnaire=questionnaire)
    db.session.add(plan)
    db.session.flush()
    earlier = make_wave(questionnaire, plan_id=plan.id, invite_at=NOW - timedelta(days=180))
    earlier.state = WaveState.CLOSED
    for i, member in enumerate(members(30)):
        stratum = '["f"]' if i < 20 else '["m"]'
        db.session.add(
            Invitation(
                wave=earlier,
                member_id=member.id,
                stratum=stratum,
                invited_at=NOW - timedelta(days=180),
                completed_at=NOW - timedelta(days=175) if i < 5 else None,
            )
        )
    wave = make_wave(questionnaire, name="Now", plan_id=plan.id, default_response_rate=0.4)
    db.session.commit()

    rates = expected_response_rates(wave, [("f",), ("m",)])

    assert rates == {("f",): 0.25, ("m",): 0.4}  # ten invitations are too few to trust


def test_the_same_seed_and_frame_draw_the_same_members(questionnaire):
    members(40)
    design = {
        "completes_wanted": 10,
        "invitation_gap_days": 0,
        "max_invitations_per_year": 10,
        "stratify_by": ["gender", "municipality"],
    }
    first = make_wave(questionnaire, name="A", seed=2027, **design)
    again = make_wave(questionnaire, name="B", seed=2027, **design)
    other = make_wave(questionnaire, name="C", seed=7, **design)
    db.session.commit()

    drawn = {}
    for wave in (first, again, other):
        open_wave(wave, NOW)
        drawn[wave.name] = set(
            db.session.scalars(select(Invitation.member_id).filter_by(wave_id=wave.id))
        )

    assert len(drawn["A"]) == 10
    assert drawn["A"] == drawn["B"]
    assert drawn["A"] != drawn["C"]
    assert first.frame_size == 40 and first.seed == 2027
    per_stratum = {
        tuple(r["stratum"]): r["invitations"] for r in first.allocation if r["invitations"]
    }
    assert sorted(per_stratum.values()) == [2, 2, 3, 3]  # 2.5 each, rounded to total 10


def test_opening_records_a_seed_mails_personal_links_and_uses_the_questionnaire(questionnaire):
    group = members(6)
    wave = make_wave(questionnaire, completes_wanted=4)
    db.session.commit()

    assert open_wave(wave, NOW) == 4

    assert wave.state is WaveState.OPEN and wave.seed is not None and wave.opened_at == NOW
    assert questionnaire.state is QuestionnaireState.IN_USE
    mails = sent_mail(kind="invitation")
    assert len(mails) == 4
    token = link_in(mails[0], "/a/").removeprefix("/a/")
    invitation = find_invitation(token)
    assert invitation is not None and invitation.member_id in {m.id for m in group}
    assert mails[0].to_address == invitation.member.contact.email
    assert invitation.token_hash != token
    assert find_invitation(token[:-1] + "0" if token[-1] != "0" else token[:-1] + "1") is None
    assert "http://localhost/login" in mails[0].body
    assert "Trafik i regionen" in mails[0].subject  # Danish, the member's language


def test_a_draft_questionnaire_cannot_be_sent(english):
    install_default_attributes()
    members(2)
    wave = make_wave(sample_questionnaire(), completes_wanted=2)
    db.session.commit()

    with pytest.raises(WaveError):
        open_wave(wave, NOW)
    assert wave.state is WaveState.PLANNED


def test_a_soft_launch_invites_a_share_first_and_the_rest_on_release(questionnaire):
    members(20)
    wave = make_wave(questionnaire, completes_wanted=8, soft_launch_share=0.25)
    db.session.commit()

    assert open_wave(wave, NOW) == 2
    assert len(sent_mail(kind="invitation")) == 2

    assert release_wave(wave, NOW + timedelta(days=1)) == 6
    addresses = [m.to_address for m in sent_mail(kind="invitation")]
    assert len(addresses) == len(set(addresses)) == 8
    assert release_wave(wave, NOW + timedelta(days=2)) == 0


def test_invitations_another_sender_marked_first_are_neither_mailed_nor_changed(questionnaire):
    """Staff release a soft launch while the scheduler is still sending: between reading the
    unsent invitations and marking them, the other sender marks three and mails them."""
    members(20)
    wave = make_wave(questionnaire, completes_wanted=8, soft_launch_share=0.25)
    db.session.commit()
    open_wave(wave, NOW)
    held = db.session.scalars(
        select(Invitation.id).filter_by(wave_id=wave.id, held_back=True).order_by(Invitation.id)
    ).all()
    other_sender_at = NOW + timedelta(hours=1)
    taken = held[:3]

    def other_sender_marks_first(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT invitation.id, invitation.invited_at"):
            seen.append(statement)  # the sender has read the unsent invitations
        elif statement.startswith("UPDATE invitation") and seen and not taken_done:
            taken_done.append(True)  # and is about to mark them: the other one is faster
            with db.engine.connect() as other:
                other.execute(
                    update(Invitation)
                    .where(Invitation.id.in_(taken))
                    .values(invited_at=other_sender_at, held_back=False)
                )
                other.commit()

    seen: list[str] = []
    taken_done: list[bool] = []
    event.listen(db.engine, "before_cursor_execute", other_sender_marks_first)
    try:
        sent = release_wave(wave, NOW + timedelta(days=1))
    finally:
        event.remove(db.engine, "before_cursor_execute", other_sender_marks_first)

    assert taken_done and sent == len(held) - 3
    assert len(sent_mail(kind="invitation")) == 2 + len(held) - 3
    db.session.expire_all()
    for invitation_id in taken:  # their links, already mailed by the other sender, still work
        assert db.session.get(Invitation, invitation_id).invited_at == other_sender_at


def test_live_counts_per_stratum(questionnaire):
    members(8)
    wave = make_wave(questionnaire, completes_wanted=6)
    db.session.commit()
    open_wave(wave, NOW)
    women = db.session.scalars(
        select(Invitation).filter_by(wave_id=wave.id, stratum=stratum_text(("f",)))
    ).all()
    women[0].started_at = women[1].started_at = NOW + timedelta(hours=1)
    women[0].completed_at = NOW + timedelta(hours=2)
    db.session.commit()

    counts = {c.stratum: (c.invited, c.started, c.completed) for c in live_counts(wave)}

    assert counts == {("f",): (3, 2, 1), ("m",): (3, 0, 0)}
    assert live_counts(wave)[0].response_rate == pytest.approx(1 / 3)


def test_a_deleted_members_invitation_stays_anonymous(questionnaire):
    (member,) = members(1)
    wave = make_wave(questionnaire, completes_wanted=1)
    db.session.commit()
    open_wave(wave, NOW)

    delete_member(member)
    db.session.commit()

    (invitation,) = db.session.scalars(select(Invitation).filter_by(wave_id=wave.id))
    assert invitation.member_id is None and invitation.invited_at == NOW


def test_wave_states_refuse_invalid_transitions(questionnaire):
    wave = make_wave(questionnaire)
    with pytest.raises(InvalidTransition):
        wave.close(NOW)
    wave.pause()
    with pytest.raises(InvalidTransition):
        wave.open(NOW)
    wave.resume()
    wave.open(NOW)
    with pytest.raises(InvalidTransition):
        wave.cancel()
    wave.close(NOW)
    assert wave.state is WaveState.CLOSED


def test_a_plan_creates_its_next_two_waves_once(questionnaire):
    plan = WavePlan(
        name="Borgerpanelet", questionnaire=questionnaire, stratify_by=["age", "gender"]
    )
    db.session.add(plan)
    db.session.flush()

    created = plan_next_waves(plan, datetime(2026, 11, 23, 12, 0))
    again = plan_next_waves(plan, datetime(2026, 11, 24, 12, 0))

    assert [w.plan_occurrence for w in created] == [date(2027, 3, 1), date(2027, 9, 6)]
    assert created[0].invite_at == datetime(2027, 3, 1, 7, 0)  # 08:00 winter time
    assert created[1].invite_at == datetime(2027, 9, 6, 6, 0)  # 08:00 summer time
    assert created[0].stratify_by == ["age", "gender"]
    assert again == []
    created[0].invite_at += timedelta(days=7)  # moved by staff: not planned again
    assert plan_next_waves(plan, datetime(2026, 12, 1)) == []
    assert db.session.scalar(select(func.count()).select_from(Wave)) == 2
