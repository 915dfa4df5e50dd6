"""What questionnaires ask of answering, so that questionnaires never import it.

A questionnaire with responses is frozen (``operations.ensure_editable``) and the builder's
list shows how many responses each questionnaire has, but responses are answering's table,
and answering builds on questionnaires. So the builder sends ``responses_counted`` and
answering answers it (``surveys.answering.init_app`` connects the receiver), as panel asks
surveys through ``panel.signals``.
"""

from __future__ import annotations

from collections.abc import Collection

from blinker import Namespace

_signals = Namespace()

#: Sent as ``send(questionnaire_ids=...)`` (None: every questionnaire); a receiver returns
#: {questionnaire id: number of responses}, leaving out those without any.
responses_counted = _signals.signal("questionnaire-responses-counted")


def response_counts(questionnaire_ids: Collection[int] | None = None) -> dict[int, int]:
    """How many responses (completed or not, any mode) each questionnaire has."""
    counts: dict[int, int] = {}
    for _receiver, found in responses_counted.send(questionnaire_ids=questionnaire_ids):
        for questionnaire_id, number in found.items():
            counts[questionnaire_id] = counts.get(questionnaire_id, 0) + number
    return counts
