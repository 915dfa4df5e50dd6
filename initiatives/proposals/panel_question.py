"""Asking the panel about a proposal that reached its threshold.

Supporters are those who chose to sign; the panel is a weighted sample of everyone. So that
politicians can set the one beside the other, staff turn the proposal into a draft
questionnaire with one question ("Do you support the proposal?"), which they then check,
mark ready and send to a wave as any other (``surveys.waves``); its weighted results are
read where every wave's are. The citizen-facing texts are written in both languages
through gettext, as a questionnaire holds them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from core import audit
from core.errors import Refusal
from extensions import db
from initiatives.proposals.models import Proposal, ProposalState
from surveys.questionnaires.models import Questionnaire
from surveys.questionnaires.operations import add_page, add_question, create_questionnaire
from surveys.results.summary import Summary, Table, summarise
from surveys.waves.models import Wave

log = logging.getLogger(__name__)
LANGUAGES = ("da", "en")
#: The states in which the council has the proposal before it (or has just had).
ASKABLE = frozenset({ProposalState.THRESHOLD_REACHED, ProposalState.TREATED})


def _in_both(make: object) -> dict[str, str]:
    texts = {}
    for code in LANGUAGES:
        with force_locale(code):
            texts[code] = str(make() if callable(make) else make)
    return texts


def ask_panel(proposal: Proposal) -> Questionnaire:
    """A draft questionnaire asking the panel about ``proposal``; caller commits."""
    if proposal.state not in ASKABLE:
        raise Refusal(_("Only a proposal that reached its threshold can be put to the panel."))
    if proposal.questionnaire_id is not None:
        raise Refusal(_("The panel has already been asked about this proposal."))
    title = proposal.title
    questionnaire = create_questionnaire(
        _in_both(lambda: _("Citizen proposal: %(title)s", title=title)),
        languages=list(LANGUAGES),
        purpose=_in_both(
            lambda: _(
                "The regional council is to treat a citizen proposal. It wants to know "
                "what all citizens think of it, not only those who signed it."
            )
        ),
        influence=_in_both(
            lambda: _(
                "The answers are shown to the regional council next to the number of "
                "supporters when it decides on the proposal."
            )
        ),
        decision_authority="Rådgivende: regionsrådet beslutter",
    )
    page = add_page(questionnaire, _in_both(lambda: _("The proposal")))
    add_question(
        page, "information", {code: f"{title}\n\n{proposal.text}" for code in LANGUAGES},
        key="proposal",
    )  # fmt: skip
    add_question(
        page,
        "single_choice",
        _in_both(lambda: _("Do you support the proposal?")),
        key="support",
        concept=f"proposal-{proposal.id}",
        required=True,
        options=[
            ("yes", _in_both(lambda: _("Yes"))),
            ("partly", _in_both(lambda: _("Partly"))),
            ("no", _in_both(lambda: _("No"))),
            ("dont_know", _in_both(lambda: _("Don't know"))),
        ],
    )
    db.session.flush()
    proposal.questionnaire_id = questionnaire.id
    audit.record("proposal.ask_panel", f"proposal:{proposal.id}", questionnaire=questionnaire.id)
    log.info("proposal %s: questionnaire %s drafted", proposal.id, questionnaire.id)
    return questionnaire


def panel_waves(proposal: Proposal) -> list[Wave]:
    """The waves that asked the panel about ``proposal`` (of its questionnaire)."""
    if proposal.questionnaire_id is None:
        return []
    return list(
        db.session.scalars(select(Wave).where(Wave.questionnaire_id == proposal.questionnaire_id))
    )


@dataclass(frozen=True)
class PanelView:
    """What the weighted panel said about a proposal in one closed wave."""

    wave: Wave
    summary: Summary
    #: The "Do you support the proposal?" shares, suppressed as every result is.
    table: Table


def panel_views(proposal: Proposal, language: str) -> list[PanelView]:
    """The closed waves' weighted answers to the proposal's question, to set beside the
    count of supporters: those who chose to sign next to what the population thinks."""
    views = []
    for wave in panel_waves(proposal):
        if not wave.has_results(closed_only=True):
            continue
        summary = summarise(wave, language)
        for question in summary.questions:
            if question.key == "support" and question.overall:
                views.append(PanelView(wave, summary, question.overall[0]))
    return views
