"""Trends: a question's figures in the earlier closed waves that asked it (same ``concept``),
with their intervals, so that a change inside the noise does not look like news. A wave
without weights is labelled as such: its figures describe only those who answered, and set
unmarked beside weighted ones they would read as a change in the population."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from extensions import db
from surveys.questionnaires.models import Question
from surveys.questionnaires.types import SummaryKind, kind_of
from surveys.results.change import share_changes
from surveys.results.respondents import Respondents, load_respondents
from surveys.results.summary import (
    SHARE,
    Answers,
    QuestionSummary,
    Row,
    Table,
    answer_values,
    block_table,
    hidden_groups,
    question_blocks,
)
from surveys.waves.models import Wave, WaveState


def add_trends(
    wave: Wave, summaries: list[QuestionSummary], language: str, weighted: bool = True
) -> None:
    """Each question's figures in earlier closed waves that asked the same concept;
    ``weighted`` says whether ``wave`` itself is."""
    concepts = {s.concept: s for s in summaries}
    if not concepts:
        return
    earlier = db.session.execute(
        select(Wave, Question)
        .join(Question, Question.questionnaire_id == Wave.questionnaire_id)
        .where(
            Question.concept.in_(list(concepts)),
            Wave.state == WaveState.CLOSED,
            Wave.id != wave.id,
            Wave.closes_at < wave.closes_at,
        )
        .order_by(Wave.closes_at)
    ).all()
    by_wave: dict[int, tuple[Wave, list[Question]]] = {}
    for other, question in earlier:
        by_wave.setdefault(other.id, (other, []))[1].append(question)
    rows: dict[str, dict[str, list[tuple[Table, str]]]] = {}
    #: per concept, the latest earlier wave that asked it: (wave id, question key, respondents)
    latest: dict[str, tuple[int, str, Respondents]] = {}
    for other, questions in by_wave.values():
        respondents = load_respondents(other.id)
        if not respondents.n:
            continue
        for question in questions:
            latest[question.concept] = (other.id, question.key, respondents)
        answers = answer_values(other.id, [q.key for q in questions], respondents)
        for question in questions:
            given = answers.get(question.key, Answers.none())
            blocks = question_blocks(question, given, language, respondents.weighted)
            hide = hidden_groups(blocks)
            for block in blocks:
                name = wave_label(other, respondents.weighted)
                table = block_table(block, respondents, label=name, hide=hide)
                rows.setdefault(question.concept, {}).setdefault(block.id, []).append((table, name))
    for concept, tables in rows.items():
        summary = concepts[concept]
        for current in summary.overall:
            past = tables.get(current.id)
            if not past:
                continue
            ids = [code for code, _ in current.columns]
            trend_rows = [_aligned(table, ids, name) for table, name in past]
            trend_rows.append(_aligned(current, ids, wave_label(wave, weighted)))
            changes = {}
            previous = latest.get(concept)
            if (
                previous is not None
                and previous[2].weighted == weighted
                and current.id == SHARE
                and kind_of(summary.type).summary is SummaryKind.SHARES
                and not any(row.hidden for row in trend_rows[-2:])
            ):
                found = share_changes(previous[:2], (wave.id, summary.key), ids, previous[2])
                changes = {code: c for code, c in found.items() if c.significant()}
            summary.trend.append(
                Table(current.id, current.title, current.kind, current.columns, trend_rows,
                      changes)
            )  # fmt: skip


def wave_label(wave: Wave, weighted: bool) -> str:
    return wave.name if weighted else _("%(wave)s (not weighted)", wave=wave.name)


def _aligned(table: Table, column_ids: list[str], label: str) -> Row:
    """A table's single row with its cells in the order of ``column_ids`` (None if absent)."""
    row = table.rows[0]
    position = {code: i for i, (code, _) in enumerate(table.columns)}
    pick = [position.get(code) for code in column_ids]
    return Row(
        label,
        row.n,
        row.hidden,
        [row.cells[i] if i is not None else None for i in pick],
        [row.unweighted[i] if i is not None else None for i in pick],
    )
