"""Did a share change since the previous wave? The test behind the trend's "significant".

A standing panel asks many of the same members each wave, so the change of a share is
tested with the covariance of those who answered both (``stats.change``): each
respondent's influence value is rebuilt from the stored weights and the weighting's
projection (the same ``CellEstimator`` the summary uses) and paired by member through
the invitations. A change is shown only where it is significant at 5 %, with a note that
among many figures some look significant by chance.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import and_, select

from extensions import db
from stats.change import Change, WaveInfluence, change, influence
from stats.sums import group_sums
from surveys.answering.models import Answer, Response
from surveys.results.respondents import (
    ATTRIBUTES_TEXT,
    Respondents,
    load_respondents,
    respondent_filter,
)
from surveys.results.summary import chose
from surveys.waves.models import Invitation


def share_changes(
    earlier: tuple[int, str], later: tuple[int, str], codes: Sequence[str],
    earlier_respondents: Respondents | None = None,
) -> dict[str, Change]:  # fmt: skip
    """Per answer code, the change of its share from ``earlier`` to ``later`` (each a
    (wave id, question key)); empty where a wave has no answers to it. The trend has
    loaded the earlier wave's respondents already and passes them on."""
    before = _influences(*earlier, codes, earlier_respondents)
    after = _influences(*later, codes)
    return {code: change(before[code], after[code]) for code in codes if code in before
            and code in after}  # fmt: skip


def _influences(
    wave_id: int, key: str, codes: Sequence[str], respondents: Respondents | None = None
) -> dict[str, WaveInfluence]:
    respondents = respondents or load_respondents(wave_id)
    estimator = respondents.estimator
    rows = db.session.execute(
        select(ATTRIBUTES_TEXT, Invitation.member_id, Answer.value)
        .select_from(Response)
        .outerjoin(Answer, and_(Answer.response_id == Response.id, Answer.question_key == key))
        .outerjoin(Invitation, Invitation.id == Response.invitation_id)
        .where(*respondent_filter(wave_id))
    ).all()
    if not rows:
        return {}
    cells = estimator.profile_cells[np.array([respondents.position[r[0]] for r in rows])]
    weights = estimator.cell_weights[cells]
    # a member deleted since, or a paper answer without an invitation, pairs with no one
    members = np.array([r[1] if r[1] is not None else -1 - i for i, r in enumerate(rows)])
    k = estimator.cell_weights.size

    def residuals(r: np.ndarray) -> np.ndarray:
        fitted = estimator.fitted(group_sums(cells, k, r[:, None]), estimator.cell_counts)
        return np.asarray(r - fitted[cells, 0])

    found = {}
    for code in codes:
        y = np.array([np.nan if r[2] is None else float(chose(r[2], code)) for r in rows])
        if np.isnan(y).all():
            continue
        estimate, x = influence(y, weights, residuals)
        found[code] = WaveInfluence(estimate, members, x)
    return found
