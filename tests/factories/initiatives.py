"""Factories for proposals: a published proposal collecting support, with its main proposer."""

from __future__ import annotations

from datetime import timedelta

import factory

from core.clock import utcnow
from initiatives.proposals.models import Proposal, ProposalState, Proposer
from tests.factories import _Base


class ProposerFactory(_Base):
    class Meta:
        model = Proposer

    is_main = True
    email = factory.Sequence(lambda n: f"proposer{n}@example.dk")
    name = factory.Sequence(lambda n: f"Proposer {n}")
    accepted_at = factory.LazyFunction(utcnow)
    token_hash = factory.Sequence(lambda n: f"{n:064d}")


class ProposalFactory(_Base):
    """Published now, collecting support for 180 days; 3 supporters needed, from 18."""

    class Meta:
        model = Proposal

    title = factory.Sequence(lambda n: f"Proposal {n}")
    text = "More night buses to the hospital."
    state = ProposalState.PUBLISHED
    threshold = 3
    min_age = 18
    published_at = factory.LazyFunction(utcnow)
    closes_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=180))
    screening_reason = "Within the region's remit."
    proposers = factory.LazyFunction(lambda: [ProposerFactory.build()])
