"""The panel's composition against the population, on a small panel computed by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import today, utcnow
from extensions import db
from panel.demographics.attributes import install_default_attributes, load_attributes
from panel.demographics.composition import (
    cross_table,
    marginal,
    member_groups,
    members_in_category,
    panel_counts,
    population_cells,
)
from panel.demographics.models import PopulationFigure, PopulationTable
from panel.members.models import MemberStatus
from panel.staff.models import Role
from tests.factories import MemberFactory
from tests.helpers import login_staff

YEAR = today().year


@pytest.fixture
def panel(app):
    """Three counted members (one paused), one pending, one who left; a population table."""
    install_default_attributes()
    MemberFactory(birth_year=YEAR - 25, attributes={"gender": "f", "municipality": "751"})
    MemberFactory(
        birth_year=YEAR - 35, attributes={"gender": "f", "municipality": "751"}, consent=False
    )
    MemberFactory(
        birth_year=YEAR - 25,
        attributes={"gender": "m", "municipality": "730"},
        paused_until=today() + timedelta(days=10),
    )
    MemberFactory(
        birth_year=YEAR - 45,
        attributes={"gender": "m", "municipality": "751"},
        status=MemberStatus.PENDING,
        confirmed_at=None,
    )
    MemberFactory(
        birth_year=YEAR - 45,
        attributes={"gender": "f", "municipality": "730"},
        status=MemberStatus.LEFT,
        left_at=utcnow(),
    )
    table = PopulationTable(name="FOLK1A", source="DST", attribute_keys=["gender", "municipality"])
    for cell, count in [
        ({"gender": "f", "municipality": "751"}, 500),
        ({"gender": "f", "municipality": "730"}, 100),
        ({"gender": "m", "municipality": "751"}, 600),
        ({"gender": "m", "municipality": "730"}, 100),
    ]:
        table.figures.append(PopulationFigure(cell=cell, count=count))
    db.session.add(table)
    db.session.commit()
    return {a.key: a for a in load_attributes()}, table


def test_head_counts_split_the_panel_by_state(panel):
    counts = panel_counts()
    assert counts.pending == 1
    assert counts.confirmed == 3
    assert counts.active == 2
    assert counts.paused == 1
    assert counts.left == 1
    assert counts.consent_lapsed == 1


def test_marginal_counts_paused_members_but_not_pending_or_left(panel):
    attributes, table = panel
    gender = marginal(member_groups(), attributes["gender"], population_cells(table), "en")
    rows = {row.code: row for row in gender.rows}
    assert (rows["f"].members, rows["m"].members) == (2, 1)
    assert rows["f"].member_share == pytest.approx(2 / 3)
    assert rows["f"].population == 600
    assert rows["m"].population == 700
    assert rows["f"].population_share == pytest.approx(600 / 1300)
    assert rows["f"].gap_points == pytest.approx(100 * (2 / 3 - 600 / 1300))
    assert rows["m"].gap_points == pytest.approx(100 * (1 / 3 - 700 / 1300))
    assert rows["m"].under and not rows["f"].under
    assert rows["f"].label == "Woman"


def test_municipality_population_sums_over_gender(panel):
    attributes, table = panel
    municipality = marginal(member_groups(), attributes["municipality"], population_cells(table))
    rows = {row.code: row for row in municipality.rows}
    assert (rows["751"].members, rows["751"].population) == (2, 1100)
    assert (rows["730"].members, rows["730"].population) == (1, 200)
    assert rows["710"].members == 0 and rows["710"].population == 0


def test_age_band_comes_from_birth_year_and_has_no_population_here(panel):
    attributes, table = panel
    age = marginal(member_groups(), attributes["age"], population_cells(table))
    counts = {row.code: row.members for row in age.rows}
    assert counts == {"18-29": 2, "30-39": 1, "40-49": 0, "50-59": 0, "60-69": 0, "70+": 0}
    assert not age.has_population
    assert all(row.population_share is None for row in age.rows)


def test_age_band_moves_with_the_date(panel):
    attributes, _table = panel
    groups = member_groups(on=today().replace(year=YEAR + 5))
    age = marginal(groups, attributes["age"], [])
    counts = {row.code: row.members for row in age.rows}
    assert (counts["18-29"], counts["30-39"], counts["40-49"]) == (0, 2, 1)


def test_pair_counts_members_per_cell_with_population_share(panel):
    attributes, table = panel
    cross = cross_table(
        member_groups(), attributes["gender"], attributes["municipality"], population_cells(table)
    )
    municipalities = [c.code for c in attributes["municipality"].categories]
    f, m = cross.cells
    assert f[municipalities.index("751")].members == 2
    assert m[municipalities.index("730")].members == 1
    assert m[municipalities.index("751")].members == 0
    assert f[municipalities.index("751")].population_share == pytest.approx(500 / 1300)
    assert m[municipalities.index("751")].under


def test_pair_without_population_figures_for_it(panel):
    attributes, table = panel
    cross = cross_table(
        member_groups(), attributes["age"], attributes["gender"], population_cells(table)
    )
    assert not cross.has_population
    assert [cell.members for cell in cross.cells[0]] == [1, 1]
    assert [cell.members for cell in cross.cells[1]] == [1, 0]


def test_members_in_category_counts_current_members(panel):
    attributes, _table = panel
    gender = attributes["gender"]
    by_code = {c.code: c for c in gender.categories}
    assert members_in_category(gender, by_code["f"]) == 2  # the one who left does not count
    assert members_in_category(gender, by_code["m"]) == 2  # pending counts: it is theirs
    age = {c.code: c for c in attributes["age"].categories}
    assert members_in_category(attributes["age"], age["40-49"]) == 1
    assert members_in_category(attributes["age"], age["70+"]) == 0


def test_overview_page_marks_under_represented_rows_in_text(client, panel):
    login_staff(client, Role.STAFF, language="en")
    page = client.get("/staff/").get_data(as_text=True)
    assert 'class="under"' in page
    assert "Under-represented" in page
    assert "No population figures for this attribute." in page  # age
    assert "<caption>" in page and 'scope="col"' in page
    pair = client.get("/staff/?rows=gender&columns=municipality").get_data(as_text=True)
    assert "Gender × Municipality" in pair
