"""marshmallow schemas of the API: what the views accept and return, and so the OpenAPI
document. Times are UTC in RFC 3339 (``2027-03-01T07:00:00Z``); the database keeps them
naive UTC, as everywhere in Borgerpanel."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from surveys.questionnaires.models import QuestionnaireState, QuestionType
from surveys.waves.models import WaveState

LANGUAGES = ("da", "en")
#: The moments a wave may be planned for.
EARLIEST, LATEST = datetime(2000, 1, 1), datetime(2200, 1, 1)
Texts = fields.Dict(keys=fields.String(), values=fields.String())


def _printable(value: str) -> None:
    """No NUL or other control characters: PostgreSQL refuses NUL in text."""
    if any(ord(c) < 32 and c not in "\t\n\r" for c in value):
        raise ma.ValidationError("Control characters are not allowed.")


class Text(fields.String):
    """A string input without control characters."""

    def __init__(self, **kwargs: Any) -> None:
        validators = kwargs.pop("validate", None)
        extra = validators if isinstance(validators, list) else [validators] if validators else []
        super().__init__(validate=[_printable, *extra], **kwargs)


class Email(fields.Email):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=[_printable, validate.Length(max=254)], **kwargs)


def attribute_values(**kwargs: Any) -> fields.Dict:
    return fields.Dict(
        keys=Text(validate=validate.Length(min=1, max=40)),
        values=Text(validate=validate.Length(max=200)),
        metadata={"description": "category code (or label) per attribute key"},
        **kwargs,
    )


class UtcDateTime(fields.DateTime):
    """Naive UTC in the database, RFC 3339 with ``Z`` on the wire; input without a zone is UTC."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return moment


class _Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class PageArgs(_Strict):
    cursor = Text(load_default=None, metadata={"description": "next_cursor of the page before"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class _Page(ma.Schema):
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "pass as ?cursor= for the next page; null: none"}
    )


# members -----------------------------------------------------------------------------------


class MemberSchema(ma.Schema):
    id = fields.Integer()
    status = fields.String()
    email = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    language = fields.String()
    birth_year = fields.Integer()
    attributes = Texts
    source = fields.String()
    joined_at = UtcDateTime()
    confirmed_at = UtcDateTime(allow_none=True)
    left_at = UtcDateTime(allow_none=True)
    consent_expires_at = UtcDateTime(allow_none=True)


class MemberPage(_Page):
    items = fields.List(fields.Nested(MemberSchema))


class NewMemberSchema(_Strict):
    email = Email(required=True)
    birth_year = fields.Integer(required=True, validate=validate.Range(min=1900, max=2100))
    name = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))
    language = fields.String(load_default="da", validate=validate.OneOf(LANGUAGES))
    attributes = attribute_values(load_default=dict)


class MemberCreateSchema(NewMemberSchema):
    consent_given = fields.Boolean(
        load_default=False,
        metadata={
            "description": "consent given on paper or by phone: active at once; "
            "otherwise pending and mailed a confirmation link"
        },
    )


class MemberUpdateSchema(_Strict):
    email = Email()
    birth_year = fields.Integer(validate=validate.Range(min=1900, max=2100))
    name = Text(allow_none=True, validate=validate.Length(max=200))
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    attributes = attribute_values()


class MemberImportSchema(_Strict):
    members = fields.List(
        fields.Nested(NewMemberSchema),
        validate=validate.Length(min=1, max=100_000),
        metadata={"description": "the members; or send `csv` instead"},
    )
    csv = Text(
        validate=validate.Length(min=1, max=50_000_000),
        metadata={"description": "a CSV file as the staff import page takes it"},
    )
    consent_given = fields.Boolean(load_default=False)

    @ma.validates_schema
    def one_source(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("members" in data) == ("csv" in data):
            raise ma.ValidationError("Send either members or csv.", "_schema")


class ImportResultSchema(ma.Schema):
    created = fields.Integer()


# attributes and population -------------------------------------------------------------------


class CategorySchema(ma.Schema):
    code = fields.String()
    labels = Texts
    min_age = fields.Integer(allow_none=True)
    max_age = fields.Integer(allow_none=True)


class AttributeSchema(ma.Schema):
    key = fields.String()
    kind = fields.String()
    labels = Texts
    required = fields.Boolean()
    weighting = fields.Boolean()
    categories = fields.List(fields.Nested(CategorySchema))


class FigureSchema(ma.Schema):
    cell = Texts
    count = fields.Integer()


class PopulationSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    source = fields.String()
    attribute_keys = fields.List(fields.String())
    uploaded_at = UtcDateTime()
    figures = fields.List(fields.Nested(FigureSchema))


# questionnaires and waves ----------------------------------------------------------------------


class QuestionnaireSummarySchema(ma.Schema):
    id = fields.Integer()
    state = fields.String(validate=validate.OneOf([s.value for s in QuestionnaireState]))
    version = fields.Integer()
    title = Texts
    created_at = UtcDateTime()


class QuestionnaireSchema(QuestionnaireSummarySchema):
    content = fields.Dict(metadata={"description": "the questionnaire JSON format"})


class QuestionnaireJsonSchema(ma.Schema):
    """The questionnaire JSON format (what the builder's JSON export gives)."""

    class Meta:
        unknown = ma.INCLUDE

    format = fields.String(required=True, metadata={"example": "borgerpanel-questionnaire"})
    format_version = fields.Integer(required=True, metadata={"example": 1})
    languages = fields.List(fields.String())
    pages = fields.List(fields.Dict())


class StratumSchema(ma.Schema):
    stratum = fields.List(fields.String())
    invited = fields.Integer()
    started = fields.Integer()
    completed = fields.Integer()
    response_rate = fields.Float(allow_none=True)


class WaveSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    state = fields.String(validate=validate.OneOf([s.value for s in WaveState]))
    questionnaire_id = fields.Integer()
    plan_id = fields.Integer(allow_none=True)
    invite_at = UtcDateTime()
    closes_at = UtcDateTime()
    results_published_on = fields.Date(allow_none=True)
    opened_at = UtcDateTime(allow_none=True)
    closed_at = UtcDateTime(allow_none=True)
    completes_wanted = fields.Integer()
    stratify_by = fields.List(fields.String())


class WaveDetailSchema(WaveSchema):
    totals = fields.Nested(StratumSchema)
    strata = fields.List(fields.Nested(StratumSchema))


class WavePage(_Page):
    items = fields.List(fields.Nested(WaveSchema))


class WavePlanSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    questionnaire_id = fields.Integer()
    enabled = fields.Boolean()
    months = fields.List(fields.Integer())
    open_days = fields.Integer()


class WaveCreateSchema(_Strict):
    plan_id = fields.Integer(
        required=True, metadata={"description": "the plan whose design to use"}
    )
    invite_at = UtcDateTime(required=True, validate=validate.Range(EARLIEST, LATEST))
    closes_at = UtcDateTime(
        load_default=None,
        allow_none=True,
        validate=validate.Range(EARLIEST, LATEST),
        metadata={"description": "default: the plan's open_days after invite_at"},
    )
    name = Text(validate=validate.Length(min=1, max=200))


# answers and results ---------------------------------------------------------------------------


class AnswerRowSchema(ma.Schema):
    response_id = fields.Integer()
    mode = fields.String()
    language = fields.String()
    completed_at = UtcDateTime()
    attributes = fields.Dict()
    weight = fields.Float(allow_none=True, metadata={"description": "null: not weighted"})
    answers = fields.Dict(metadata={"description": "question key -> value"})


class AnswerPage(_Page):
    items = fields.List(fields.Nested(AnswerRowSchema))


class ResultsArgs(_Strict):
    by = Text(load_default=None, metadata={"description": "age, gender, municipality or education"})
    lang = fields.String(load_default="da", validate=validate.OneOf(LANGUAGES))


class EstimateSchema(ma.Schema):
    estimate = fields.Float(allow_none=True)
    se = fields.Float(allow_none=True)
    low = fields.Float(allow_none=True)
    high = fields.Float(allow_none=True)
    n = fields.Integer()
    deff = fields.Float(
        allow_none=True,
        metadata={"description": "this estimate's design effect (R's svymean deff = TRUE)"},
    )


class RowSchema(ma.Schema):
    label = fields.String()
    n = fields.Integer(allow_none=True, metadata={"description": "null when hidden"})
    hidden = fields.Boolean(metadata={"description": "fewer answers than RESULTS_MIN_GROUP"})
    cells = fields.List(fields.Nested(EstimateSchema, allow_none=True))
    unweighted = fields.List(fields.Nested(EstimateSchema, allow_none=True))


class ColumnSchema(ma.Schema):
    id = fields.String()
    label = fields.String()


class TableSchema(ma.Schema):
    id = fields.String()
    title = fields.String(allow_none=True)
    kind = fields.String()
    columns = fields.List(fields.Nested(ColumnSchema))
    rows = fields.List(fields.Nested(RowSchema))


class QuestionResultSchema(ma.Schema):
    key = fields.String()
    concept = fields.String()
    text = fields.String()
    type = fields.String(validate=validate.OneOf([t.value for t in QuestionType]))
    overall = fields.List(fields.Nested(TableSchema))
    breakdown = fields.List(fields.Nested(TableSchema))
    trend = fields.List(fields.Nested(TableSchema))


class SummarySchema(ma.Schema):
    wave_id = fields.Integer()
    respondents = fields.Integer()
    weighted = fields.Boolean()
    by = fields.String(allow_none=True)
    min_group = fields.Integer()
    questions = fields.List(fields.Nested(QuestionResultSchema))
