"""Staff pages for the panel: overview and composition, members, imports, population,
attributes. Every view is ``@staff_required``: admins and staff only."""

from __future__ import annotations

from types import SimpleNamespace

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import Select, func, select
from wtforms.fields.choices import SelectChoice

from core.audit import AuditEvent, record, verify_chain
from core.clock import today
from core.i18n import current_language
from core.input_checks import bounded_int
from extensions import db
from panel.auth import role_required, staff_required
from panel.demographics.attributes import age_band, load_attributes
from panel.demographics.composition import (
    composition_attributes,
    members_in_category,
    overview_figures,
)
from panel.demographics.models import (
    Attribute,
    AttributeKind,
    Category,
    PopulationFigure,
    PopulationTable,
)
from panel.demographics.population import upload_population
from panel.mail.models import OutboxMessage
from panel.members.imports import export_members, import_members
from panel.members.models import Member, MemberContact, MemberStatus
from panel.members.operations import attribute_summary
from panel.staff.forms import (
    ActionForm,
    AttributeForm,
    CategoryForm,
    CategoryLabelsForm,
    CompositionPairForm,
    MemberImportForm,
    MemberSearchForm,
    PopulationUploadForm,
    split_aliases,
)
from panel.staff.models import Role

bp = Blueprint("staff", __name__, url_prefix="/staff")
PER_PAGE = 50


@bp.route("/", endpoint="overview")
@staff_required
def overview() -> ResponseReturnValue:
    language = current_language()
    attributes = composition_attributes()
    keys = [a.key for a in attributes]
    form = CompositionPairForm(request.args)
    choices = [SelectChoice(a.key, a.label(language)) for a in attributes]
    form.rows.choices = form.columns.choices = choices
    form.rows.data = form.rows.data if form.rows.data in keys else _first("age", keys, 0)
    form.columns.data = (
        form.columns.data if form.columns.data in keys else _first("gender", keys, 1)
    )
    figures = overview_figures(form.rows.data, form.columns.data, language)
    return render_template(
        "staff/overview.html",
        form=form,
        language=language,
        counts=figures.counts,
        marginals=figures.marginals,
        cross=figures.cross,
        population=figures.population,
    )


def _first(preferred: str, keys: list[str], fallback: int) -> str | None:
    if preferred in keys:
        return preferred
    return keys[fallback] if len(keys) > fallback else None


def member_search(text: str | None, status: str | None) -> Select[tuple[Member]]:
    """A member number finds that member; other text is an e-mail address or its start."""
    query = select(Member).outerjoin(MemberContact).order_by(Member.id.desc())
    text = (text or "").strip().lower()
    if text.isdigit():  # a number too large for an id finds nobody
        query = query.where(Member.id == bounded_int(text, default=0))
    elif text:
        query = query.where(MemberContact.email.startswith(text, autoescape=True))
    if status in {s.value for s in MemberStatus}:
        query = query.where(Member.status == MemberStatus(status))
    return query


@bp.route("/members", endpoint="members")
@staff_required
def members() -> ResponseReturnValue:
    form = MemberSearchForm(request.args)
    form.validate()
    page = db.paginate(
        member_search(form.q.data, form.status.data),
        page=bounded_int(request.args.get("page")),
        per_page=PER_PAGE,
        error_out=False,
    )
    # who browsed whom: the page and the filter, never the searched address itself
    record("members.list", "", page=page.page, searched=bool(form.q.data),
           status=form.status.data or None, shown=len(page.items))  # fmt: skip
    db.session.commit()
    return render_template("staff/members.html", form=form, page=page)


@bp.route("/members/<int:member_id>", endpoint="member")
@staff_required
def member(member_id: int) -> ResponseReturnValue:
    person = db.get_or_404(Member, member_id)
    record("member.view", f"member:{person.id}")
    db.session.commit()
    language = current_language()
    attributes = load_attributes()
    bands = [a for a in attributes if a.kind is AttributeKind.AGE_BAND]
    mails = db.session.scalars(
        select(OutboxMessage).filter_by(member_id=person.id).order_by(OutboxMessage.id.desc())
    )
    return render_template(
        "staff/member.html",
        member=person,
        attributes=attribute_summary(person, attributes, language),
        band=age_band(person.birth_year, bands[0].categories) if bands else None,
        mails=list(mails),
        today=today(),
    )


@bp.route("/members/export.csv", endpoint="export_members")
@staff_required
def export() -> ResponseReturnValue:
    record("members.export", "", format="csv")
    db.session.commit()
    return Response(
        stream_with_context(export_members()),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=members-{today()}.csv"},
    )


@bp.route("/import", methods=["GET", "POST"], endpoint="import_members")
@staff_required
def import_view() -> ResponseReturnValue:
    form = MemberImportForm()
    result = None
    if form.validate_on_submit():
        result = import_members(form.file.data.stream, consent_given=form.consent_given.data)
        if not result.errors:
            record("members.import", "", created=result.created)
            db.session.commit()
            flash(_("%(n)d members were imported.", n=result.created))
            return redirect(url_for("staff.members"))
        db.session.rollback()
    return render_template("staff/import.html", form=form, result=result)


@bp.route("/population", methods=["GET", "POST"], endpoint="population")
@staff_required
def population() -> ResponseReturnValue:
    form = PopulationUploadForm()
    result = None
    if form.validate_on_submit():
        result = upload_population(
            form.file.data.stream,
            name=form.name.data or "",
            note=form.source.data or "",
            uploaded_by_id=current_user.id,
        )
        if result.table is not None:
            record("population.upload", f"population:{result.table.id}")
            db.session.commit()
            flash(_("The population figures were saved."))
            if result.skipped:
                flash(
                    ngettext(
                        "%(num)d row outside the age bands was skipped.",
                        "%(num)d rows outside the age bands were skipped.",
                        result.skipped,
                    )
                )
            return redirect(url_for("staff.population"))
        db.session.rollback()
    tables = db.session.execute(
        select(PopulationTable, func.coalesce(func.sum(PopulationFigure.count), 0))
        .outerjoin(PopulationFigure)
        .group_by(PopulationTable.id)
        .order_by(PopulationTable.uploaded_at.desc(), PopulationTable.id.desc())
    ).all()
    return render_template("staff/population.html", form=form, result=result, tables=tables)


@bp.route("/attributes", endpoint="attributes")
@staff_required
def attributes() -> ResponseReturnValue:
    return render_template(
        "staff/attributes.html", attributes=load_attributes(), language=current_language()
    )


@bp.route("/attributes/<int:attribute_id>", methods=["GET", "POST"], endpoint="attribute")
@staff_required
def attribute(attribute_id: int) -> ResponseReturnValue:
    item = db.get_or_404(Attribute, attribute_id)
    form = AttributeForm(obj=None if request.method == "POST" else _attribute_data(item))
    if form.validate_on_submit():
        item.labels = {"da": form.label_da.data or "", "en": form.label_en.data or ""}
        item.required = bool(form.required.data)
        item.weighting = bool(form.weighting.data)
        item.aliases = split_aliases(form.aliases.data)
        db.session.commit()
        flash(_("The attribute was saved."))
        return redirect(url_for("staff.attribute", attribute_id=item.id))
    return _attribute_page(item, form, CategoryForm(prefix="new"))


@bp.route("/attributes/<int:attribute_id>/categories", methods=["POST"], endpoint="add_category")
@staff_required
def add_category(attribute_id: int) -> ResponseReturnValue:
    item = db.get_or_404(Attribute, attribute_id)
    form = CategoryForm(prefix="new")
    if form.validate_on_submit() and _category_form_ok(item, form):
        item.categories.append(
            Category(
                code=form.code.data or "",
                labels={"da": form.label_da.data or "", "en": form.label_en.data or ""},
                position=max((c.position for c in item.categories), default=-1) + 1,
                min_age=form.min_age.data,
                max_age=form.max_age.data,
                aliases=split_aliases(form.aliases.data),
            )
        )
        db.session.commit()
        flash(_("The category was added."))
        return redirect(url_for("staff.attribute", attribute_id=item.id))
    return _attribute_page(item, AttributeForm(obj=_attribute_data(item)), form)


def _category_form_ok(item: Attribute, form: CategoryForm) -> bool:
    """Checks that need the attribute: a unique code, an age range for age bands."""
    if any(c.code == form.code.data for c in item.categories):
        form.code.errors = [_("This attribute already has a category with that code.")]
        return False
    if item.kind is AttributeKind.AGE_BAND:
        if form.min_age.data is None:
            form.min_age.errors = [_("An age band needs a lowest age.")]
            return False
        if form.max_age.data is not None and form.max_age.data < form.min_age.data:
            form.max_age.errors = [_("The highest age must not be below the lowest.")]
            return False
    return True


def _attribute_data(item: Attribute) -> object:
    return SimpleNamespace(
        label_da=item.labels.get("da", ""),
        label_en=item.labels.get("en", ""),
        required=item.required,
        weighting=item.weighting,
        aliases=", ".join(item.aliases or []),
    )


def _attribute_page(item: Attribute, form: AttributeForm, new: CategoryForm) -> str:
    return render_template(
        "staff/attribute.html",
        attribute=item,
        form=form,
        new=new,
        action=ActionForm(),
        language=current_language(),
    )


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"], endpoint="category")
@staff_required
def category(category_id: int) -> ResponseReturnValue:
    item = db.get_or_404(Category, category_id)
    form = CategoryLabelsForm(
        obj=None if request.method == "POST" else _labels_data(item.labels, item.aliases or [])
    )
    if form.validate_on_submit():
        item.labels = {"da": form.label_da.data or "", "en": form.label_en.data or ""}
        item.aliases = split_aliases(form.aliases.data)
        db.session.commit()
        flash(_("The category was saved."))
        return redirect(url_for("staff.attribute", attribute_id=item.attribute_id))
    return render_template("staff/category.html", category=item, form=form)


def _labels_data(labels: dict[str, str], aliases: list[str]) -> object:
    return SimpleNamespace(
        label_da=labels.get("da", ""), label_en=labels.get("en", ""), aliases=", ".join(aliases)
    )


def move_category(item: Category, step: int) -> None:
    """Swap with the neighbour; positions are renumbered first, as old rows may share one."""
    siblings = sorted(item.attribute.categories, key=lambda c: (c.position, c.id))
    index = siblings.index(item)
    target = index + step
    if 0 <= target < len(siblings):
        siblings[index], siblings[target] = siblings[target], siblings[index]
    for position, sibling in enumerate(siblings):
        sibling.position = position


@bp.route("/categories/<int:category_id>/move", methods=["POST"], endpoint="move_category")
@staff_required
def move(category_id: int) -> ResponseReturnValue:
    item = db.get_or_404(Category, category_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    move_category(item, -1 if request.form.get("direction") == "up" else 1)
    db.session.commit()
    return redirect(url_for("staff.attribute", attribute_id=item.attribute_id) + f"#c{item.id}")


@bp.route("/categories/<int:category_id>/delete", methods=["POST"], endpoint="delete_category")
@staff_required
def delete_category(category_id: int) -> ResponseReturnValue:
    item = db.get_or_404(Category, category_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    in_use = members_in_category(item.attribute, item)
    label = item.label(current_language())
    if in_use:
        flash(
            _(
                "“%(label)s” cannot be deleted: %(n)d members have it. "
                "Members must change it first.",
                label=label,
                n=in_use,
            )
        )
    else:
        db.session.delete(item)
        db.session.commit()
        flash(_("“%(label)s” was deleted.", label=label))
    return redirect(url_for("staff.attribute", attribute_id=item.attribute_id))


@bp.route("/audit", endpoint="audit")
@role_required(Role.ADMIN)
def audit() -> ResponseReturnValue:
    """The audit trail, newest first, and whether its hash chain is unbroken."""
    page = db.paginate(
        select(AuditEvent).order_by(AuditEvent.id.desc()),
        page=bounded_int(request.args.get("page")),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template("staff/audit.html", page=page, broken_at=verify_chain())
