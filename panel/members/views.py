"""Public and citizen pages of the panel: join, confirm, log in by link, own profile.

Links in mails lead to a page with a button: mail scanners fetch GET links, so only the
POST behind the button spends a one-time token. Every POST is CSRF-checked by CSRFProtect
before a view runs, so POST-only views need no form of their own.
"""

from __future__ import annotations

import json
from typing import Any, cast

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask import Response as HttpResponse
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from core.clock import utcnow
from core.errors import commit_or_flash
from extensions import csrf, db, limiter
from panel import signals
from panel.auth import end_sessions, member_required, safe_next
from panel.demographics.attributes import load_attributes
from panel.members import email_change
from panel.members import operations as members
from panel.members.forms import (
    ActionForm,
    JoinForm,
    LanguageForm,
    LoginLinkForm,
    PauseForm,
    ProfileForm,
    member_form_class,
)
from panel.members.models import Member, MemberStatus
from panel.members.operations import MemberDetails

bp = Blueprint("panel", __name__)

#: A link that does not work (expired, used or never issued): the resource is gone.
LINK_GONE = 410


def _language() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def _member() -> Member:
    return cast(Member, current_user._get_current_object())


def _restart_session() -> None:
    """A new session on every change of who is logged in; the language choice survives."""
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language


@bp.route("/", endpoint="index")
def index() -> ResponseReturnValue:
    return render_template("panel/index.html")


@bp.route("/about", endpoint="about")
def about() -> ResponseReturnValue:
    return render_template("panel/about.html")


@bp.route("/join", methods=["GET", "POST"], endpoint="join")
@limiter.limit(lambda: current_app.config["JOIN_RATE_LIMIT"], methods=["POST"])
def join() -> ResponseReturnValue:
    form_class = member_form_class(JoinForm, load_attributes(), _language())
    form = form_class(language=_language())
    if form.validate_on_submit():
        members.join_panel(form.member_details())
        db.session.commit()
        return redirect(url_for("panel.join_sent"))
    return render_template("panel/join.html", form=form)


@bp.route("/join/check-your-inbox", endpoint="join_sent")
def join_sent() -> ResponseReturnValue:
    return render_template("panel/join_sent.html")


def _link_page(purpose: str) -> ResponseReturnValue:
    return render_template("panel/link.html", form=ActionForm(), purpose=purpose)


def _log_in(member: Member | None) -> ResponseReturnValue:
    if member is None:
        db.session.rollback()
        return render_template("panel/link_invalid.html", form=LoginLinkForm()), LINK_GONE
    _restart_session()
    login_user(member)
    db.session.commit()
    return redirect(url_for("panel.profile"))


@bp.route("/confirm/<token>", methods=["GET", "POST"], endpoint="confirm")
def confirm(token: str) -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        return _log_in(members.confirm_member(token))
    return _link_page("confirm")


@bp.route("/login", methods=["GET", "POST"], endpoint="login")
@limiter.limit(lambda: current_app.config["LOGIN_LINK_RATE_LIMIT"], methods=["POST"])
def login() -> ResponseReturnValue:
    form = LoginLinkForm()
    if form.validate_on_submit():
        members.request_login_link(form.email.data or "")
        db.session.commit()
        return redirect(url_for("panel.login_sent"))
    return render_template("panel/login.html", form=form)


@bp.route("/login/sent", endpoint="login_sent")
def login_sent() -> ResponseReturnValue:
    return render_template("panel/login_sent.html")


@bp.route("/login/<token>", methods=["GET", "POST"], endpoint="login_link")
def login_link(token: str) -> ResponseReturnValue:
    if ActionForm().validate_on_submit():
        return _log_in(members.log_in_with_link(token))
    return _link_page("login")


def _render_profile(status: int = 200, **forms: Any) -> ResponseReturnValue:
    member = _member()
    forms.setdefault("pause_form", PauseForm())
    forms.setdefault("language_form", LanguageForm(language=member.language))
    page = render_template(
        "panel/profile.html",
        member=member,
        summary=members.attribute_summary(member, load_attributes(), _language()),
        consent_expires_at=member.consent_expires_at,
        can_renew=members.can_renew_consent(member),
        action=ActionForm(),
        sections=sorted(
            signals.collect(signals.profile_sections_requested, member, _language()),
            key=lambda section: section.order,
        ),
        **forms,
    )
    return page, status


def _done(message: str) -> ResponseReturnValue:
    db.session.commit()
    flash(message)
    return redirect(url_for("panel.profile"))


@bp.route("/profile", endpoint="profile")
@member_required
def profile() -> ResponseReturnValue:
    return _render_profile()


@bp.route("/profile/edit", methods=["GET", "POST"], endpoint="profile_edit")
@member_required
def profile_edit() -> ResponseReturnValue:
    member = _member()
    form_class = member_form_class(ProfileForm, load_attributes(), _language())
    current = {f"attr_{key}": value for key, value in member.attributes.items()}
    contact = member.contact
    form = form_class(
        data={
            "email": contact.email if contact else "",
            "name": contact.name if contact else "",
            "birth_year": str(member.birth_year),
            "language": member.language,
            **current,
        }
    )
    if form.validate_on_submit():
        details = form.member_details()
        outcome = commit_or_flash(lambda: _save_profile(member, details), form)
        if outcome.ok:
            session["language"] = member.language
            if outcome.value:
                return _done(
                    _(
                        "Your profile is saved. We have sent a link to %(email)s: the new "
                        "address is used once you open it.",
                        email=outcome.value,
                    )
                )
            return _done(_("Your profile is saved."))
    return render_template("panel/profile_edit.html", form=form)


def _save_profile(member: Member, details: MemberDetails) -> str | None:
    """Save the profile; a new address is asked for, not taken (``email_change``)."""
    wanted = members.update_profile(member, details)
    if wanted is not None:
        email_change.request_email_change(member, wanted)
    return wanted


@bp.route("/email/confirm/<token>", methods=["GET", "POST"], endpoint="confirm_email")
def confirm_email(token: str) -> ResponseReturnValue:
    """A button, not the link itself, changes the address: mail scanners open links."""
    if ActionForm().validate_on_submit():
        member = email_change.confirm_email_change(token)
        if member is None:
            db.session.rollback()
            page = render_template("panel/link_invalid.html", form=LoginLinkForm())
            return page, LINK_GONE
        db.session.commit()
        flash(_("Your new e-mail address is saved."))
        home = "panel.profile" if current_user.is_authenticated else "panel.index"
        return redirect(url_for(home))
    return _link_page("email")


@bp.route("/profile/checked", methods=["POST"], endpoint="profile_checked")
@member_required
def profile_checked() -> ResponseReturnValue:
    members.confirm_profile_current(_member())
    return _done(_("Thank you. We have noted that your profile is correct."))


@bp.route("/profile/pause", methods=["POST"], endpoint="pause")
@member_required
def pause() -> ResponseReturnValue:
    form = PauseForm()
    if form.validate_on_submit() and form.until.data is not None:
        until = form.until.data
        if commit_or_flash(lambda: members.pause(_member(), until), form).ok:
            return _done(_("You will not be invited until after the date you chose."))
    return _render_profile(400, pause_form=form)


@bp.route("/profile/resume", methods=["POST"], endpoint="resume")
@member_required
def resume() -> ResponseReturnValue:
    members.resume(_member())
    return _done(_("Your pause has ended. You can be invited again."))


@bp.route("/profile/consent", methods=["POST"], endpoint="renew_consent")
@member_required
def renew_consent() -> ResponseReturnValue:
    member = _member()
    if not members.can_renew_consent(member):
        return redirect(url_for("panel.profile"))
    members.renew_consent(member)
    return _done(_("Thank you. Your consent is renewed."))


@bp.route("/profile/language", methods=["POST"], endpoint="profile_language")
@member_required
def profile_language() -> ResponseReturnValue:
    form = LanguageForm()
    if not form.validate_on_submit():
        return _render_profile(400, language_form=form)
    members.set_language(_member(), form.language.data or "da")
    session["language"] = form.language.data
    return _done(_("Your language is saved."))


@bp.route("/profile/leave", methods=["GET", "POST"], endpoint="leave")
@member_required
def leave() -> ResponseReturnValue:
    form = ActionForm()
    if form.validate_on_submit():
        members.leave_panel(_member())
        db.session.commit()
        logout_user()
        _restart_session()
        return render_template("panel/goodbye.html", deleted=False)
    return render_template("panel/leave.html", form=form)


@bp.route("/profile/export", endpoint="export")
@member_required
def export() -> ResponseReturnValue:
    data = members.export_member_data(_member(), load_attributes(), _language())
    return HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="borgerpanel-my-data.json"'},
    )


@bp.route("/profile/delete", methods=["GET", "POST"], endpoint="delete")
@member_required
def delete() -> ResponseReturnValue:
    form = ActionForm()
    if form.validate_on_submit():
        members.delete_member(_member())
        db.session.commit()
        logout_user()
        _restart_session()
        return render_template("panel/goodbye.html", deleted=True)
    return render_template("panel/delete.html", form=form)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"], endpoint="unsubscribe")
@csrf.exempt
def unsubscribe(token: str) -> ResponseReturnValue:
    """The link at the foot of every mail to a member, and their mail program's button.

    GET only explains (mail scanners open links). A POST with the body
    ``List-Unsubscribe=One-Click`` (RFC 8058) comes from a mail program that cannot hold a
    CSRF token, so the route is exempt from CSRFProtect and the page's own buttons are
    checked here instead (``ActionForm``). The signed token in the path is what proves
    the request is the member's.
    """
    member = members.find_by_unsubscribe_token(token)
    if member is None:
        return render_template("panel/unsubscribe.html", state="invalid"), 404
    form = ActionForm()
    if request.method == "POST":
        if request.form.get("List-Unsubscribe") != "One-Click" and not form.validate_on_submit():
            return render_template("panel/unsubscribe.html", state="ask", form=form), 400
        if request.form.get("action") == "pause":
            until = utcnow().date() + members.MAX_PAUSE
            if member.status is MemberStatus.ACTIVE:
                members.pause(member, until)
                db.session.commit()
                return render_template("panel/unsubscribe.html", state="paused", until=until)
        elif members.unsubscribe(member):
            db.session.commit()
            return render_template("panel/goodbye.html", deleted=False)
    if member.status is MemberStatus.LEFT:
        return render_template("panel/unsubscribe.html", state="left")
    return render_template("panel/unsubscribe.html", state="ask", form=form)


@bp.route("/logout", methods=["POST"], endpoint="logout")
def logout() -> ResponseReturnValue:
    """Ends the session here and every copy of it elsewhere (``panel.auth.end_sessions``)."""
    if current_user.is_authenticated:
        end_sessions(current_user._get_current_object())
        db.session.commit()
    logout_user()
    _restart_session()
    flash(_("You are logged out."))
    return redirect(url_for("panel.index"))


@bp.route("/language/<code>", endpoint="set_language")
def set_language(code: str) -> ResponseReturnValue:
    """Plain link (works without JavaScript); the choice is kept in the session."""
    if code in current_app.config["LANGUAGES"]:
        session["language"] = code
        user = current_user
        if user.is_authenticated and getattr(user, "language", None) != code:
            user.language = code
            db.session.commit()
    return redirect(safe_next(request.args.get("next"), url_for("panel.index")))
