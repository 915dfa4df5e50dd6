"""`flask --app app demo`: a synthetic panel a newcomer can log in to at once."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from extensions import db
from panel.demographics.models import PopulationFigure
from panel.members.models import Member
from tests.factories import MemberFactory, StaffUserFactory


def _demo_json(runner) -> dict:
    result = runner.invoke(args=["demo", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_demo_builds_a_plausible_synthetic_panel_once(runner):
    info = _demo_json(runner)
    members = db.session.scalar(select(func.count()).select_from(Member))
    assert members >= 2000
    real = select(func.count()).select_from(Member).filter_by(synthetic=False)
    assert db.session.scalar(real) == 0
    municipalities = {m.attributes["municipality"] for m in db.session.scalars(select(Member))}
    assert len(municipalities) == 19
    ages = {m.birth_year for m in db.session.scalars(select(Member))}
    assert max(ages) - min(ages) > 50
    figures = db.session.scalar(select(func.count()).select_from(PopulationFigure))
    assert figures == 6 * 2 * 19 * 4

    again = _demo_json(runner)
    assert db.session.scalar(select(func.count()).select_from(Member)) == members
    assert again["accounts"]["admin"] == info["accounts"]["admin"]


def test_demo_logins_work_for_every_role(runner, client):
    info = _demo_json(runner)
    assert info["url"].startswith("http")
    for role in ("admin", "staff", "politician"):
        account = info["accounts"][role]
        response = client.post(
            "/staff/login", data={"email": account["email"], "password": account["password"]}
        )
        assert response.status_code == 302, role
        client.post("/logout")


def test_demo_refuses_a_database_with_real_members_unless_forced(runner):
    MemberFactory()
    db.session.commit()
    refused = runner.invoke(args=["demo", "--members", "50"])
    assert refused.exit_code != 0
    assert "real members" in refused.output
    assert db.session.scalar(select(func.count()).select_from(Member)) == 1

    forced = runner.invoke(args=["demo", "--members", "600", "--force"])
    assert forced.exit_code == 0, forced.output
    assert db.session.scalar(select(func.count()).select_from(Member)) > 1


def test_demo_refuses_a_database_with_real_staff_accounts(runner):
    StaffUserFactory(email="jens@region.dk")
    db.session.commit()
    assert runner.invoke(args=["demo", "--members", "50"]).exit_code != 0
