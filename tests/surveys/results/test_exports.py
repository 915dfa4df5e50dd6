"""Exports for staff: the answers with weights as CSV, Excel and SPSS (each read back), the
summary as CSV with the pages' suppression, the printable report and its PDF; politicians
and citizens reach none of them."""

from __future__ import annotations

import contextlib
import csv
import io
import re
import zlib
from datetime import timedelta

import pyreadstat
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from extensions import db
from panel.demographics.attributes import install_default_attributes
from panel.demographics.models import PopulationTable
from panel.staff.models import Role
from surveys.answering.models import Answer, Response, ResponseMode
from surveys.questionnaires.models import Option, Question, QuestionType
from surveys.results.models import WeightingMethod
from surveys.results.summary import summarise
from surveys.results.weighting import weight_wave
from surveys.waves.models import Invitation, Wave
from tests.factories.results import answer, closed_wave, population, questionnaire
from tests.factories.waves import members
from tests.helpers import login_as, login_staff

CONCEPT = "5b0a8c7e-0000-4000-8000-0000000000"


def _question(q, key: str, kind: QuestionType, text: str, **kw) -> Question:
    question = Question(
        questionnaire=q, key=key, concept=CONCEPT + str(10 + len(q.pages[0].questions)),
        type=kind, text={"da": text, "en": text}, **kw,
    )  # fmt: skip
    q.pages[0].questions.append(question)
    return question


def rich_wave() -> Wave:
    """The bus and wish questions, plus multiple choice, grid, ranking and a rating."""
    q = questionnaire()
    db.session.flush()
    ways = _question(q, "ways", QuestionType.MULTIPLE_CHOICE, "How do you travel?")
    ways.options.extend([Option(code="car", label={"da": "Bil", "en": "Car"}),
                         Option(code="bike", label={"da": "Cykel", "en": "Bike"})])  # fmt: skip
    grid = _question(q, "grid", QuestionType.GRID, "How satisfied are you?")
    grid.options.extend(
        [Option(code="good", label={"da": "Godt", "en": "Good"}),
         Option(code="bad", label={"da": "Dårligt", "en": "Bad"}),
         Option(code="roads", kind="statement", label={"da": "Veje", "en": "Roads"}),
         Option(code="trains", kind="statement", label={"da": "Tog", "en": "Trains"})]
    )  # fmt: skip
    rank = _question(q, "rank", QuestionType.RANKING, "Rank these")
    rank.options.extend([Option(code="price", label={"da": "Pris", "en": "Price"}),
                         Option(code="speed", label={"da": "Fart", "en": "Speed"})])  # fmt: skip
    _question(q, "score", QuestionType.RATING, "Rate the buses", min_value=1, max_value=5,
              dont_know=True)  # fmt: skip
    return closed_wave(questionnaire=q)


@pytest.fixture
def wave(app):
    """20 women answered "yes", 20 men "no", weighted to a 600/400 population; one woman
    answered every question; 3 with education "upper" (a hidden group)."""
    install_default_attributes()
    wave = rich_wave()
    answer(wave, {"gender": "f", "education": "long"}, "yes", 17)
    answer(wave, {"gender": "f", "education": "upper"}, "yes", 3)
    answer(wave, {"gender": "m", "education": "long"}, "no", 20)
    full = Response(
        questionnaire_id=wave.questionnaire_id, wave_id=wave.id, mode=ResponseMode.PAPER,
        attributes={"gender": "f", "education": "long"},
        completed_at=wave.closes_at - timedelta(days=1),
    )  # fmt: skip
    full.answers.extend(
        [Answer(question_key="bus", value="no"), Answer(question_key="ways", value=["bike"]),
         Answer(question_key="grid", value={"roads": "good", "trains": "bad"}),
         Answer(question_key="rank", value={"price": 2, "speed": 1}),
         Answer(question_key="score", value="dont_know"),
         Answer(question_key="wish", value="Flere busser til Ry")]
    )  # fmt: skip
    db.session.add(full)
    population({"f": 600, "m": 400})
    db.session.commit()
    weight_wave(wave, WeightingMethod.RAKE, ["gender"], db.session.scalar(select(PopulationTable)))
    db.session.commit()
    wave.full_response_id = full.id  # type: ignore[attr-defined]
    return wave


def download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert "attachment" in response.headers["Content-Disposition"]
    return response.data


def test_the_answers_csv_has_a_row_per_response_with_weights_and_no_member(client, wave):
    login_staff(client)
    rows = list(csv.DictReader(io.StringIO(download(
        client, f"/staff/exports/{wave.id}/answers.csv").decode())))  # fmt: skip
    assert len(rows) == 41
    header = list(rows[0])
    assert header[:5] == ["response_id", "member_key", "mode", "gender", "weight"]
    assert {"ways_car", "ways_bike", "grid_roads", "grid_trains", "rank_price", "rank_speed",
            "score", "wish"} <= set(header)  # fmt: skip
    assert not any(h == "member_id" or "email" in h or "name" in h for h in header)
    women = [r for r in rows if r["gender"] == "f"]
    men = [r for r in rows if r["gender"] == "m"]
    # 21 women stand for 600, 20 men for 400
    assert float(women[0]["weight"]) == pytest.approx(600 / 21)
    assert float(men[0]["weight"]) == pytest.approx(400 / 20)
    full = next(r for r in rows if r["response_id"] == str(wave.full_response_id))
    assert full["mode"] == "paper"
    assert (full["ways_car"], full["ways_bike"]) == ("0", "1")
    assert (full["grid_roads"], full["grid_trains"]) == ("good", "bad")
    assert (full["rank_price"], full["rank_speed"]) == ("2", "1")
    assert full["score"] == "-1" and full["wish"] == "Flere busser til Ry"
    assert men[0]["ways_car"] == "" and men[0]["bus"] == "no"


def test_the_excel_file_has_the_answers_and_a_sheet_of_labels(client, wave):
    login_staff(client, language="en")
    book = load_workbook(io.BytesIO(download(client, f"/staff/exports/{wave.id}/answers.xlsx")))
    answers, variables, weighting = book.worksheets
    lines = [[x for x in r if x is not None] for r in weighting.values]
    assert lines[0] == ["Method", "rake"] and lines[1] == ["Weighted by", "gender"]
    assert lines[2] == ["Base weights", "equal"]  # the fixture's wave was not drawn in strata
    assert ["Target", "gender", "f", 600] in lines and ["Target", "gender", "m", 400] in lines
    rows = list(answers.values)
    assert len(rows) == 42 and rows[0][:5] == (
        "response_id",
        "member_key",
        "mode",
        "gender",
        "weight",
    )
    full = next(r for r in rows[1:] if r[0] == wave.full_response_id)
    assert full[rows[0].index("grid_roads")] == "good"
    labels = {r[0]: r[1:] for r in variables.values}
    assert labels["bus"] == ("Do you take the bus?", "yes = Yes; no = No")
    assert labels["grid_trains"][0] == "How satisfied are you?: Trains"


def test_the_spss_file_has_variable_and_value_labels(client, wave, tmp_path):
    login_staff(client, language="en")
    path = tmp_path / "answers.sav"
    path.write_bytes(download(client, f"/staff/exports/{wave.id}/answers.sav"))
    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    assert len(frame) == 41
    assert meta.column_names_to_labels["bus"] == "Do you take the bus?"
    assert meta.variable_value_labels["bus"] == {1.0: "Yes", 2.0: "No"}
    assert meta.variable_value_labels["ways_bike"] == {0.0: "Not chosen", 1.0: "Chosen"}
    assert meta.variable_value_labels["score"] == {-1.0: "Don't know"}
    full = frame[frame["response_id"] == wave.full_response_id].iloc[0]
    assert (full["bus"], full["grid_roads"], full["grid_trains"]) == (2, 1, 2)
    assert full["rank_speed"] == 1 and full["wish"] == "Flere busser til Ry"
    labelled, _meta = pyreadstat.read_sav(str(path), apply_value_formats=True)
    assert sorted(set(labelled["bus"])) == ["No", "Yes"]
    assert frame["weight"].sum() == pytest.approx(1000)


def test_the_summary_csv_hides_what_the_page_hides(client, wave):
    login_staff(client, language="en")
    rows = list(csv.DictReader(io.StringIO(download(
        client, f"/staff/exports/{wave.id}/summary.csv?by=education").decode())))  # fmt: skip
    bus = [r for r in rows if r["question"] == "bus"]
    overall = [r for r in bus if r["group"] == "All who answered"]
    assert {r["column"]: r["answers"] for r in overall} == {"Yes": "41", "No": "41"}
    assert float(next(r for r in overall if r["column"] == "Yes")["estimate"]) == pytest.approx(
        20 / 21 * 0.6
    )
    upper = [r for r in bus if r["group"] == "Upper secondary or vocational"]
    assert upper and all(r["answers"] == r["estimate"] == "" for r in upper)
    assert not any(r["answers"] == "3" for r in rows)
    assert "wish" not in {r["question"] for r in rows}  # free text is never summarised


def _pdf_text(data: bytes) -> str:
    """The text drawn in a PDF: its content streams inflated."""
    text = data.decode("latin-1")
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        with contextlib.suppress(zlib.error):  # a stream that is not compressed text
            text += zlib.decompress(stream).decode("latin-1")
    return text


def test_the_report_prints_and_the_pdf_has_the_title_and_results(client, wave):
    login_staff(client, language="en")
    html = client.get(f"/staff/exports/{wave.id}/report").get_data(as_text=True)
    assert "<h1>Transport</h1>" in html and "report.css" in html
    assert "@media print" in client.get("/static/report.css").get_data(as_text=True)
    assert "Do you take the bus?" in html and "Flere busser" not in html
    pdf = download(client, f"/staff/exports/{wave.id}/report.pdf")
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "(Transport)" in text and "Do you take the bus?" in text
    assert "Flere busser" not in text


def test_the_report_and_its_pdf_write_a_share_with_its_interval_as_the_pages_do(
    client, wave, english
):
    yes = summarise(wave, "en").questions[0].overall[0].rows[0].cells[0]
    assert yes is not None and yes.has_margin
    # the logit interval is not symmetric: it is written as it is, not as "±"
    assert yes.high - yes.estimate != pytest.approx(yes.estimate - yes.low, abs=1e-4)
    written = f"{yes.estimate * 100:.0f} % ({yes.low * 100:.0f}–{yes.high * 100:.0f} %)"
    login_staff(client, language="da")
    html = client.get(f"/staff/exports/{wave.id}/report").get_data(as_text=True)
    assert written.replace(" (", ' <span class="moe">(') + "</span>" in html
    assert "±" not in html
    text = _pdf_text(download(client, f"/staff/exports/{wave.id}/report.pdf"))
    latin1 = written.replace("–", "-").replace("(", "\\(").replace(")", "\\)")
    assert f"Ja: {latin1}" in text


@pytest.mark.parametrize("who", ["politician", "citizen"])
def test_politicians_and_citizens_get_no_export(client, wave, who):
    login_as(client, who)
    for url in ["answers.csv", "answers.xlsx", "answers.sav", "summary.csv", "report",
                "report.pdf"]:  # fmt: skip
        assert client.get(f"/staff/exports/{wave.id}/{url}").status_code == 403, url


def test_the_politicians_summary_has_no_export_links_but_staff_see_them(app, client, wave):
    login_staff(client, Role.POLITICIAN)
    assert "/staff/exports/" not in client.get(f"/results/waves/{wave.id}").get_data(as_text=True)
    staff = app.test_client()
    login_staff(staff)
    page = staff.get(f"/results/waves/{wave.id}").get_data(as_text=True)
    assert f"/staff/exports/{wave.id}/answers.sav" in page


def test_a_members_key_is_the_same_in_every_waves_export(client, app):
    """So that an analyst can pair answers across waves (change over time) without ids."""
    install_default_attributes()
    [ann, bo] = members(2)
    exports = []
    for name in ("Spring 2027", "Autumn 2027"):
        wave = closed_wave(name, questionnaire=questionnaire(name))
        for member in (ann, bo):
            invitation = Invitation(wave_id=wave.id, member_id=member.id, stratum="[]")
            db.session.add(invitation)
            db.session.flush()
            db.session.add(Response(
                questionnaire_id=wave.questionnaire_id, wave_id=wave.id,
                invitation_id=invitation.id, mode=ResponseMode.WEB, attributes={"gender": "f"},
                completed_at=wave.closes_at - timedelta(days=1),
            ))  # fmt: skip
        db.session.commit()
        login_staff(client)
        rows = list(csv.DictReader(io.StringIO(download(
            client, f"/staff/exports/{wave.id}/answers.csv").decode())))  # fmt: skip
        exports.append([r["member_key"] for r in rows])
    assert exports[0] == exports[1] and len(set(exports[0])) == 2
    assert str(ann.id) not in exports[0] and str(bo.id) not in exports[0]


INJECTION = '=HYPERLINK("http://evil.example","Klik")'


def _answer_wish(wave, text: str) -> None:
    wish = db.session.scalar(
        select(Answer).filter_by(response_id=wave.full_response_id, question_key="wish")
    )
    wish.value = text
    db.session.commit()


def test_the_answers_csv_never_holds_a_live_formula(client, wave):
    _answer_wish(wave, INJECTION)
    login_staff(client)
    rows = list(csv.DictReader(io.StringIO(download(
        client, f"/staff/exports/{wave.id}/answers.csv").decode())))  # fmt: skip
    full = next(r for r in rows if r["response_id"] == str(wave.full_response_id))
    assert full["wish"] == "'" + INJECTION


def test_the_excel_file_never_holds_a_live_formula(client, wave):
    _answer_wish(wave, "@SUM(1+1)*cmd|' /C calc'!A0")
    login_staff(client)
    book = load_workbook(io.BytesIO(download(client, f"/staff/exports/{wave.id}/answers.xlsx")))
    answers = book.worksheets[0]
    header = [cell.value for cell in answers[1]]
    column = header.index("wish")
    cells = [row[column] for row in answers.iter_rows(min_row=2)]
    assert all(cell.data_type != "f" for cell in cells)
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in [cell.value for cell in cells]


def audit_trail(action_prefix: str) -> list[tuple[str, str, str]]:
    from core.audit import AuditEvent

    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(e.actor, e.action, e.target) for e in events if e.action.startswith(action_prefix)]


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("answers.csv", "answers.export"),
        ("answers.xlsx", "answers.export"),
        ("answers.sav", "answers.export"),
        ("summary.csv", "results.export"),
        ("report", "results.report"),
        ("report.pdf", "results.report"),
    ],
)
def test_every_export_and_report_is_in_the_audit_trail(client, wave, path, action):
    staff = login_staff(client)
    assert client.get(f"/staff/exports/{wave.id}/{path}").status_code == 200
    assert audit_trail(action) == [(f"staff:{staff.id}", action, f"wave:{wave.id}")]


def test_reading_the_results_page_is_in_the_audit_trail(client, wave):
    login_as(client, "politician")
    assert client.get(f"/results/waves/{wave.id}?by=education").status_code == 200
    ((actor, _action, target),) = audit_trail("results.view")
    assert actor.startswith("staff:") and target == f"wave:{wave.id}"


def test_weighting_a_wave_is_in_the_audit_trail(client, wave):
    staff = login_staff(client)
    client.post(f"/staff/weighting/{wave.id}", data={"method": "rake", "attributes": ["gender"]})
    assert audit_trail("wave.weight") == [(f"staff:{staff.id}", "wave.weight", f"wave:{wave.id}")]
