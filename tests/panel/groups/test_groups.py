"""Focus groups: create with population quotas, invite, answer, draw, replace, the cap."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.groups import lottery, operations
from panel.groups.models import CandidateStatus, FocusGroup, GroupKind, GroupState
from stats.lottery import draw as draw_panel
from stats.lottery import find_distribution, round_distribution
from tests.factories import MemberFactory
from tests.factories.results import population
from tests.helpers import login_member, login_staff, sent_mail

DETAILS = operations.GroupDetails(
    kind=GroupKind.FOCUS_GROUP,
    title="Akutmodtagelsen",
    purpose="Hvordan skal ventetiden i akutmodtagelsen forklares?",
    influence="Forslagene går til regionsrådets udvalg.",
    size=5,
)


@pytest.fixture
def panel(app):
    """6 women and 6 men; the population is 60 % women, so k = 5 asks for 3 and 2."""
    install_default_attributes()
    population({"f": 600, "m": 400})
    women = [MemberFactory(attributes={"gender": "f"}) for _ in range(6)]
    men = [MemberFactory(attributes={"gender": "m"}) for _ in range(6)]
    db.session.commit()
    return women, men


def pooled_group(women, men) -> FocusGroup:
    """A group that invited everyone, and everyone said yes; women 0 and 1 live together."""
    group = operations.create_group(DETAILS)
    operations.invite_pool(group, 100)
    for i, candidate in enumerate(group.candidates):
        street = (
            "Vestergade 1" if candidate.member_id in (women[0].id, women[1].id) else f"Gade {i}"
        )
        operations.answer_invitation(candidate, True, street, "8000")
    db.session.commit()
    return group


def test_staff_create_a_group_with_quotas_from_the_population(client, panel):
    login_staff(client)
    response = client.post(
        "/staff/groups/",
        data={
            "kind": "task_committee",
            "title": "Opgaveudvalg om sundhedshuse",
            "purpose": "Hvor skal de nye sundhedshuse ligge?",
            "influence": "Udvalget giver råd til regionsrådet.",
            "size": "5",
        },
    )
    assert response.status_code == 302
    group = db.session.scalars(select(FocusGroup)).one()
    assert group.state is GroupState.DRAFT
    assert {(q["category"], q["min"], q["max"]) for q in group.quotas} == {("f", 3, 3), ("m", 2, 2)}
    page = client.get(f"/staff/groups/{group.id}").get_data(as_text=True)
    assert "gender,f,3,3" in page


def test_invited_members_get_mail_and_answer_on_their_page(client, panel):
    women, men = panel
    group = operations.create_group(DETAILS)
    assert operations.invite_pool(group, 4) == 4
    db.session.commit()
    assert group.state is GroupState.POOL
    assert len(sent_mail(kind="group_invitation")) == 4
    member = group.candidates[0].member
    login_member(client, member)
    page = client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert DETAILS.purpose in page and DETAILS.influence in page
    # yes needs an address (one per household)
    refused = client.post(f"/groups/{group.id}", data={"answer": "yes"})
    assert refused.status_code == 200 and group.candidates[0].status is CandidateStatus.INVITED
    client.post(
        f"/groups/{group.id}", data={"answer": "yes", "street": "Vestergade 1", "postcode": "8000"}
    )
    db.session.refresh(group.candidates[0])
    assert group.candidates[0].status is CandidateStatus.ACCEPTED
    assert group.candidates[0].household == operations.household_key(
        group, " vestergade  1", "8000"
    )
    # a member not invited sees nothing
    outsider = next(m for m in women + men if m.id not in {c.member_id for c in group.candidates})
    login_member(client, outsider)
    assert client.get(f"/groups/{group.id}").status_code == 404


def test_the_draw_meets_the_quotas_one_per_household_and_is_recorded(client, panel):
    women, men = panel
    group = pooled_group(women, men)
    login_staff(client)
    response = client.post(
        f"/staff/groups/{group.id}/draw", data={"seed": "2027-03-01 Lotto 4 9 17"}
    )
    assert response.status_code == 302
    db.session.refresh(group)
    assert group.state is GroupState.DRAWN
    selected = [c for c in group.candidates if c.status is CandidateStatus.SELECTED]
    assert Counter(c.member.attributes["gender"] for c in selected) == {"f": 3, "m": 2}
    assert not {women[0].id, women[1].id} <= {c.member_id for c in selected}
    # men: 2 places of 6. Women: 3 of 6, but women 0 and 1 are never drawn together; all
    # six still get 1/2 when every panel holds one of those two and 2 of the other 4
    chances = {c.member_id: c.probability for c in group.candidates}
    assert all(chances[m.id] == pytest.approx(1 / 3, abs=1e-3) for m in men)
    assert all(chances[w.id] == pytest.approx(1 / 2, abs=1e-3) for w in women)
    assert len(sent_mail(kind="group_selected")) == 5
    drawn = group.draw
    assert drawn is not None and drawn.seed == "2027-03-01 Lotto 4 9 17"
    audit = db.session.scalars(select(AuditEvent).filter_by(action="groups.draw")).one()
    assert audit.details["seed"] == drawn.seed and audit.target == f"group:{group.id}"
    staff_page = client.get(f"/staff/groups/{group.id}").get_data(as_text=True)
    assert drawn.seed in staff_page and f"{drawn.slot} af 10000" in staff_page.replace("\u00a0", "")
    # anyone can re-run it: the same pool and seed select the same people
    pool = lottery.pool_at_draw(group, drawn)
    rounded = round_distribution(find_distribution(pool))
    assert sorted(draw_panel(rounded, drawn.seed).selected) == sorted(
        str(i) for i in drawn.selected
    )
    # a member sees their own chance
    login_member(client, selected[0].member)
    page = client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "%.2f" % (selected[0].probability * 100) in page


def test_a_drop_out_is_replaced_by_an_alternate_who_keeps_the_quotas(client, panel):
    women, men = panel
    group = pooled_group(women, men)
    lottery.draw_group(group, "seed")
    db.session.commit()
    leaving = next(
        c
        for c in group.candidates
        if c.status is CandidateStatus.SELECTED and c.member.attributes["gender"] == "m"
    )
    login_staff(client)
    client.post(f"/staff/groups/{group.id}/replace/{leaving.id}")
    db.session.refresh(group)
    assert leaving.status is CandidateStatus.DROPPED_OUT
    selected = [c for c in group.candidates if c.status is CandidateStatus.SELECTED]
    assert Counter(c.member.attributes["gender"] for c in selected) == {"f": 3, "m": 2}
    first_man_alternate = next(
        i
        for i in group.draw.alternates
        if db.session.get(type(leaving), i).member.attributes["gender"] == "m"
    )
    assert first_man_alternate in {c.id for c in selected}
    assert db.session.scalars(select(AuditEvent).filter_by(action="groups.replace")).one()


def test_quotas_that_cannot_be_met_say_which_and_by_how_much(client, panel, english):
    women, men = panel
    group = pooled_group(women, men)
    group.quotas = [{"attribute": "gender", "category": "m", "min": 8, "max": 9}]
    db.session.commit()
    login_staff(client, language="en")
    page = client.get(f"/staff/groups/{group.id}").get_data(as_text=True)
    assert "gender m: 5 to 9 instead of 8 to 9." in page
    response = client.post(f"/staff/groups/{group.id}/draw", data={"seed": "x"})
    assert response.status_code == 400
    assert group.state is GroupState.POOL


def test_a_member_drawn_for_one_group_is_not_invited_to_the_next(panel):
    women, men = panel
    group = pooled_group(women, men)
    lottery.draw_group(group, "seed")
    db.session.commit()
    drawn = {c.member_id for c in group.candidates if c.status is CandidateStatus.SELECTED}
    second = operations.create_group(DETAILS)
    assert operations.invite_pool(second, 100) == 12 - 5
    assert not drawn & {c.member_id for c in second.candidates}


def test_only_staff_reach_the_staff_pages(client, panel):
    women, _ = panel
    login_member(client, women[0])
    assert client.get("/staff/groups/").status_code == 403


def test_a_members_groups_are_on_their_profile_and_in_their_data_export(client, panel):
    from panel.members.operations import member_data_sections

    women, men = panel
    group = pooled_group(women, men)
    lottery.draw_group(group, "seed")
    db.session.commit()
    candidate = group.candidates[0]
    login_member(client, candidate.member)
    profile = client.get("/profile").get_data(as_text=True)
    assert f'href="/groups/{group.id}"' in profile and group.title in profile
    sections = {s.key: s.data for s in member_data_sections(candidate.member, [], "da")}
    assert sections["groups"] == [
        {
            "group": group.title,
            "status": candidate.status.value,
            "invited_at": candidate.invited_at.isoformat(),
            "answered_at": candidate.answered_at.isoformat(),
            "household_code": candidate.household,
            "probability": candidate.probability,
            "selected_at": candidate.selected_at.isoformat() if candidate.selected_at else None,
        }
    ]
