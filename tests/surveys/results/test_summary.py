"""The politicians' summary: small groups stay hidden whatever the parameters, roles, free
text never shown, and trends across waves that asked the same question."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from babel.numbers import format_decimal
from sqlalchemy import select

from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.demographics.models import PopulationTable
from panel.staff.models import Role
from surveys.answering.models import Answer, Response, ResponseMode
from surveys.questionnaires.models import Question, QuestionType
from surveys.results.models import WeightingMethod
from surveys.results.summary import summarise
from surveys.results.weighting import weight_wave
from surveys.waves.models import Invitation, Wave, WaveState
from tests.factories.results import (
    CLOSED_AT,
    answer,
    closed_wave,
    education_wave,
    population,
    questionnaire,
)
from tests.factories.waves import members
from tests.helpers import login_as, login_staff

HIDDEN = "fewer than 10 answers"


@pytest.fixture
def wave(app):
    return education_wave()


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_a_small_group_and_its_complement_are_hidden_in_the_breakdown(client, wave):
    login_as(client, "politician")
    client.get("/language/en")
    text = page(client, f"/results/waves/{wave.id}?by=education&unweighted=1")
    assert (
        text.count(f'colspan="2">{HIDDEN}') == 3
    )  # upper (3), short (12) as its complement, basic (0)
    assert ">25<" in text  # the group of 25 is shown with its number of answers
    assert ">12<" not in text and ">3<" not in text
    # the 3 "upper" answers are all "yes", the 12 "short" all "no": neither share appears
    # as a group row; the overall figure rests on all 40
    assert ">40<" in text or "40 answers" in text


@pytest.mark.parametrize(
    "query",
    [
        "by=education&by=gender",
        "by=gender,education",
        "by=education&education=upper",
        "by=education&min=1",
        "by=education&unweighted=1&unweighted=0",
        "by=postcode",
    ],
)
def test_no_combination_of_parameters_reveals_a_hidden_group(client, wave, query):
    login_as(client, "politician")
    client.get("/language/en")
    text = page(client, f"/results/waves/{wave.id}?{query}")
    assert ">12<" not in text and ">3<" not in text
    assert "Flere busser" not in text


def test_a_politician_reads_the_summary_but_no_free_text_or_answering_page(client, wave):
    login_as(client, "politician")
    client.get("/language/en")
    text = page(client, f"/results/waves/{wave.id}")
    assert "Do you take the bus?" in text
    assert "Wishes?" not in text and "Flere busser" not in text
    # the weighted share with its 95 % interval
    assert re.search(r'[0-9]+ % <span class="moe">\([0-9]+–[0-9]+ %\)</span>', text)
    index = page(client, "/results")
    assert wave.name in index
    assert client.get(f"/staff/waves/{wave.id}").status_code == 403
    assert client.get(f"/staff/weighting/{wave.id}").status_code == 403
    assert client.get(f"/staff/entry/waves/{wave.id}").status_code == 403


def test_a_politician_sees_no_open_wave(client, wave):
    wave.state = WaveState.OPEN
    db.session.commit()
    login_as(client, "politician")
    assert client.get(f"/results/waves/{wave.id}").status_code == 404
    assert wave.name not in page(client, "/results")


def test_citizens_are_refused(client, wave):
    login_as(client, "citizen")
    assert client.get("/results").status_code == 403
    assert client.get(f"/results/waves/{wave.id}").status_code == 403


def test_a_question_repeated_in_an_earlier_wave_shows_its_trend(client, app):
    install_default_attributes()
    spring = closed_wave("Spring 2027", CLOSED_AT, questionnaire=questionnaire("Transport 1"))
    answer(spring, {"gender": "f"}, "yes", 20)
    answer(spring, {"gender": "f"}, "no", 20)
    autumn = closed_wave(
        "Autumn 2027", CLOSED_AT + timedelta(days=180), questionnaire=questionnaire("Transport 2")
    )
    answer(autumn, {"gender": "f"}, "yes", 30)
    answer(autumn, {"gender": "f"}, "no", 10)
    other = closed_wave(
        "Other 2027", CLOSED_AT + timedelta(days=90),
        questionnaire=questionnaire("Other", concept="5b0a8c7e-0000-4000-8000-00000000abcd"),
    )  # fmt: skip
    answer(other, {"gender": "f"}, "yes", 40)
    db.session.commit()
    login_staff(client, Role.STAFF, language="en")
    text = page(client, f"/results/waves/{autumn.id}")
    trend = text[text.index("Over the waves") :]
    assert "Spring 2027" in trend and "Autumn 2027" in trend
    assert "Other 2027" not in trend  # another question (concept), not a trend
    assert trend.index("Spring 2027") < trend.index("Autumn 2027")
    assert "50 %" in trend and "75 %" in trend
    # the spring wave comes before any other, so it has no trend of its own
    assert "Over the waves" not in page(client, f"/results/waves/{spring.id}")


def test_an_unweighted_wave_is_marked_in_a_trend_beside_a_weighted_one(client, app):
    install_default_attributes()
    spring = closed_wave("Spring 2027", CLOSED_AT, questionnaire=questionnaire("Transport 1"))
    answer(spring, {"gender": "f"}, "yes", 20)
    answer(spring, {"gender": "m"}, "no", 20)
    autumn = closed_wave(
        "Autumn 2027", CLOSED_AT + timedelta(days=180), questionnaire=questionnaire("Transport 2")
    )
    answer(autumn, {"gender": "f"}, "yes", 30)
    answer(autumn, {"gender": "m"}, "no", 10)
    table = population({"f": 500, "m": 500})
    db.session.commit()
    weight_wave(autumn, WeightingMethod.RAKE, ["gender"], table)
    db.session.commit()
    login_staff(client, Role.POLITICIAN, language="en")
    trend = page(client, f"/results/waves/{autumn.id}").split("Over the waves")[1]
    assert "Spring 2027 (not weighted)" in trend
    assert "Autumn 2027 (not weighted)" not in trend and "Autumn 2027" in trend


def test_the_summary_explains_weighting_and_margins_in_both_languages(client, wave):
    login_as(client, "politician")
    client.get("/language/en")
    assert "What do weighting and margin of error mean?" in page(
        client, f"/results/waves/{wave.id}"
    )
    client.get("/language/da")
    assert "Hvad betyder vægtning og fejlmargin?" in page(client, f"/results/waves/{wave.id}")


@pytest.fixture
def rated(app):
    """The bus question and a 1-5 rating of the buses, 40 answers weighted by gender, so the
    page shows a share and an average, each with a margin that has decimals."""
    install_default_attributes()
    q = questionnaire()
    q.pages[0].questions.append(
        Question(questionnaire=q, key="score", concept="5b0a8c7e-0000-4000-8000-000000000077",
                 type=QuestionType.RATING, text={"da": "Bedøm busserne", "en": "Rate the buses"},
                 min_value=1, max_value=5)
    )  # fmt: skip
    wave = closed_wave(questionnaire=q)
    for i in range(40):
        response = Response(
            questionnaire_id=wave.questionnaire_id, wave_id=wave.id, mode=ResponseMode.WEB,
            attributes={"gender": "fm"[i % 2]}, completed_at=wave.closes_at - timedelta(days=1),
        )  # fmt: skip
        response.answers.extend([Answer(question_key="bus", value="yes" if i % 3 else "no"),
                                 Answer(question_key="score", value=1 + i * 7 % 5)])  # fmt: skip
        db.session.add(response)
    population({"f": 600, "m": 400})
    db.session.commit()
    weight_wave(wave, WeightingMethod.RAKE, ["gender"], db.session.scalar(select(PopulationTable)))
    db.session.commit()
    return wave


def margins_as_written(wave: Wave, locale: str) -> tuple[str, str, str]:
    """The share of "yes" buses' interval, the rating's average and its margin, the last two
    written with one decimal by babel in ``locale``: what the page must show."""
    questions = {q.key: q for q in summarise(wave, "en").questions}
    share = questions["bus"].overall[0].rows[0].cells[0]
    mean = questions["score"].overall[0].rows[0].cells[0]
    assert share is not None and mean is not None
    interval = f"{share.low * 100:.0f}–{share.high * 100:.0f} %"
    return interval, *(
        format_decimal(x, "#,##0.0", locale=locale)
        for x in (mean.estimate, mean.high - mean.estimate)
    )  # type: ignore[return-value]


@pytest.mark.parametrize(("language", "separator"), [("da", ","), ("en", ".")])
def test_the_summary_writes_margins_and_averages_in_the_readers_language(
    client, rated, english, language, separator
):
    share_interval, mean, mean_margin = margins_as_written(rated, language)
    assert all(separator in figure for figure in (mean, mean_margin))
    login_staff(client, Role.POLITICIAN, language=language)
    text = page(client, f"/results/waves/{rated.id}")
    assert f'<span class="moe">({share_interval})</span>' in text
    assert f'{mean} <span class="moe">(± {mean_margin}; ' in text


def test_a_share_nobody_chose_reads_as_an_interval_not_zero_plus_minus_zero(client, english):
    """11 answers, all "yes": "no" is 0 %, and what 11 answers can say of it is 0–28 %
    (Clopper-Pearson for 0 of 11), never "0 % (± 0.0)"."""
    install_default_attributes()
    wave = closed_wave()
    answer(wave, {"gender": "f"}, "yes", count=11)
    db.session.commit()
    login_as(client, "politician")
    client.get("/language/en")
    text = page(client, f"/results/waves/{wave.id}")
    assert '100 % <span class="moe">(72–100 %)</span>' in text
    assert '0 % <span class="moe">(0–28 %)</span>' in text
    assert "±" not in text.split("What do weighting")[0]


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "weighted to the region's population by Gender."),
     ("da", "vægtet til regionens befolkning efter Køn.")],
)  # fmt: skip
def test_the_summary_names_the_variables_the_wave_was_weighted_on(client, rated, language, said):
    """``rated`` is weighted on gender alone: the page must not claim age, municipality or
    education, and says what the margin of error leaves out."""
    login_staff(client, Role.POLITICIAN, language=language)
    text = html.unescape(page(client, f"/results/waves/{rated.id}"))
    assert said in text
    said_before_the_figures = text.split('<form method="get"')[0].lower()
    for claim in ("municipalit", "education") if language == "en" else ("kommune", "uddannelse"):
        assert claim not in said_before_the_figures
    covers = "covers only chance" if language == "en" else "dækker kun tilfældigheder"
    assert covers in text


def test_a_number_question_shows_its_median_with_woodruffs_interval(client, english):
    """11 answers 1, 2, ..., 11, unweighted. By hand: the median is 6 (the smallest answer
    with at least half the answers up to it); 6 of 11 are up to 6, se = sqrt(p (1 - p) / 10)
    = 0.1575, t(10) = 2.228, so the share runs 0.194-0.896, i.e. answers 3 to 10."""
    install_default_attributes()
    q = questionnaire()
    q.pages[0].questions.append(
        Question(questionnaire=q, key="km", concept="5b0a8c7e-0000-4000-8000-000000000078",
                 type=QuestionType.NUMBER, text={"da": "Km til arbejde", "en": "Km to work"})
    )  # fmt: skip
    wave = closed_wave(questionnaire=q)
    for km in range(1, 12):
        response = Response(
            questionnaire_id=wave.questionnaire_id, wave_id=wave.id, mode=ResponseMode.WEB,
            attributes={"gender": "f"}, completed_at=wave.closes_at - timedelta(days=1),
        )  # fmt: skip
        response.answers.append(Answer(question_key="km", value=km))
        db.session.add(response)
    db.session.commit()
    [km] = [s for s in summarise(wave, "en").questions if s.key == "km"]
    average, median = (table.rows[0].cells[0] for table in km.overall)
    assert average.estimate == pytest.approx(6.0)
    assert (median.estimate, median.low, median.high) == (6, 3, 10)
    login_staff(client, Role.POLITICIAN, language="en")
    text = page(client, f"/results/waves/{wave.id}")
    assert re.search(r'Median</th>\s*<td> 6.0 <span class="moe">\(3.0–10.0\)</span>', text)
    assert "All citizens together" not in text  # unweighted answers add up to the sample
    # weighted to 1,000 women: the total is 1000 · 6 = 6,000, its se N · s / sqrt(n) with
    # s² = Σ(y - ȳ)² / (n - 1) = 110 / 10: 1000 · sqrt(11 / 11) = 1,000
    weight_wave(wave, WeightingMethod.POSTSTRATIFY, ["gender"], population({"f": 1000}))
    db.session.commit()
    [km] = [s for s in summarise(wave, "en").questions if s.key == "km"]
    total = km.overall[2].rows[0].cells[0]
    assert total.estimate == pytest.approx(6000) and total.se == pytest.approx(1000)
    text = page(client, f"/results/waves/{wave.id}")
    assert re.search(
        r'All citizens together</th>\s*<td> 6,000 <span class="moe">\(± 1,960; 4,040–7,960\)',
        text,
    )


def _panel_wave(name, closes_at, people, yes):
    """A closed wave of the bus question answered by ``people``, the first ``yes`` of them
    "yes", each through their own invitation (so waves pair by member)."""
    wave = closed_wave(name, closes_at, questionnaire=questionnaire(name))
    for i, member in enumerate(people):
        invitation = Invitation(wave_id=wave.id, member_id=member.id, stratum="[]")
        db.session.add(invitation)
        db.session.flush()
        response = Response(
            questionnaire_id=wave.questionnaire_id, wave_id=wave.id, invitation_id=invitation.id,
            mode=ResponseMode.WEB, attributes={"gender": "f"},
            completed_at=closes_at - timedelta(days=1),
        )  # fmt: skip
        response.answers.append(Answer(question_key="bus", value="yes" if i < yes else "no"))
        db.session.add(response)
    db.session.flush()
    return wave


@pytest.mark.parametrize(("yes_after", "shown"), [(30, True), (11, False)])
def test_a_change_is_listed_only_where_larger_than_chance(client, app, yes_after, shown):
    """The same 40 members: 10 said yes in spring, 30 (or 11) in autumn. Twenty members
    changing their mind is far beyond chance; one is not (t = 1: the change's se is that of
    one change in 40, sqrt(0.025 · 0.975 / 39) = 0.025). tests/stats/test_change.py checks
    the arithmetic against R."""
    install_default_attributes()
    people = members(40)
    _panel_wave("Spring 2027", CLOSED_AT, people, 10)
    autumn = _panel_wave("Autumn 2027", CLOSED_AT + timedelta(days=180), people, yes_after)
    db.session.commit()
    login_staff(client, Role.POLITICIAN, language="en")
    text = page(client, f"/results/waves/{autumn.id}")
    assert ("Changes larger than chance" in text) is shown
    if shown:
        assert "Yes: +50.0 points since the previous wave" in text
        assert "one in twenty" in text
