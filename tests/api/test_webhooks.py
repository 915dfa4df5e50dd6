"""Webhooks: each event goes once to each endpoint that wants it, signed so the receiver
can check it, retried with backoff until it is taken or given up, and logged for admins."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from api.models import WebhookDelivery, WebhookEvent
from api.webhooks import MAX_ATTEMPTS, create_endpoint, run_webhooks
from core.clock import utcnow
from extensions import db
from panel.staff.models import Role
from surveys.publishing.operations import publish
from surveys.waves.models import WaveState
from tests.factories.results import closed_wave
from tests.helpers import login_staff


class Receiver:
    """Stands in for the other system: answers with the statuses it is given, in turn."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.calls: list[tuple[str, str, dict[str, str]]] = []

    def __call__(self, url: str, body: str, headers: dict[str, str]) -> int:
        self.calls.append((url, body, headers))
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 0:
            raise OSError("connection refused")
        return status


@pytest.fixture
def now(app):
    return utcnow()


def opened_wave(at):
    wave = closed_wave(name="Transport 2027", closes_at=at + timedelta(days=14))
    wave.state, wave.opened_at = WaveState.OPEN, at
    db.session.commit()
    return wave


def test_a_delivery_is_signed_so_the_receiver_can_check_it(app, now, monkeypatch):
    endpoint = create_endpoint("https://esdh.example.dk/hook", [WebhookEvent.WAVE_OPENED])
    db.session.commit()
    wave = opened_wave(now + timedelta(seconds=1))
    receiver = Receiver(204)
    monkeypatch.setattr("api.webhooks.post", receiver)
    run_webhooks(now + timedelta(minutes=1))
    [(url, body, headers)] = receiver.calls
    assert url == "https://esdh.example.dk/hook"
    assert json.loads(body)["event"] == "wave.opened"
    assert json.loads(body)["wave"]["id"] == wave.id
    signed = f"{headers['X-Borgerpanel-Timestamp']}.{body}".encode()
    expected = hmac.new(endpoint.secret.encode(), signed, hashlib.sha256).hexdigest()
    assert headers["X-Borgerpanel-Signature"] == f"sha256={expected}"
    assert headers["X-Borgerpanel-Event"] == "wave.opened"


def test_a_failed_delivery_is_retried_with_backoff_and_sent_once(app, now, monkeypatch):
    create_endpoint("https://esdh.example.dk/hook", [WebhookEvent.WAVE_OPENED])
    db.session.commit()
    opened_wave(now + timedelta(seconds=1))
    receiver = Receiver(500, 0)
    monkeypatch.setattr("api.webhooks.post", receiver)
    start = now + timedelta(minutes=1)
    run_webhooks(start)
    delivery = db.session.scalar(select(WebhookDelivery))
    assert (delivery.attempts, delivery.last_status, delivery.last_error) == (1, 500, "HTTP 500")
    assert delivery.next_attempt_at == start + timedelta(minutes=1)
    run_webhooks(start + timedelta(seconds=30))  # not due yet
    assert len(receiver.calls) == 1
    run_webhooks(start + timedelta(minutes=1))  # no answer at all: retried later still
    assert delivery.attempts == 2 and "connection refused" in delivery.last_error
    assert delivery.next_attempt_at == start + timedelta(minutes=3)
    run_webhooks(start + timedelta(minutes=3))
    assert delivery.delivered_at is not None and delivery.last_status == 200
    run_webhooks(start + timedelta(minutes=10))
    assert len(receiver.calls) == 3  # delivered: never again, and not queued twice
    assert len(db.session.scalars(select(WebhookDelivery)).all()) == 1


def test_a_delivery_is_given_up_after_the_last_attempt(app, now, monkeypatch):
    create_endpoint("https://esdh.example.dk/hook", [WebhookEvent.WAVE_OPENED])
    db.session.commit()
    opened_wave(now + timedelta(seconds=1))
    monkeypatch.setattr("api.webhooks.post", Receiver(*[503] * MAX_ATTEMPTS))
    moment = now + timedelta(minutes=1)
    for _ in range(MAX_ATTEMPTS + 2):
        run_webhooks(moment)
        moment += timedelta(days=1)
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery.attempts == MAX_ATTEMPTS and delivery.failed_at is not None
    assert delivery.delivered_at is None


def test_only_wanted_events_after_the_endpoint_was_made_are_sent(app, now, monkeypatch):
    old = opened_wave(now - timedelta(days=1))
    create_endpoint("https://stat.example.dk/hook", [WebhookEvent.WAVE_CLOSED])
    create_endpoint("https://web.example.dk/hook", [WebhookEvent.RESULTS_PUBLISHED])
    db.session.commit()
    new = opened_wave(now + timedelta(seconds=1))
    new.state, new.closed_at = WaveState.CLOSED, now + timedelta(seconds=2)
    db.session.commit()
    receiver = Receiver()
    monkeypatch.setattr("api.webhooks.post", receiver)
    run_webhooks(now + timedelta(minutes=1))
    sent = [(url, json.loads(body)["event"], json.loads(body)["wave"]["id"])
            for url, body, _h in receiver.calls]  # fmt: skip
    assert sent == [("https://stat.example.dk/hook", "wave.closed", new.id)]
    assert old.id not in {wave_id for _u, _e, wave_id in sent}
    publish(new, public=True, you_said_we_did={"da": "Flere busser"}, now=now + timedelta(days=2))
    db.session.commit()
    run_webhooks(now + timedelta(days=3))
    assert receiver.calls[-1][0] == "https://web.example.dk/hook"
    assert json.loads(receiver.calls[-1][1])["event"] == "wave.results_published"


def test_admins_add_receivers_and_read_the_delivery_log(client, now, monkeypatch):
    login_staff(client, Role.ADMIN)
    page = client.post(
        "/staff/api/webhooks",
        data={"url": "https://esdh.example.dk/hook", "events": ["wave.opened"]},
    )
    assert page.status_code == 200
    opened_wave(utcnow() + timedelta(seconds=1))
    monkeypatch.setattr("api.webhooks.post", Receiver(502))
    run_webhooks(utcnow() + timedelta(minutes=1))
    client.get("/language/en")
    log = client.get("/staff/api/webhooks").get_data(as_text=True)
    assert "wave.opened" in log and "HTTP 502" in log and "Retrying" in log
