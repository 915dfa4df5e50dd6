"""Every route of the app, for every role: who gets in and who is turned away.

``ACCESS`` names, for each endpoint, the roles that may use it. A route that is not in
the table fails the suite, so nobody adds a page without deciding who may see it.
"Allowed" means the answer is neither 401/403 nor a redirect to a login page (a 404 for
an id that does not exist, or a 400 for an empty form, is still "allowed"); "refused"
means exactly 401/403 or that redirect.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import Rule

from extensions import db
from panel.demographics.models import Attribute, Category
from panel.staff.models import Role
from surveys.questionnaires.models import Page, Question
from tests.answering import open_invitation
from tests.conftest import make_config
from tests.factories import MemberFactory
from tests.helpers import login_member, login_staff

ROLES = ("anonymous", "citizen", "politician", "staff", "admin")
EVERYONE = frozenset(ROLES)
CITIZEN = frozenset({"citizen"})
READERS = frozenset({"politician", "staff", "admin"})
STAFF = frozenset({"staff", "admin"})
ADMIN = frozenset({"admin"})
#: The integration API answers a bearer token only: every browser session gets 401
#: (the API's own tests cover its tokens and scopes).
TOKEN_ONLY: frozenset[str] = frozenset()

#: Who may use each endpoint. Add every new route here, with a decision.
ACCESS: dict[str, frozenset[str]] = {
    "static": EVERYONE,
    # the public pages, joining and logging in
    "panel.index": EVERYONE,
    "panel.about": EVERYONE,
    "panel.join": EVERYONE,
    "panel.join_sent": EVERYONE,
    "panel.confirm": EVERYONE,
    "panel.confirm_email": EVERYONE,
    "panel.login": EVERYONE,
    "panel.login_sent": EVERYONE,
    "panel.login_link": EVERYONE,
    "panel.unsubscribe": EVERYONE,
    "auth.staff_login": EVERYONE,
    # only between a right password and the code; everyone else goes to the login page
    "auth.staff_login_code": frozenset(),
    "panel.logout": EVERYONE,
    "panel.set_language": EVERYONE,
    # answering through a personal or public link: the token is the permission
    "answering.intro": EVERYONE,
    "answering.page": EVERYONE,
    "answering.done": EVERYONE,
    "public_answering.start": EVERYONE,
    "results.public": EVERYONE,
    # citizen proposals: public pages, and personal links whose token is the permission
    "proposals.index": EVERYONE,
    "proposals.new": EVERYONE,
    "proposals.sent": EVERYONE,
    "proposals.show": EVERYONE,
    "proposals.support": EVERYONE,
    "proposals.support_sent": EVERYONE,
    "proposals.supported": EVERYONE,
    "proposals.confirm": EVERYONE,
    "proposals.manage": EVERYONE,
    "proposals.invite": EVERYONE,
    "proposals.act": EVERYONE,
    "proposals.invitation": EVERYONE,
    "ideas.index": EVERYONE,
    "ideas.new": EVERYONE,
    "ideas.sent": EVERYONE,
    "ideas.show": EVERYONE,
    # a member's own pages
    "panel.profile": CITIZEN,
    "panel.profile_edit": CITIZEN,
    "panel.profile_checked": CITIZEN,
    "panel.pause": CITIZEN,
    "panel.resume": CITIZEN,
    "panel.renew_consent": CITIZEN,
    "panel.profile_language": CITIZEN,
    "panel.leave": CITIZEN,
    "panel.export": CITIZEN,
    "panel.delete": CITIZEN,
    "member_groups.invitation": CITIZEN,
    # results for politicians and staff
    "results.index": READERS,
    "results.summary": READERS,
    # everyone with a staff account sets up their own two-factor login
    "auth.two_factor": READERS,
    # running the panel
    "staff.overview": STAFF,
    "staff.members": STAFF,
    "staff.member": STAFF,
    "staff.export_members": STAFF,
    "staff.import_members": STAFF,
    "staff.population": STAFF,
    "staff.attributes": STAFF,
    "staff.attribute": STAFF,
    "staff.add_category": STAFF,
    "staff.category": STAFF,
    "staff.move_category": STAFF,
    "staff.delete_category": STAFF,
    "questionnaires.index": STAFF,
    "questionnaires.new": STAFF,
    "questionnaires.questionnaire": STAFF,
    "questionnaires.design": STAFF,
    "questionnaires.mark_ready": STAFF,
    "questionnaires.new_version": STAFF,
    "questionnaires.add_page": STAFF,
    "questionnaires.edit_page": STAFF,
    "questionnaires.move_page": STAFF,
    "questionnaires.delete_page": STAFF,
    "questionnaires.new_question": STAFF,
    "questionnaires.edit_question": STAFF,
    "questionnaires.move_question": STAFF,
    "questionnaires.duplicate_question": STAFF,
    "questionnaires.delete_question": STAFF,
    "questionnaires.preview": STAFF,
    "questionnaires.preview_page": STAFF,
    "exchange.export_json": STAFF,
    "exchange.export_xlsform": STAFF,
    "exchange.import_json": STAFF,
    "exchange.import_xlsform": STAFF,
    "questionnaires.public_link": STAFF,
    "entry.start": STAFF,
    "entry.resume": STAFF,
    "entry.page": STAFF,
    "entry.done": STAFF,
    "waves.index": STAFF,
    "waves.wave": STAFF,
    "waves.move": STAFF,
    "waves.release": STAFF,
    "waves.pause": STAFF,
    "waves.resume": STAFF,
    "waves.cancel": STAFF,
    "plans.index": STAFF,
    "plans.plan": STAFF,
    "plans.enable": STAFF,
    "plans.disable": STAFF,
    "weighting.page": STAFF,
    "exports.answers": STAFF,
    "exports.summary": STAFF,
    "exports.report": STAFF,
    "exports.report_pdf": STAFF,
    "publishing.publish": STAFF,
    "publishing.quotes": STAFF,
    "proposals_staff.index": STAFF,
    "proposals_staff.show": STAFF,
    "proposals_staff.screen": STAFF,
    "proposals_staff.statement": STAFF,
    "proposals_staff.paper": STAFF,
    "proposals_staff.ask_panel": STAFF,
    "ideas_staff.index": STAFF,
    "ideas_staff.show": STAFF,
    # administration
    "groups.index": STAFF,
    "groups.detail": STAFF,
    "groups.edit": STAFF,
    "groups.invite": STAFF,
    "groups.draw": STAFF,
    "groups.replace": STAFF,
    "groups.close": STAFF,
    "staff.audit": ADMIN,
    "api_staff.tokens": ADMIN,
    "api_staff.revoke_token": ADMIN,
    "api_staff.webhooks": ADMIN,
    "api_staff.toggle_webhook": ADMIN,
    # the integration API, its description and the load balancer's health check
    "health.healthz": EVERYONE,
    "api-docs.openapi_json": EVERYONE,
    "api-docs.openapi_swagger_ui": EVERYONE,
    "api_members.attributes": TOKEN_ONLY,
    "api_members.list_members": TOKEN_ONLY,
    "api_members.create_member": TOKEN_ONLY,
    "api_members.read_member": TOKEN_ONLY,
    "api_members.update_member": TOKEN_ONLY,
    "api_members.remove_member": TOKEN_ONLY,
    "api_members.import_many": TOKEN_ONLY,
    "api_members.population": TOKEN_ONLY,
    "api_surveys.list_questionnaires": TOKEN_ONLY,
    "api_surveys.create_questionnaire": TOKEN_ONLY,
    "api_surveys.read_questionnaire": TOKEN_ONLY,
    "api_surveys.ready_questionnaire": TOKEN_ONLY,
    "api_surveys.list_plans": TOKEN_ONLY,
    "api_surveys.list_waves": TOKEN_ONLY,
    "api_surveys.create_from_plan": TOKEN_ONLY,
    "api_surveys.read_wave": TOKEN_ONLY,
    "api_results.export_answers": TOKEN_ONLY,
    "api_results.results": TOKEN_ONLY,
    "api_groups.list_groups": TOKEN_ONLY,
    "api_groups.read_group": TOKEN_ONLY,
    "api_initiatives.list_proposals": TOKEN_ONLY,
    "api_initiatives.read_proposal": TOKEN_ONLY,
    "api_initiatives.list_ideas": TOKEN_ONLY,
    "api_initiatives.read_idea": TOKEN_ONLY,
}

#: Requests after which the user is no longer logged in (or no longer exists).
SESSION_ENDING = {"panel.logout", "panel.leave", "panel.delete"}
LOGIN_PAGES = {"/login", "/staff/login"}


@pytest.fixture
def app_config(database_url, tmp_path):
    """A view that fails after its access check (a 500) still let the user in: this test
    is about who gets in, so errors come back as pages instead of being raised."""
    return make_config(database_url, tmp_path, PROPAGATE_EXCEPTIONS=False)


@pytest.fixture
def ids(app: Flask) -> dict[str, Any]:
    """Real objects for the URL parameters; 999999 where a 404 is as good."""
    invitation = open_invitation()
    wave = invitation.wave
    page = db.session.scalar(select(Page).filter_by(questionnaire_id=wave.questionnaire_id))
    question = db.session.scalar(select(Question).filter_by(page_id=page.id))  # type: ignore[union-attr]
    attribute = db.session.scalar(select(Attribute).order_by(Attribute.id))
    category = db.session.scalar(select(Category).order_by(Category.id))
    return {
        "member_id": invitation.member_id,
        "attribute_id": attribute.id,  # type: ignore[union-attr]
        "category_id": category.id,  # type: ignore[union-attr]
        "questionnaire_id": wave.questionnaire_id,
        "page_id": page.id,  # type: ignore[union-attr]
        "question_id": question.id,  # type: ignore[union-attr]
        "wave_id": wave.id,
        "plan_id": 999999,
        "group_id": 999999,
        "candidate_id": 999999,
        "token_id": 999999,
        "endpoint_id": 999999,
        "response_id": 999999,
        "number": 1,
        "proposal_id": 999999,
        "idea_id": 999999,
        "action": "submit",
        "what": "decision",
        "token": "no-such-token",
        "lang": "da",
        "code": "da",
        "fmt": "csv",
        "filename": "app.css",
    }


def log_in(client: FlaskClient, role: str) -> None:
    if role == "anonymous":
        return
    if role == "citizen":
        member = MemberFactory()
        db.session.commit()
        login_member(client, member)
        return
    login_staff(client, Role(role))


def url_for_rule(rule: Rule, ids: dict[str, Any]) -> str:
    missing = set(rule.arguments) - set(ids)
    assert not missing, f"{rule.rule}: give the test fixture a value for {missing}"
    return rule.build({name: ids[name] for name in rule.arguments}, append_unknown=False)[1]


def refused(response: Any) -> bool:
    if response.status_code in (401, 403):
        return True
    if response.status_code in (301, 302, 303, 307, 308):
        return urlsplit(response.headers["Location"]).path in LOGIN_PAGES
    return False


def rules(app: Flask) -> list[Rule]:
    """The rules in a fixed order, with the ones that end a session last."""
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint in SESSION_ENDING, r.rule))


def test_every_route_has_an_access_decision(app):
    undecided = sorted({r.endpoint for r in app.url_map.iter_rules()} - set(ACCESS))
    assert undecided == [], f"add these endpoints to ACCESS in {__file__}: {undecided}"


@pytest.mark.parametrize("role", ROLES)
def test_every_route_lets_in_exactly_the_roles_it_should(app, ids, role):
    client = app.test_client()
    log_in(client, role)
    wrong = []
    for rule in rules(app):
        allowed = role in ACCESS.get(rule.endpoint, frozenset())
        url = url_for_rule(rule, ids)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            if refused(response) == allowed:
                wrong.append(f"{method} {url} ({rule.endpoint}): {response.status_code}")
            if rule.endpoint in SESSION_ENDING and role != "anonymous":
                client = app.test_client()
                log_in(client, role)
    assert wrong == [], f"as {role}, against the ACCESS table:\n" + "\n".join(wrong)
