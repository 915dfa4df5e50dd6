"""Admins' pages for the API: tokens (created, shown once, revoked) and webhooks with
their delivery log. Admins only: a token can carry every scope, so making one is as
powerful as being an admin."""

from __future__ import annotations

from datetime import time

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from api.forms import EVENT_NAMES, SCOPE_NAMES, TokenForm, WebhookForm
from api.models import ApiToken, WebhookEndpoint
from api.tokens import create_token, revoke_token
from api.webhooks import create_endpoint, delivery_log
from core.audit import record
from core.clock import today, utcnow
from extensions import db
from panel.auth import role_required
from panel.staff.forms import ActionForm
from panel.staff.models import Role
from surveys.waves.operations import local_to_utc

bp = Blueprint("api_staff", __name__, url_prefix="/staff/api")
admin_required = role_required(Role.ADMIN)


@bp.route("/tokens", methods=["GET", "POST"], endpoint="tokens")
@admin_required
def tokens() -> ResponseReturnValue:
    form = TokenForm()
    raw = None
    if form.validate_on_submit():
        expires_on = form.expires_on.data
        if expires_on is None or expires_on <= today():
            form.expires_on.errors = [_("Choose a day after today.")]
        else:
            token, raw = create_token(
                form.name.data or "",
                form.scopes.data or [],
                local_to_utc(expires_on, time(0, 0)),
                created_by_id=current_user.id,
            )
            record("api.token.create", f"token:{token.id}", scopes=token.scopes)
            db.session.commit()
            form = TokenForm(formdata=None)
    return render_template(
        "api/tokens.html",
        form=form,
        raw=raw,
        tokens=db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).all(),
        scope_names=SCOPE_NAMES,
        action=ActionForm(),
        now=utcnow(),
    )


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"], endpoint="revoke_token")
@admin_required
def revoke(token_id: int) -> ResponseReturnValue:
    token = db.get_or_404(ApiToken, token_id)
    if ActionForm().validate_on_submit():
        revoke_token(token)
        record("api.token.revoke", f"token:{token.id}")
        db.session.commit()
        flash(_("The token “%(name)s” is revoked.", name=token.name))
    return redirect(url_for("api_staff.tokens"))


@bp.route("/webhooks", methods=["GET", "POST"], endpoint="webhooks")
@admin_required
def webhooks() -> ResponseReturnValue:
    form = WebhookForm()
    secret = None
    if form.validate_on_submit():
        url = form.url.data or ""
        if not url.startswith(("https://", "http://")):
            form.url.errors = [_("Use an http or https address.")]
        else:
            endpoint = create_endpoint(url, form.events.data or [])
            record("api.webhook.create", f"webhook:{endpoint.id}", events=endpoint.events)
            db.session.commit()
            secret = endpoint.secret
            form = WebhookForm(formdata=None)
    return render_template(
        "api/webhooks.html",
        form=form,
        secret=secret,
        endpoints=db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all(),
        deliveries=delivery_log(),
        event_names=EVENT_NAMES,
        action=ActionForm(),
    )


@bp.route("/webhooks/<int:endpoint_id>/toggle", methods=["POST"], endpoint="toggle_webhook")
@admin_required
def toggle(endpoint_id: int) -> ResponseReturnValue:
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    if ActionForm().validate_on_submit():
        endpoint.active = not endpoint.active
        record("api.webhook.toggle", f"webhook:{endpoint.id}", active=endpoint.active)
        db.session.commit()
    return redirect(url_for("api_staff.webhooks"))
