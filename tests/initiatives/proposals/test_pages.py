"""The proposal pages as citizens and staff use them, without JavaScript."""

from __future__ import annotations

from sqlalchemy import select

from core.audit import AuditEvent
from extensions import db
from initiatives.proposals.models import ProposalState, SupportContact
from panel.staff.models import Role
from tests.factories import MemberFactory
from tests.factories.initiatives import ProposalFactory
from tests.helpers import link_in, login_member, login_staff, sent_mail

PERSON = {"name": "Ida Holm", "email": "ida@example.dk", "birth_date": "1990-05-01",
          "declaration": "y"}  # fmt: skip


def _path(mail, prefix):
    return link_in(mail, prefix)


def test_a_citizen_writes_invites_and_submits_a_proposal(client):
    page = client.get("/proposals/new")
    assert page.status_code == 200 and "regionsrådet" in page.get_data(as_text=True)
    response = client.post(
        "/proposals/new", data={"title": "Night buses", "text": "More night buses.", **PERSON}
    )
    assert response.status_code == 302
    manage = _path(sent_mail(to="ida@example.dk")[0], "/proposals/manage/")
    assert b"Night buses" in client.get(manage).data
    client.post(manage + "/invite", data={"email": "bo@example.dk"})
    invitation = _path(sent_mail(to="bo@example.dk")[0], "/proposals/invitation/")
    accepted = client.post(
        invitation, data={"name": "Bo Lund", "birth_date": "1985-01-02", "declaration": "y"}
    )
    assert accepted.status_code == 302
    client.post(manage + "/submit")
    db.session.expire_all()
    from initiatives.proposals.models import Proposal

    proposal = db.session.scalar(select(Proposal))
    assert proposal.state is ProposalState.SCREENING
    assert {p.name for p in proposal.proposers if p.accepted_at} == {"Ida Holm", "Bo Lund"}
    assert client.get(f"/proposals/{proposal.id}").status_code == 404  # not public yet


def test_a_manage_link_that_was_never_issued_is_gone(client):
    assert client.get("/proposals/manage/nonsense").status_code == 410


def test_the_public_page_shows_counts_and_never_the_supporters(client):
    proposal = ProposalFactory(threshold=5)
    db.session.commit()
    response = client.post(f"/proposals/{proposal.id}/support", data=PERSON)
    assert response.status_code == 302
    confirm = _path(sent_mail(to="ida@example.dk")[0], "/proposals/confirm/")
    assert client.get(confirm).status_code == 200  # a mail scanner's GET changes nothing
    assert client.post(confirm).status_code == 302
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "1 støtte" in page
    assert "Ida Holm" not in page and "ida@example.dk" not in page
    assert client.post(confirm).status_code == 410


def test_a_logged_in_member_supports_with_one_button_and_twice_counts_once(client):
    proposal = ProposalFactory()
    member = MemberFactory()
    db.session.commit()
    login_member(client, member)
    client.post(f"/proposals/{proposal.id}/support")
    client.post(f"/proposals/{proposal.id}/support")
    contacts = db.session.scalars(select(SupportContact.member_id)).all()
    assert contacts == [member.id]


def test_a_support_form_with_errors_says_what_is_wrong(client, english):
    proposal = ProposalFactory()
    db.session.commit()
    client.get("/language/en")
    response = client.post(f"/proposals/{proposal.id}/support", data={"name": "X"})
    assert response.status_code == 422
    assert b"Enter your e-mail address." in response.data


def test_staff_screen_with_a_published_reason(client):
    proposal = ProposalFactory(state=ProposalState.SCREENING, published_at=None, closes_at=None,
                               screening_reason=None)  # fmt: skip
    db.session.commit()
    login_staff(client, Role.STAFF)
    assert client.get(f"/staff/proposals/{proposal.id}").status_code == 200
    response = client.post(
        f"/staff/proposals/{proposal.id}/screen",
        data={"decision": "reject", "reason": "The region does not run schools."},
    )
    assert response.status_code == 302
    public = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "The region does not run schools." in public


def test_staff_record_paper_support_decision_and_outcome(client):
    proposal = ProposalFactory(threshold=1)
    db.session.commit()
    login_staff(client, Role.STAFF)
    client.post(
        f"/staff/proposals/{proposal.id}/paper",
        data={"name": "Kaj", "birth_date": "1950-01-01", "note": "Library form"},
    )
    db.session.refresh(proposal)
    assert proposal.state is ProposalState.THRESHOLD_REACHED
    client.post(f"/staff/proposals/{proposal.id}/decision", data={"text": "Adopted."})
    client.post(f"/staff/proposals/{proposal.id}/outcome", data={"text": "Buses from May."})
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "Adopted." in page and "Buses from May." in page
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == [
        "proposal.paper_support", "proposal.threshold_reached", "proposal.treat",
        "proposal.answer",
    ]  # fmt: skip


def test_politicians_and_citizens_cannot_use_the_staff_pages(client):
    proposal = ProposalFactory()
    db.session.commit()
    login_staff(client, Role.POLITICIAN)
    assert client.get(f"/staff/proposals/{proposal.id}").status_code == 403


def test_screening_shows_similar_proposals_to_spot_a_duplicate(client):
    earlier = ProposalFactory(title="Natbusser til hospitalet", text="Flere natbusser om natten.")
    unrelated = ProposalFactory(title="Cykelstier", text="Bredere cykelstier langs landevejen.")
    new = ProposalFactory(state=ProposalState.SCREENING, title="Natbusser",
                          text="Natbusser til hospitalet, tak.")  # fmt: skip
    db.session.commit()
    login_staff(client, Role.STAFF)
    page = client.get(f"/staff/proposals/{new.id}").get_data(as_text=True)
    assert earlier.title in page and unrelated.title not in page
