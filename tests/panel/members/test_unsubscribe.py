"""Every mail to a member carries a working unsubscribe link, in the text and in the
headers mail programs use for their own unsubscribe button (RFC 8058)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale

from core.clock import utcnow
from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.mail.outbox import build_email, unsubscribe_url
from panel.members.models import MemberStatus
from panel.members.operations import MAX_PAUSE, queue_profile_checks
from surveys.waves.operations import open_wave
from tests.conftest import make_config
from tests.factories import MemberFactory
from tests.factories.waves import NOW, make_wave, members, ready_questionnaire
from tests.helpers import link_in, sent_mail

CSRF_ON = {"WTF_CSRF_ENABLED": True}
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def app_config(request, database_url, tmp_path):
    return make_config(database_url, tmp_path, **getattr(request, "param", {}))


def test_invitations_and_yearly_mails_end_with_the_members_own_unsubscribe_link(app):
    install_default_attributes()
    with force_locale("en"):
        wave = make_wave(ready_questionnaire(), completes_wanted=2)
    invited = members(2)
    stale = MemberFactory(  # paused, so not invited, but asked to check their profile
        profile_checked_at=utcnow() - timedelta(days=400),
        paused_until=NOW.date() + timedelta(days=30),
    )
    db.session.commit()

    open_wave(wave, NOW)
    queue_profile_checks()
    db.session.commit()

    mails = sent_mail(kind="invitation") + sent_mail(kind="profile_check")
    assert {m.member_id for m in mails} == {m.id for m in invited} | {stale.id}
    for mail in mails:
        own_link = unsubscribe_url(mail.member_id)
        assert mail.body.rstrip().endswith(own_link)
        assert "Ingen flere mails fra borgerpanelet? Afmeld her:" in mail.body
        email = build_email(mail)
        assert email["List-Unsubscribe"] == f"<{own_link}>"
        assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert len({unsubscribe_url(m.id) for m in invited}) == 2  # one link per member


def test_opening_the_link_explains_and_changes_nothing(app, client):
    member = MemberFactory(language="en")
    db.session.commit()

    page = client.get(link_in_mail_for(member), headers={"Accept-Language": "en"})

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "To stop all mail from the citizen panel, you leave the panel" in text
    assert "Pause invitations for a year instead" in text
    assert member.status is MemberStatus.ACTIVE


@pytest.mark.parametrize("app_config", [CSRF_ON], indirect=True)
def test_one_click_from_a_mail_program_leaves_the_panel_without_a_csrf_token(app, client):
    member = MemberFactory(profile_checked_at=utcnow() - timedelta(days=400))
    db.session.commit()

    response = client.post(link_in_mail_for(member), data=ONE_CLICK)

    assert response.status_code == 200
    assert member.status is MemberStatus.LEFT
    assert all(c.withdrawn_at is not None for c in member.consents)
    assert queue_profile_checks() == 0  # no more mail of any kind
    again = client.post(link_in_mail_for(member), data=ONE_CLICK)
    assert again.status_code == 200  # a second click is harmless


@pytest.mark.parametrize("app_config", [CSRF_ON], indirect=True)
def test_the_pages_buttons_need_their_csrf_token(app, client):
    member = MemberFactory()
    db.session.commit()
    link = link_in_mail_for(member)

    forged = client.post(link, data={"action": "leave"})
    assert forged.status_code == 400
    assert member.status is MemberStatus.ACTIVE

    page = client.get(link).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token, "the unsubscribe page carries a CSRF token"
    response = client.post(link, data={"action": "leave", "csrf_token": token[1]})
    assert response.status_code == 200
    assert "Du har forladt panelet" in response.get_data(as_text=True)
    assert member.status is MemberStatus.LEFT


def test_pausing_instead_keeps_the_member_but_stops_invitations_for_a_year(app, client):
    member = MemberFactory()
    db.session.commit()

    response = client.post(link_in_mail_for(member), data={"action": "pause"})

    assert response.status_code == 200
    assert "Dine invitationer er sat på pause" in response.get_data(as_text=True)
    assert member.status is MemberStatus.ACTIVE
    assert member.paused_until == utcnow().date() + MAX_PAUSE


def test_a_forged_or_altered_link_is_refused(app, client):
    member = MemberFactory()
    db.session.commit()
    link = link_in_mail_for(member)

    assert client.get(link[:-2] + "xx").status_code == 404
    assert client.post(link[:-2] + "xx", data=ONE_CLICK).status_code == 404
    assert client.post("/unsubscribe/2", data=ONE_CLICK).status_code == 404
    assert member.status is MemberStatus.ACTIVE


def link_in_mail_for(member) -> str:
    """The unsubscribe path in the member's latest mail (a login link is mailed first)."""
    from panel.members.operations import send_login_link

    send_login_link(member)
    db.session.commit()
    return link_in(sent_mail(to=member.contact.email)[-1], "/unsubscribe/")
