"""A proposal that reached its threshold can be put to a weighted panel wave."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.errors import Refusal
from extensions import db
from initiatives.proposals.models import ProposalState
from initiatives.proposals.panel_question import ask_panel
from panel.staff.models import Role
from surveys.questionnaires.models import Questionnaire, QuestionnaireState
from tests.factories.initiatives import ProposalFactory
from tests.helpers import login_staff


def test_staff_get_a_draft_questionnaire_with_one_question_on_the_proposal(client):
    proposal = ProposalFactory(state=ProposalState.THRESHOLD_REACHED, title="Natbusser")
    db.session.commit()
    login_staff(client, Role.STAFF)
    response = client.post(f"/staff/proposals/{proposal.id}/ask-panel")
    assert response.status_code == 302
    questionnaire = db.session.scalar(select(Questionnaire))
    assert response.headers["Location"].endswith(f"/{questionnaire.id}")
    assert questionnaire.state is QuestionnaireState.DRAFT
    assert questionnaire.title == {
        "da": "Borgerforslag: Natbusser", "en": "Citizen proposal: Natbusser",
    }  # fmt: skip
    support = next(q for q in questionnaire.questions if q.key == "support")
    assert support.text["da"] == "Støtter du forslaget?"
    assert [o.code for o in support.options] == ["yes", "partly", "no", "dont_know"]
    db.session.refresh(proposal)
    assert proposal.questionnaire_id == questionnaire.id


def test_only_once_and_only_after_the_threshold(app, english):
    published = ProposalFactory(state=ProposalState.PUBLISHED)
    with pytest.raises(Refusal, match="reached its threshold"):
        ask_panel(published)
    reached = ProposalFactory(state=ProposalState.THRESHOLD_REACHED)
    ask_panel(reached)
    with pytest.raises(Refusal, match="already been asked"):
        ask_panel(reached)


def test_the_proposal_page_sets_the_weighted_panel_beside_the_supporters(client, english):
    """What those who signed want, next to what the panel (a sample of everyone) says."""
    from datetime import timedelta

    from surveys.answering.models import Answer, Response, ResponseMode
    from tests.factories.results import closed_wave

    proposal = ProposalFactory(state=ProposalState.THRESHOLD_REACHED, title="Natbusser")
    questionnaire = ask_panel(proposal)
    wave = closed_wave(questionnaire=questionnaire)
    for i in range(20):
        response = Response(
            questionnaire_id=questionnaire.id, wave_id=wave.id, mode=ResponseMode.WEB,
            attributes={"gender": "f"}, completed_at=wave.closes_at - timedelta(days=1),
        )  # fmt: skip
        response.answers.append(Answer(question_key="support", value="yes" if i < 12 else "no"))
        db.session.add(response)
    db.session.commit()
    client.get("/language/en")
    for page in (f"/proposals/{proposal.id}", f"/staff/proposals/{proposal.id}"):
        if page.startswith("/staff"):
            login_staff(client, Role.STAFF, language="en")
        text = client.get(page).get_data(as_text=True)
        panel = text.split('id="panel-view"')[1]
        assert "What the citizens' panel says" in text.replace("&#39;", "'")
        assert '60 % <span class="moe">' in panel  # 12 of 20 said yes
        assert "not weighted yet" in panel  # and the page says it describes only them
