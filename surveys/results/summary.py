"""The politicians' summary of a wave: per question the weighted result with its margin of
error, the unweighted result and number of answers, a breakdown by one attribute, and the
trend over earlier waves that asked the same question (the same ``concept``).

Every figure is a weighted mean of one column of numbers per respondent: a share is the
mean of 0/1 (chose the option or not, among those who answered), a rating's average the
mean of the points. So one estimator (``WeightingResult.mean``, R's ``svymean``) and one
suppression rule (``stats.suppression.suppressed``) serve every table. Free-text, date and
information questions are never summarised.

The figures need only how many respondents of each profile gave each distinct answer
(``answer_values``). The database counts that with one GROUP BY for an open wave; a closed
wave's counts are stored once when it closes (``surveys.results.tally``), since grouping
millions of answer rows on every view is what made a large wave's summary slow.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any

import numpy as np
from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _

from core.i18n import text_in
from panel.demographics.attributes import load_attributes
from stats.cells import CellEstimator, Sums
from stats.change import Change
from stats.estimation import Estimate
from stats.suppression import suppressed_together
from surveys.questionnaires.models import Question, QuestionType
from surveys.questionnaires.types import SUMMARISED, SummaryKind
from surveys.results.respondents import (
    Respondents,
    load_respondents,
    min_group,
    share_interval,
)
from surveys.results.tally import counted_answers
from surveys.waves.models import Wave

#: The attributes a summary can be broken down by.
BREAKDOWNS = ("age", "gender", "municipality", "education")
MEAN = "mean"
SHARE = "share"
#: The median of a number question: less moved than the average by a few large answers.
MEDIAN = "median"
#: What all citizens together come to (a weighted wave only: weights add up to the region).
TOTAL = "total"


@dataclass(frozen=True)
class Column:
    """One figure per row of answers: 0/1 for an option's share, points for an average."""

    id: str
    label: str
    values: np.ndarray


@dataclass(frozen=True)
class Block:
    """The columns shown together in one table, e.g. the options of one grid statement."""

    id: str
    title: str | None
    kind: str
    columns: list[Column]
    #: The answers the columns' values belong to, row by row.
    answers: Answers
    #: Which rows count as answers (a "don't know" is none for an average).
    answered: np.ndarray

    @cached_property
    def sums(self) -> Sums:
        """The columns' rows summed per profile, once for all the block's figures."""
        values = np.column_stack([c.values for c in self.columns])
        return Sums.of(self.answers.profiles, self.answers.frequency, values)


@dataclass(frozen=True)
class Row:
    """One line of a table: all respondents, a group of a breakdown, or an earlier wave."""

    label: str
    n: int
    hidden: bool
    cells: list[Estimate | None]
    unweighted: list[Estimate | None]


@dataclass(frozen=True)
class Table:
    id: str
    title: str | None
    kind: str
    #: (column id, label), in the order of the cells.
    columns: list[tuple[str, str]]
    rows: list[Row]
    #: A trend's significant changes since the previous wave, by column id
    #: (``surveys.results.change``); empty elsewhere.
    changes: dict[str, Change] = field(default_factory=dict)


@dataclass
class QuestionSummary:
    key: str
    concept: str
    text: str
    type: QuestionType
    overall: list[Table]
    breakdown: list[Table] = field(default_factory=list)
    trend: list[Table] = field(default_factory=list)


@dataclass(frozen=True)
class Summary:
    wave: Wave
    respondents: int
    weighted: bool
    questions: list[QuestionSummary]
    #: The labels of the attributes the wave is weighted on (empty when it is not).
    weighted_by: list[str] = field(default_factory=list)

    @property
    def weighting_statement(self) -> str:
        """What the weighting did, naming the variables it actually used: a reader must not
        take a wave weighted on age and gender for one that also matches municipalities."""
        if not self.weighted:
            return _("The results are not weighted yet: they describe only those who answered.")
        return _(
            "The results are weighted to the region's population by %(variables)s.",
            variables=format_list(self.weighted_by, locale=get_locale()),
        )


def answer_values(
    wave_id: int, keys: Iterable[str], respondents: Respondents
) -> dict[str, Answers]:
    """Per question key: how many respondents of each profile gave each distinct answer.

    The database counts (GROUP BY attributes, answer), or for a closed wave has counted
    once (``surveys.results.tally``), so however many respondents a wave has, what comes
    back is a few rows per profile and answer; answers come as JSON text and each distinct
    one is decoded once. ``keys`` are keys of ``SUMMARISED`` questions: only those are
    counted for a closed wave.
    """
    rows = counted_answers(wave_id, list(keys), respondents.n)
    if not rows:
        return {}
    # one pass per column in list comprehensions, then numpy: a large wave has some
    # 340,000 rows (and transposing them with zip(*rows) alone took a second)
    pairs: dict[tuple[str, str | None], int] = {}  # (question, answer) -> its number
    pair = np.array([pairs.setdefault((row[0], row[2]), len(pairs)) for row in rows], np.intp)
    position = respondents.position
    profiles = np.array([position[row[1]] for row in rows], dtype=np.intp)
    frequency = np.array([row[3] for row in rows], dtype=np.float64)
    # per pair: the question's number, and the answer's number among the question's answers
    questions: dict[str, int] = {}
    levels: list[list[str | None]] = []
    question_of = np.empty(len(pairs), dtype=np.intp)
    level_of = np.empty(len(pairs), dtype=np.intp)
    for (key, text), number in pairs.items():
        q = questions.setdefault(key, len(questions))
        if q == len(levels):
            levels.append([])
        question_of[number], level_of[number] = q, len(levels[q])
        levels[q].append(text)
    row_question = question_of[pair]
    order = np.argsort(row_question, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(np.bincount(row_question, minlength=len(levels)))))
    found = {}
    for key, q in questions.items():
        mine = order[bounds[q] : bounds[q + 1]]
        found[key] = Answers(
            profiles[mine], frequency[mine],
            [json.loads(text) if text is not None else None for text in levels[q]],
            level_of[pair[mine]],
        )  # fmt: skip
    return found


@dataclass(frozen=True)
class Answers:
    """One question's answers as rows: a profile, how many of it gave the answer, which."""

    profiles: np.ndarray
    frequency: np.ndarray
    #: The distinct answers, decoded.
    levels: list[Any]
    #: Each row's answer, as a position in ``levels``.
    codes: np.ndarray

    @classmethod
    def none(cls) -> Answers:
        return cls(np.zeros(0, np.intp), np.zeros(0), [], np.zeros(0, np.intp))

    def per_level(self, f: Callable[[Any], Any], dtype: Any) -> np.ndarray:
        """``f`` of each row's answer (f runs once per distinct answer)."""
        if not self.levels:
            return np.zeros(0, dtype=dtype)
        return np.array([f(level) for level in self.levels], dtype=dtype)[self.codes]

    def subset(self, rows: np.ndarray) -> Answers:
        return Answers(self.profiles[rows], self.frequency[rows], self.levels, self.codes[rows])


def _rank(value: Any, code: str) -> float:
    return float(value[code]) if isinstance(value, dict) and code in value else np.nan


def _number(value: Any) -> float:
    return (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else np.nan
    )


def chose(value: Any, code: Any) -> bool:
    return code in value if isinstance(value, list) else value == code


def _picked(value: Any, statement: str, code: Any) -> bool:
    return isinstance(value, dict) and value.get(statement) == code


def _statement_answered(value: Any, statement: str) -> bool:
    return isinstance(value, dict) and value.get(statement) is not None


def _shares(answers: Answers, options: Sequence[tuple[Any, str]], statement: str | None = None
            ) -> list[Column]:  # fmt: skip
    """A 0/1 column per option: chose it (1) or answered something else (0)."""
    columns = []
    for code, label in options:
        if statement is None:
            hit = answers.per_level(partial(chose, code=code), np.float64)
        else:
            hit = answers.per_level(partial(_picked, statement=statement, code=code), np.float64)
        columns.append(Column(str(code), label, hit))
    return columns


def question_blocks(
    question: Question, answers: Answers, language: str, weighted: bool = False
) -> list[Block]:
    """The tables a question's answers make (see the module docstring); a number
    question's population total only where ``weighted``, since unweighted answers add up
    to the sample, not to the region."""
    everyone = np.ones(answers.profiles.size, dtype=bool)
    choices = [(o.code, text_in(o.label, language)) for o in question.choices]
    summary = question.kind.summary
    if summary is SummaryKind.SHARES:
        return [Block(SHARE, None, SHARE, _shares(answers, choices), answers, everyone)]
    if summary in (SummaryKind.MEAN, SummaryKind.SCALE):
        numbers = answers.per_level(_number, np.float64)
        blocks = [Block(MEAN, None, MEAN, [Column(MEAN, "", numbers)], answers, ~np.isnan(numbers))]
        if summary is SummaryKind.MEAN:
            median = Column(MEDIAN, _("Median"), numbers)
            blocks.append(Block(MEDIAN, None, MEDIAN, [median], answers, ~np.isnan(numbers)))
            if weighted:
                total = Column(TOTAL, _("All citizens together"), numbers)
                blocks.append(Block(TOTAL, None, TOTAL, [total], answers, ~np.isnan(numbers)))
            return blocks
        points: list[tuple[Any, str]] = [(p, str(p)) for p in question.kind.points(question)]
        if question.dont_know:
            points.append(("dont_know", _("Don't know")))
        blocks.append(Block(SHARE, None, SHARE, _shares(answers, points), answers, everyone))
        return blocks
    if summary is SummaryKind.RANKS:
        columns = [
            Column(code, label, answers.per_level(partial(_rank, code=code), np.float64))
            for code, label in choices
        ]
        return [Block(MEAN, None, MEAN, columns, answers, everyone)]
    if summary is not SummaryKind.PER_STATEMENT:
        return []
    blocks = []
    for statement in question.statements:  # per statement (a grid): one table each
        code = statement.code
        rows = answers.subset(answers.per_level(partial(_statement_answered, statement=code), bool))
        blocks.append(
            Block(code, text_in(statement.label, language), SHARE,
                  _shares(rows, choices, statement=code), rows,
                  np.ones(rows.profiles.size, dtype=bool))
        )  # fmt: skip
    return blocks


def block_counts(block: Block, by: np.ndarray | None, n_groups: int) -> tuple[np.ndarray, int]:
    """Answers per group of ``by`` (one group when None) and the answers in no group."""
    rows = block.answers
    row_groups = np.zeros(rows.profiles.size, dtype=np.intp) if by is None else by[rows.profiles]
    counted = block.answered & (row_groups >= 0)
    counts = np.bincount(row_groups[counted], weights=rows.frequency[counted],
                         minlength=n_groups).round().astype(np.int64)  # fmt: skip
    unassigned = block.answered & (row_groups < 0)
    return counts, round(float(rows.frequency[unassigned].sum()))


def hidden_groups(
    blocks: Sequence[Block], by: np.ndarray | None = None, n_groups: int = 1
) -> np.ndarray:
    """Which groups all of a question's tables hide (``stats.suppression``): one decision
    for the question, with the answers in no group as a cell of their own."""
    return suppressed_together([block_counts(b, by, n_groups) for b in blocks], min_group())


def block_table(
    block: Block,
    respondents: Respondents,
    by: np.ndarray | None = None,
    groups: Sequence[tuple[str, str]] = (),
    label: str = "",
    hide: np.ndarray | None = None,
) -> Table:
    """The block overall (one row labelled ``label``) or per group, suppressed; ``by`` gives
    each profile's group as an index into ``groups`` (-1: none, see ``group_codes``) and
    ``hide`` the question's decision (``hidden_groups``; this block's own when None)."""
    columns = [(c.id, c.label) for c in block.columns]
    rows = block.answers
    if by is None:
        row_groups = np.zeros(rows.profiles.size, dtype=np.intp)
        names = [label]
    else:
        row_groups = by[rows.profiles]
        names = [name for _, name in groups]
    counts, _unassigned = block_counts(block, by, len(names))
    if hide is None:
        hide = hidden_groups([block], by, len(names))
    shown = [] if hide.all() else block.columns
    share = share_interval() if block.kind == SHARE else None

    def figures(estimator: CellEstimator) -> list[list[Estimate]]:
        if block.kind == TOTAL:
            return [
                estimator.totals(rows.profiles, rows.frequency, c.values, row_groups, len(names))
                for c in shown
            ]
        if block.kind == MEDIAN:
            return [
                estimator.quantiles(rows.profiles, rows.frequency, c.values, row_groups,
                                    len(names), 0.5)
                for c in shown
            ]  # fmt: skip
        if not shown:
            return []
        profile_groups = np.zeros(respondents.counts.size, np.intp) if by is None else by
        return estimator.column_means(block.sums, profile_groups, len(names), share)

    weighted, plain = figures(respondents.estimator), figures(respondents.plain)
    return Table(
        block.id,
        block.title,
        block.kind,
        columns,
        [
            Row(
                name,
                int(counts[g]),
                bool(hide[g]),
                [None if hide[g] else w[g] for w in weighted] or [None] * len(columns),
                [None if hide[g] else p[g] for p in plain] or [None] * len(columns),
            )
            for g, name in enumerate(names)
        ],
    )


def group_codes(values: np.ndarray, groups: Sequence[tuple[str, str]]) -> np.ndarray:
    """Each profile's group as an index into ``groups`` (-1 where unknown or other)."""
    position = {code: i for i, (code, _) in enumerate(groups)}
    return np.array([position.get(v, -1) for v in values.tolist()], dtype=np.int64)


def breakdown_groups(by: str | None, language: str) -> tuple[str | None, list[tuple[str, str]]]:
    """``by`` if it names one of ``BREAKDOWNS``, with its categories as (code, label); else
    (None, []). Every page, export and the API read a requested breakdown through here."""
    attributes = {a.key: a for a in load_attributes() if a.key in BREAKDOWNS}
    if by not in attributes:
        return None, []
    return by, [(c.code, c.label(language)) for c in attributes[by].categories]


def breakdown_choices(language: str) -> list[tuple[str, str]]:
    """The breakdowns a reader may choose, as (attribute key, label), in ``BREAKDOWNS`` order."""
    attributes = {a.key: a for a in load_attributes() if a.key in BREAKDOWNS}
    return [(key, attributes[key].label(language)) for key in BREAKDOWNS if key in attributes]


def summarise(
    wave: Wave,
    language: str,
    by: str | None = None,
    groups: Sequence[tuple[str, str]] = (),
) -> Summary:
    """The whole summary of a wave, without trends (``surveys.results.trends``); ``by`` an
    attribute key of ``BREAKDOWNS`` with its categories as (code, label) ``groups``."""
    respondents = load_respondents(wave.id)
    questions = [q for q in wave.questionnaire.questions if q.type in SUMMARISED]
    answers = (
        answer_values(wave.id, [q.key for q in questions], respondents) if respondents.n else {}
    )
    everyone = _("All who answered")
    summaries = []
    by_values = None
    if by is not None:
        unknown = np.full(respondents.counts.size, None, dtype=object)
        by_values = group_codes(respondents.attributes.get(by, unknown), groups)
    for question in questions:
        given = answers.get(question.key, Answers.none())
        blocks = question_blocks(question, given, language, respondents.weighted)
        overall = hidden_groups(blocks)
        summary = QuestionSummary(
            question.key,
            question.concept,
            text_in(question.text, language),
            question.type,
            [block_table(b, respondents, label=everyone, hide=overall) for b in blocks],
        )
        if by_values is not None:
            hide = hidden_groups(blocks, by_values, len(groups))
            summary.breakdown = [
                block_table(b, respondents, by_values, groups, hide=hide) for b in blocks
            ]
        summaries.append(summary)
    weighted_by = []
    if respondents.weighted and respondents.weighting is not None:
        attributes = {a.key: a for a in load_attributes()}
        weighted_by = [
            attributes[key].label(language) if key in attributes else key
            for key in respondents.weighting.attribute_keys
        ]
    return Summary(wave, respondents.n, respondents.weighted, summaries, weighted_by)
