"""The demo panel: synthetic members, population figures and one account per role.

Everything here is made up and marked so (``Member.synthetic``, addresses under the
reserved ``.example`` domain, a population table named as synthetic). The members are
drawn with the biases real panels have (older, more educated and more urban people join
more readily), so the composition page has real gaps to show.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import func, select

from core.clock import utcnow
from extensions import db
from panel.auth import hash_password, issue_token
from panel.demographics.attributes import (
    AGE_BANDS,
    MIDTJYLLAND_MUNICIPALITIES,
    install_default_attributes,
)
from panel.demographics.models import PopulationFigure, PopulationTable
from panel.members.consent import CONSENT_VERSION, add_years
from panel.members.models import Consent, Member, MemberContact, MemberStatus, TokenPurpose
from panel.staff.models import Role, StaffUser

log = logging.getLogger(__name__)

DEMO_POPULATION_NAME = "Befolkning 18+ i Region Midtjylland (syntetisk demo)"
DEMO_DOMAIN = "demo.borgerpanel.example"  # reserved (RFC 2606): never delivered

#: Demo logins, printed by ``flask --app app demo``; never use these outside a demo.
DEMO_ACCOUNTS: dict[str, dict[str, str]] = {
    "admin": {"email": f"admin@{DEMO_DOMAIN}", "password": "demo-admin-2026", "name": "Demo Admin"},
    "staff": {"email": f"staff@{DEMO_DOMAIN}", "password": "demo-staff-2026", "name": "Demo Staff"},
    "politician": {
        "email": f"politiker@{DEMO_DOMAIN}",
        "password": "demo-politiker-2026",
        "name": "Demo Politiker",
    },
}

#: Rough adult populations (thousands) of the 19 municipalities, for plausible proportions.
_ADULTS_THOUSANDS = {
    "710": 40, "766": 37, "657": 72, "661": 47, "615": 77, "756": 33, "665": 16,
    "707": 30, "727": 19, "730": 79, "760": 45, "741": 3.2, "740": 79, "746": 49,
    "779": 37, "671": 17, "706": 35, "791": 78, "751": 300,
}  # fmt: skip
_EDUCATION = ("basic", "upper", "short", "long")


def synthetic_population(seed: int = 2026) -> dict[tuple[str, str, str, str], int]:
    """Adults per (age band, gender, municipality, education) cell, deterministic."""
    rng = np.random.default_rng(seed)
    age_share = np.array([0.19, 0.15, 0.15, 0.17, 0.15, 0.19])
    figures: dict[tuple[str, str, str, str], int] = {}
    for code, _name in MIDTJYLLAND_MUNICIPALITIES:
        adults = _ADULTS_THOUSANDS[code] * 1000
        ages = age_share * (1.35 if code == "751" else 1.0) ** np.array([1, 0, 0, -0.5, -1, -1])
        ages = ages / ages.sum()
        for a, (band, _lo, _hi) in enumerate(AGE_BANDS):
            for gender, g_share in (("f", 0.5 + 0.02 * (a - 2)), ("m", 0.5 - 0.02 * (a - 2))):
                young = a <= 1
                edu = (
                    np.array([0.14, 0.42, 0.28, 0.16])
                    if young
                    else np.array([0.22 + 0.03 * a, 0.42, 0.23 - 0.02 * a, 0.13 - 0.01 * a])
                )
                if code == "751":
                    edu = edu * np.array([0.7, 0.9, 1.1, 1.8])
                edu = edu / edu.sum()
                noise = rng.uniform(0.95, 1.05, size=4)
                for e, level in enumerate(_EDUCATION):
                    count = adults * ages[a] * g_share * edu[e] * noise[e]
                    figures[(band, gender, code, level)] = round(count)
    return figures


def _demo_population(figures: dict[tuple[str, str, str, str], int]) -> PopulationTable:
    table = PopulationTable(
        name=DEMO_POPULATION_NAME,
        source="Syntetiske tal efter mønsteret i Danmarks Statistik, FOLK1A og HFUDD",
        attribute_keys=["age", "gender", "municipality", "education"],
    )
    for (band, gender, code, level), count in figures.items():
        cell = {"age": band, "gender": gender, "municipality": code, "education": level}
        table.figures.append(PopulationFigure(cell=cell, count=count))
    db.session.add(table)
    return table


def _demo_members(figures: dict[tuple[str, str, str, str], int], count: int, seed: int) -> int:
    """Draw ``count`` members from the population, tilted the way panels are in practice."""
    rng = np.random.default_rng(seed)
    cells = list(figures)
    band_index = {band: i for i, (band, _, _) in enumerate(AGE_BANDS)}
    propensity = np.array(
        [
            (0.6 + 0.12 * band_index[band])
            * (1.15 if gender == "f" else 1.0)
            * (1.3 if municipality == "751" else 1.0)
            * {"basic": 0.5, "upper": 0.9, "short": 1.3, "long": 1.8}[level]
            for band, gender, municipality, level in cells
        ]
    )
    weights = np.array([figures[c] for c in cells], dtype=float) * propensity
    picks = rng.choice(len(cells), size=count, p=weights / weights.sum())
    now = utcnow()
    this_year = now.year
    first = db.session.scalar(select(func.count()).select_from(Member).filter_by(synthetic=True))
    statuses = rng.choice(4, size=count, p=[0.86, 0.05, 0.05, 0.04])
    for i, pick in enumerate(picks, start=(first or 0) + 1):
        band, gender, municipality, level = cells[pick]
        lo, hi = next((lo, hi) for b, lo, hi in AGE_BANDS if b == band)
        age = int(rng.integers(lo, (hi or 90) + 1))
        joined = now - timedelta(days=int(rng.integers(20, 5 * 365 + 200)))
        kind = int(statuses[i - (first or 0) - 1])
        member = Member(
            status=MemberStatus.PENDING if kind == 1 else MemberStatus.ACTIVE,
            language="en" if rng.random() < 0.06 else "da",
            birth_year=this_year - age,
            attributes={"gender": gender, "municipality": municipality, "education": level},
            source="demo",
            synthetic=True,
            joined_at=joined,
            confirmed_at=None if kind == 1 else joined + timedelta(hours=2),
            profile_checked_at=None if kind == 1 else joined + timedelta(hours=2),
            paused_until=(now + timedelta(days=60)).date() if kind == 2 else None,
            consent_expires_at=add_years(joined, current_app.config["CONSENT_YEARS"]),
            contact=MemberContact(email=f"borger{i:05d}@{DEMO_DOMAIN}", name=f"Demoborger {i}"),
        )
        if kind == 3:
            member.status = MemberStatus.LEFT
            member.left_at = now - timedelta(days=10)
        member.consents.append(
            Consent(
                text_version=CONSENT_VERSION,
                given_at=joined,
                expires_at=add_years(joined, current_app.config["CONSENT_YEARS"]),
                withdrawn_at=member.left_at,
                source="web",
            )
        )
        if member.left_at is not None:
            member.consent_expires_at = None
        db.session.add(member)
    return count


def has_real_data() -> bool:
    """Whether the database holds anything the demo did not make: a member who is not
    synthetic, or a staff account outside the demo's domain. The demo's printed logins and
    known passwords must never land in a real panel by mistake."""
    real_member = select(Member.id).filter_by(synthetic=False).limit(1)
    real_staff = select(StaffUser.id).where(~StaffUser.email.endswith(f"@{DEMO_DOMAIN}")).limit(1)
    return db.session.scalar(real_member) is not None or db.session.scalar(real_staff) is not None


def build_demo_panel(members: int = 2400, seed: int = 2026) -> dict[str, Any]:
    """Create the demo panel if it is not there yet; say how to get in.

    Idempotent: a second run adds nothing (it tops the panel up only when asked for more
    members than exist), so ``make demo`` can run on every start. ``surveys.demo.build``
    adds the questionnaire and waves on top (``flask --app app demo`` runs both).
    """
    install_default_attributes()
    for role, account in DEMO_ACCOUNTS.items():
        if db.session.scalar(select(StaffUser).filter_by(email=account["email"])) is None:
            db.session.add(
                StaffUser(
                    email=account["email"],
                    name=account["name"],
                    role=Role(role),
                    password_hash=hash_password(account["password"]),
                )
            )
    figures = synthetic_population(seed)
    if db.session.scalar(select(PopulationTable).filter_by(name=DEMO_POPULATION_NAME)) is None:
        _demo_population(figures)
    existing = db.session.scalar(select(func.count()).select_from(Member).filter_by(synthetic=True))
    if (existing or 0) < members:
        added = _demo_members(figures, members - (existing or 0), seed + (existing or 0))
        log.info("demo: added %s synthetic members", added)
    db.session.commit()
    citizen = db.session.scalar(
        select(Member)
        .filter_by(synthetic=True, status=MemberStatus.ACTIVE, paused_until=None)
        .order_by(Member.id)
        .limit(1)
    )
    base_url = current_app.config["BASE_URL"]
    info: dict[str, Any] = {
        "url": base_url,
        "accounts": {
            role: {
                "email": a["email"],
                "password": a["password"],
                "login_url": f"{base_url}/staff/login",
            }
            for role, a in DEMO_ACCOUNTS.items()
        },
    }
    if citizen is not None and citizen.contact is not None:
        token = issue_token(citizen, TokenPurpose.LOGIN, timedelta(days=7))
        info["accounts"]["citizen"] = {
            "email": citizen.contact.email,
            "login_url": f"{base_url}/login/{token}",
        }
    db.session.commit()
    return info
