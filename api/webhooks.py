"""Webhooks: signed POSTs to a region's other systems when a wave opens, closes, or its
results are published, and when a citizen proposal reaches its threshold or is answered.

Events are found, not announced: the scheduled job compares the waves with the delivery
log and queues what is new for each endpoint, so the wave code needs no hooks and an
event that happened while the job was down is still sent once (the log is unique per
endpoint, event and wave). Deliveries are retried with the outbox's backoff and signed
with HMAC-SHA256 over ``<timestamp>.<body>`` (header ``X-Borgerpanel-Signature:
sha256=<hex>``), so a receiver can check both origin and freshness.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from api.models import PROPOSAL_EVENTS, WebhookDelivery, WebhookEndpoint, WebhookEvent
from core.jobs import Every, ScheduledJob, register
from extensions import db
from initiatives.proposals.models import Proposal
from initiatives.proposals.support import support_counts
from panel.mail.outbox import absolute_url, backoff
from surveys.publishing.models import Publication
from surveys.waves.models import Wave

log = logging.getLogger(__name__)
#: Attempts before a delivery is given up (with backoff 1, 2, 4, ... minutes: about a day).
MAX_ATTEMPTS = 12
TIMEOUT_SECONDS = 10


def create_endpoint(url: str, events: list[str]) -> WebhookEndpoint:
    """A new receiver with a fresh secret (shown to the admin); caller commits."""
    endpoint = WebhookEndpoint(
        url=url, events=[WebhookEvent(e).value for e in events], secret=secrets.token_hex(32)
    )
    db.session.add(endpoint)
    db.session.flush()
    log.info("webhook endpoint %s created", endpoint.id)
    return endpoint


def sign(secret: str, timestamp: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def _happened(event: WebhookEvent, endpoint: WebhookEndpoint) -> Any:
    """Waves for which ``event`` happened since the endpoint was made (results are
    published when staff publish them: ``surveys.publishing.operations``)."""
    since = endpoint.created_at
    if event is WebhookEvent.WAVE_OPENED:
        return Wave.opened_at >= since
    if event is WebhookEvent.WAVE_CLOSED:
        return Wave.closed_at >= since
    return Wave.id.in_(select(Publication.wave_id).where(Publication.published_at >= since))


def _body(event: WebhookEvent, wave: Wave, now: datetime) -> str:
    return json.dumps(
        {
            "event": event.value,
            "occurred_at": now.isoformat() + "Z",
            "wave": {
                "id": wave.id,
                "name": wave.name,
                "state": wave.state.value,
                "results_published_on": (
                    wave.results_published_on.isoformat() if wave.results_published_on else None
                ),
            },
        },
        sort_keys=True,
    )


def queue_events(now: datetime) -> int:
    """Queue a delivery for every new event each active endpoint wants; caller commits."""
    queued = 0
    for endpoint in db.session.scalars(select(WebhookEndpoint).filter_by(active=True)):
        for name in endpoint.events:
            event = WebhookEvent(name)
            if event in PROPOSAL_EVENTS:
                queued += _queue_proposal_event(endpoint, event, now)
                continue
            sent = select(WebhookDelivery.wave_id).where(
                WebhookDelivery.endpoint_id == endpoint.id,
                WebhookDelivery.event == event.value,
                WebhookDelivery.wave_id.is_not(None),
            )
            waves = db.session.scalars(
                select(Wave).where(_happened(event, endpoint), Wave.id.not_in(sent))
            )
            for wave in waves:
                db.session.add(
                    WebhookDelivery(
                        endpoint_id=endpoint.id,
                        event=event.value,
                        wave_id=wave.id,
                        body=_body(event, wave, now),
                        created_at=now,
                        next_attempt_at=now,
                    )
                )
                queued += 1
    db.session.flush()
    return queued


def _proposal_body(event: WebhookEvent, proposal: Proposal, now: datetime) -> str:
    """Public facts only: the count of supporters, never who they are."""
    return json.dumps(
        {
            "event": event.value,
            "occurred_at": now.isoformat() + "Z",
            "proposal": {
                "id": proposal.id,
                "title": proposal.title,
                "state": proposal.state.value,
                "threshold": proposal.threshold,
                "supporters": support_counts([proposal.id])[proposal.id],
                "url": absolute_url(f"/proposals/{proposal.id}"),
            },
        },
        sort_keys=True,
    )


def _queue_proposal_event(endpoint: WebhookEndpoint, event: WebhookEvent, now: datetime) -> int:
    """Queue ``event`` for the proposals it happened to since the endpoint was made."""
    moment = (
        Proposal.threshold_reached_at
        if event is WebhookEvent.PROPOSAL_THRESHOLD_REACHED
        else Proposal.answered_at
    )
    sent = select(WebhookDelivery.proposal_id).where(
        WebhookDelivery.endpoint_id == endpoint.id,
        WebhookDelivery.event == event.value,
        WebhookDelivery.proposal_id.is_not(None),
    )
    proposals = db.session.scalars(
        select(Proposal).where(moment >= endpoint.created_at, Proposal.id.not_in(sent))
    ).all()
    for proposal in proposals:
        db.session.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                event=event.value,
                proposal_id=proposal.id,
                body=_proposal_body(event, proposal, now),
                created_at=now,
                next_attempt_at=now,
            )
        )
    return len(proposals)


def post(url: str, body: str, headers: dict[str, str]) -> int:
    """POST ``body``; the HTTP status, raising OSError when no answer came."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an http(s) address: {url}")
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")  # noqa: S310
    try:
        # the scheme is checked above: http or https only
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 # nosec B310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def deliver(delivery: WebhookDelivery, now: datetime) -> bool:
    """One attempt; on failure the next is scheduled with backoff, or the delivery given up."""
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Borgerpanel-Webhooks/1",
        "X-Borgerpanel-Event": delivery.event,
        "X-Borgerpanel-Delivery": str(delivery.id),
        "X-Borgerpanel-Timestamp": timestamp,
        "X-Borgerpanel-Signature": sign(delivery.endpoint.secret, timestamp, delivery.body),
    }
    delivery.attempts += 1
    try:
        status: int | None = post(delivery.endpoint.url, delivery.body, headers)
        error = None if status is not None and 200 <= status < 300 else f"HTTP {status}"
    except (OSError, ValueError) as failure:
        status, error = None, f"{type(failure).__name__}: {failure}"[:500]
    delivery.last_status, delivery.last_error = status, error
    if error is None:
        delivery.delivered_at = now
        return True
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.failed_at = now
        log.warning("webhook delivery %s given up: %s", delivery.id, error)
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    return False


def deliver_due(now: datetime, limit: int = 200) -> tuple[int, int]:
    """Attempt every due delivery, committing each; returns (delivered, failed)."""
    due = db.session.scalars(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.delivered_at.is_(None),
            WebhookDelivery.failed_at.is_(None),
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    ).all()
    delivered = failed = 0
    for delivery in due:
        if deliver(delivery, now):
            delivered += 1
        else:
            failed += 1
        db.session.commit()
    return delivered, failed


def run_webhooks(now: datetime) -> str:
    queued = queue_events(now)
    db.session.commit()
    delivered, failed = deliver_due(now)
    return f"queued {queued}, delivered {delivered}, failed {failed}"


def delivery_log(limit: int = 100) -> list[WebhookDelivery]:
    return list(
        db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit))
    )


def register_jobs() -> None:
    """Every five minutes: prompt enough for events that happen a few times a year."""
    register(ScheduledJob("webhooks", Every(timedelta(minutes=5)), run_webhooks, order=90))
