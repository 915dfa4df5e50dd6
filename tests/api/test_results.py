"""Results and answers over the API: the summary hides exactly what the pages hide (a
small group, and its complement, with neither figures nor count), never free text; the
answer export pages through every response with its weight."""

from __future__ import annotations

import pytest

from api.models import Scope
from extensions import db
from panel.demographics.attributes import install_default_attributes
from surveys.results.summary import BREAKDOWNS
from surveys.waves.models import WaveState
from tests.api_client import bearer, problem
from tests.factories.results import answer, closed_wave, education_wave


@pytest.fixture
def wave(app):
    return education_wave()


def test_the_breakdown_hides_the_small_group_and_its_complement(client, wave):
    response = client.get(
        f"/api/v1/waves/{wave.id}/results?by=education&lang=en",
        headers=bearer(Scope.RESULTS_READ),
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["respondents"] == 40 and body["weighted"] and body["min_group"] == 10
    [bus] = body["questions"]  # the free-text question is never summarised
    assert bus["key"] == "bus"
    [overall] = bus["overall"]
    assert [(r["n"], r["hidden"]) for r in overall["rows"]] == [(40, False)]
    rows = {r["label"]: r for r in bus["breakdown"][0]["rows"]}
    shown = {label for label, r in rows.items() if not r["hidden"]}
    assert len(shown) == 1 and rows[shown.pop()]["n"] == 25
    for row in rows.values():
        if row["hidden"]:  # neither figures nor the number of answers of a hidden group
            assert row["n"] is None
            assert set(row["cells"]) == {None} and set(row["unweighted"]) == {None}
    assert "Flere busser" not in response.get_data(as_text=True)


def test_the_overall_share_is_the_weighted_estimate_with_its_interval(client, wave):
    body = client.get(
        f"/api/v1/waves/{wave.id}/results", headers=bearer(Scope.RESULTS_READ)
    ).get_json()
    table = body["questions"][0]["overall"][0]
    yes = [c["id"] for c in table["columns"]].index("yes")
    cell = table["rows"][0]["cells"][yes]
    assert cell["low"] < cell["estimate"] < cell["high"]
    assert cell["deff"] > 1  # weighting unequal groups to half and half costs precision
    # women 16 of 22 "yes", men 12 of 18; weighted to half and half
    assert cell["estimate"] == pytest.approx((16 / 22 + 12 / 18) / 2)


def test_an_unknown_breakdown_and_a_planned_wave_are_refused(client, wave):
    headers = bearer(Scope.RESULTS_READ)
    body = problem(client.get(f"/api/v1/waves/{wave.id}/results?by=shoe", headers=headers), 422)
    assert body["errors"][0]["field"] == "by"
    assert set(body["errors"][0]["detail"].split(", ")) <= set(BREAKDOWNS)
    wave.state = WaveState.PLANNED
    db.session.commit()
    problem(client.get(f"/api/v1/waves/{wave.id}/results", headers=headers), 404)


def test_answers_are_exported_with_weights_a_page_at_a_time(client, wave):
    headers = bearer(Scope.ANSWERS_EXPORT)
    url = f"/api/v1/waves/{wave.id}/answers?limit=15"
    rows, pages = [], 0
    while url:
        page = client.get(url, headers=headers).get_json()
        rows += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        url = f"/api/v1/waves/{wave.id}/answers?limit=15&cursor={cursor}" if cursor else None
    assert pages == 3 and len(rows) == 40
    assert len({r["response_id"] for r in rows}) == 40
    assert sum(r["weight"] for r in rows) == pytest.approx(1000)
    first = rows[0]
    assert first["answers"] == {"bus": "yes", "wish": "Flere busser til Ry"}
    assert first["attributes"] == {"gender": "f", "education": "long"}
    assert first["mode"] == "web"


def test_results_and_answers_need_their_own_scopes(client, wave):
    results_only, answers_only = bearer(Scope.RESULTS_READ), bearer(Scope.ANSWERS_EXPORT)
    problem(client.get(f"/api/v1/waves/{wave.id}/answers", headers=results_only), 403)
    problem(client.get(f"/api/v1/waves/{wave.id}/results", headers=answers_only), 403)


def _subtract(body: dict, attribute: str) -> list[int]:
    """What the total minus the visible groups leaves, per table of the breakdown."""
    [question] = body["questions"]
    total = question["overall"][0]["rows"][0]["n"]
    return [
        total - sum(r["n"] for r in table["rows"] if not r["hidden"])
        for table in question["breakdown"]
    ]


def test_the_total_minus_the_visible_groups_never_reveals_a_few_people(client, app):
    """Two respondents from two small municipalities, and three with no municipality at
    all: subtracting the visible groups from the total must not isolate them."""
    install_default_attributes()
    wave = closed_wave()
    answer(wave, {"municipality": "751"}, "yes", 20)  # Aarhus
    answer(wave, {"municipality": "657"}, "no", 20)  # Herning
    answer(wave, {"municipality": "741"}, "yes", 1)  # Samsø
    answer(wave, {"municipality": "706"}, "no", 1)  # Syddjurs
    answer(wave, {}, "yes", 3)  # no municipality
    db.session.commit()
    body = client.get(
        f"/api/v1/waves/{wave.id}/results?by=municipality&lang=en",
        headers=bearer(Scope.RESULTS_READ),
    ).get_json()
    assert body["questions"][0]["overall"][0]["rows"][0]["n"] == 45
    for left in _subtract(body, "municipality"):
        assert left == 0 or left >= body["min_group"]
    rows = {r["label"]: r for r in body["questions"][0]["breakdown"][0]["rows"]}
    assert rows["Samsø"]["hidden"] and rows["Syddjurs"]["hidden"]
    assert sum(not r["hidden"] for r in rows.values()) <= 1


def test_live_results_of_an_open_wave_are_not_served(client, wave):
    """Two snapshots of an open wave's results differ by the newest respondent."""
    wave.state = WaveState.OPEN
    db.session.commit()
    problem(client.get(f"/api/v1/waves/{wave.id}/results", headers=bearer(Scope.RESULTS_READ)), 404)
    # staff export of answers (their own scope) still follows an open wave
    answers = client.get(f"/api/v1/waves/{wave.id}/answers", headers=bearer(Scope.ANSWERS_EXPORT))
    assert answers.status_code == 200
