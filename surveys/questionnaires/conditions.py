"""The condition language: when a question or a page is shown.

A small, safe language (a tokenizer and a recursive-descent parser; never ``eval``)::

    q2 = 'yes' or q1 > 3
    selected(q5, 'bus') and not (q3 = 'no')
    q4 != ''

Grammar: ``or`` binds weaker than ``and``, which binds weaker than ``not``; a comparison is
``key op literal`` with ``op`` one of ``= != < <= > >=`` and the literal a quoted string or a
number; ``selected(key, 'code')`` tests a choice. XLSForm's ``relevant`` column uses the same
subset with references written ``${q2}`` (``to_xlsform`` / ``parse(text, xlsform=True)``).

Evaluation, on the answers given so far (a dict key -> value; a hidden question counts as
unanswered): **every comparison on an unanswered question is false**, whatever the operator,
except the emptiness tests ``q = ''`` (true when unanswered) and ``q != ''`` (true when
answered). ``not`` is plain negation, so ``not (q3 = 'no')`` is true when q3 is unanswered.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _

from core.errors import Refusal

if TYPE_CHECKING:
    from surveys.questionnaires.models import Page, Question, Questionnaire

_OPERATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
#: What a question key may look like (also valid as an XLSForm ``name``).
KEY_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}\Z")


class ConditionError(Refusal):
    """A condition that cannot be parsed or does not fit the questionnaire; says why."""

    field = "condition"


@dataclass(frozen=True)
class Compare:
    key: str
    op: str
    value: str | int | float


@dataclass(frozen=True)
class Selected:
    key: str
    code: str


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple[Node, ...]


Node = Compare | Selected | Not | BoolOp

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<ref>\$\{[A-Za-z_][A-Za-z0-9_]*\})
    |(?P<number>-?\d+(?:\.\d+)?)
    |(?P<string>'[^']*'|"[^"]*")
    |(?P<op>!=|<=|>=|=|<|>)
    |(?P<punct>[(),])
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ConditionError(
                _("Cannot read the condition at “%(rest)s”.", rest=text[position:].strip())
            )
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, xlsform: bool) -> None:
        self.tokens = tokenize(text)
        self.at = 0
        self.xlsform = xlsform

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            found = token[1] if token else _("the end")
            raise ConditionError(
                _("Expected “%(expected)s” but found “%(found)s”.", expected=value, found=found)
                if value
                else _("The condition ends too early.")
            )
        self.at += 1
        return token

    def parse(self) -> Node:
        node = self.disjunction()
        if self.peek() is not None:
            raise ConditionError(_("Unexpected “%(token)s”.", token=self.tokens[self.at][1]))
        return node

    def _chain(self, word: str, operand: Any) -> Node:
        items = [operand()]
        while self.peek() == ("name", word):
            self.take()
            items.append(operand())
        return items[0] if len(items) == 1 else BoolOp(word, tuple(items))

    def disjunction(self) -> Node:
        return self._chain("or", self.conjunction)

    def conjunction(self) -> Node:
        return self._chain("and", self.negation)

    def negation(self) -> Node:
        if self.peek() == ("name", "not"):
            self.take()
            return Not(self.negation())
        return self.atom()

    def atom(self) -> Node:
        token = self.peek()
        if token == ("punct", "("):
            self.take()
            node = self.disjunction()
            self.take(")")
            return node
        if token == ("name", "selected"):
            self.take()
            self.take("(")
            key = self.reference()
            self.take(",")
            code = self.literal()
            self.take(")")
            if not isinstance(code, str):
                raise ConditionError(_("selected() needs an option code in quotes."))
            return Selected(key, code)
        key = self.reference()
        kind, op = self.take()
        if kind != "op":
            raise ConditionError(_("Expected a comparison after “%(key)s”.", key=key))
        return Compare(key, op, self.literal())

    def reference(self) -> str:
        kind, value = self.take()
        if self.xlsform and kind == "ref":
            return value[2:-1]
        plain = not self.xlsform and kind == "name" and value not in ("and", "or", "not")
        if plain and KEY_PATTERN.match(value):
            return value
        raise ConditionError(_("Expected a question key but found “%(found)s”.", found=value))

    def literal(self) -> str | int | float:
        kind, value = self.take()
        if kind == "string":
            return value[1:-1]
        if kind == "number":
            return float(value) if "." in value else int(value)
        raise ConditionError(_("Expected a value in quotes or a number, not “%(v)s”.", v=value))


def parse(text: str, xlsform: bool = False) -> Node:
    """The AST of ``text``; raises ConditionError with a message for staff."""
    if not text.strip():
        raise ConditionError(_("The condition is empty."))
    return _Parser(text, xlsform).parse()


def _literal(value: str | int | float) -> str:
    if isinstance(value, str):
        return f'"{value}"' if "'" in value else f"'{value}'"
    return repr(value)


def to_text(node: Node, xlsform: bool = False, nested: bool = False) -> str:
    """The source of ``node``: our syntax, or XLSForm's with ``xlsform=True``."""
    ref = (lambda key: "${" + key + "}") if xlsform else (lambda key: key)
    if isinstance(node, Compare):
        return f"{ref(node.key)} {node.op} {_literal(node.value)}"
    if isinstance(node, Selected):
        return f"selected({ref(node.key)}, {_literal(node.code)})"
    if isinstance(node, Not):
        inner = to_text(node.operand, xlsform)
        return f"not({inner})" if xlsform else f"not ({inner})"
    text = f" {node.op} ".join(to_text(o, xlsform, nested=True) for o in node.operands)
    return f"({text})" if nested else text


def to_xlsform(text: str) -> str:
    return to_text(parse(text), xlsform=True)


def from_xlsform(relevant: str) -> str:
    return to_text(parse(relevant, xlsform=True))


def references(node: Node) -> list[str]:
    if isinstance(node, Compare | Selected):
        return [node.key]
    if isinstance(node, Not):
        return references(node.operand)
    return [key for operand in node.operands for key in references(operand)]


def _answered(value: Any) -> bool:
    return value is not None and value != "" and value != []


def evaluate(node: Node, answers: dict[str, Any]) -> bool:
    """Whether the condition holds for ``answers``; see the module docstring for the rules."""
    if isinstance(node, BoolOp):
        results = (evaluate(o, answers) for o in node.operands)
        return all(results) if node.op == "and" else any(results)
    if isinstance(node, Not):
        return not evaluate(node.operand, answers)
    value: Any = answers.get(node.key)
    if isinstance(node, Selected):
        chosen = value if isinstance(value, list) else [value]
        return _answered(value) and node.code in chosen
    if node.value == "":
        return _answered(value) == (node.op == "!=") if node.op in ("=", "!=") else False
    if not _answered(value) or isinstance(value, list):
        return False
    target = node.value
    if isinstance(target, str):
        value = str(value)
    else:
        try:
            value = float(value)
        except (TypeError, ValueError):
            return False
    return bool(_OPERATIONS[node.op](value, target))


def visible(condition: str | None, answers: dict[str, Any]) -> bool:
    """Whether a question or page with this condition source is shown."""
    return condition is None or evaluate(_parsed(condition), answers)


@lru_cache(maxsize=4096)
def _parsed(condition: str) -> Node:
    """``parse``, once per source text: answering evaluates every condition of a
    questionnaire on every page, and the tree of a text never changes (it is immutable)."""
    return parse(condition)


def _order(questionnaire: Questionnaire) -> dict[str, tuple[int, int]]:
    return {
        q.key: (page_index, question_index)
        for page_index, page in enumerate(questionnaire.pages)
        for question_index, q in enumerate(page.questions)
    }


def _depends_on(question: Question, key: str, questionnaire: Questionnaire) -> bool:
    """Whether ``question``'s condition leads (through other conditions) back to ``key``."""
    seen: set[str] = set()
    waiting = [question]
    while waiting:
        current = waiting.pop()
        if current.key in seen:
            continue
        seen.add(current.key)
        sources = [current.condition, current.page.condition if current.page else None]
        for source in filter(None, sources):
            try:
                keys = references(parse(source))
            except ConditionError:
                continue
            if key in keys:
                return True
            waiting.extend(filter(None, (questionnaire.question(k) for k in keys)))
    return False


def validate(text: str, questionnaire: Questionnaire, target: Question | Page) -> Node:
    """Parse ``text`` and check it fits where it is used; raise ConditionError if not.

    Refused: a reference to a missing question, to the question itself, to a later question
    (for a page condition, questions on the same page count as later), a cycle, a question
    that cannot be compared (information, grid, ranking), and a value that does not fit the
    question's type (an unknown option code, text compared with a number, ...).
    """
    from surveys.questionnaires.models import Question

    name = target.key if isinstance(target, Question) else _("page %(n)d", n=target.position + 1)
    try:
        node = parse(text)
    except ConditionError as error:
        raise ConditionError(
            _("Condition of %(name)s: %(error)s", name=name, error=error)
        ) from None
    order = _order(questionnaire)
    if isinstance(target, Question):
        limit = order.get(target.key, (len(questionnaire.pages), 0))
    else:
        limit = (target.position, -1)
    for comparison in _comparisons(node):
        key = comparison.key
        referenced = questionnaire.question(key)
        if referenced is None:
            raise ConditionError(
                _(
                    "The condition of %(name)s refers to %(ref)s, which does not exist.",
                    name=name,
                    ref=key,
                )
            )
        if isinstance(target, Question) and referenced is target:
            raise ConditionError(
                _("The condition of %(name)s refers to the question itself.", name=name)
            )
        if order[key] > limit:
            if isinstance(target, Question) and _depends_on(referenced, target.key, questionnaire):
                raise ConditionError(
                    _(
                        "The conditions of %(name)s and %(ref)s depend on each other (a cycle).",
                        name=name,
                        ref=key,
                    )
                )
            raise ConditionError(
                _(
                    "The condition of %(name)s refers to %(ref)s, which comes later. A condition "
                    "can only use answers to earlier questions.",
                    name=name,
                    ref=key,
                )
            )
        _check_type(comparison, referenced, name)
    return node


def _comparisons(node: Node) -> list[Compare | Selected]:
    if isinstance(node, Compare | Selected):
        return [node]
    if isinstance(node, Not):
        return _comparisons(node.operand)
    return [c for operand in node.operands for c in _comparisons(operand)]


def _check_type(comparison: Compare | Selected, question: Question, name: str) -> None:
    def refuse(reason: str) -> ConditionError:
        return ConditionError(
            _(
                "The condition of %(name)s cannot use %(ref)s: %(reason)s",
                name=name,
                ref=question.key,
                reason=reason,
            )
        )

    kind = question.kind
    if not kind.comparable:
        raise refuse(_("its answers cannot be compared."))
    if isinstance(comparison, Selected):
        if not kind.selectable:
            raise refuse(_("selected() only works with choice questions."))
        if comparison.code not in {o.code for o in question.choices}:
            raise refuse(_("it has no option “%(code)s”.", code=comparison.code))
        return
    value, op = comparison.value, comparison.op
    if value == "":
        if op not in ("=", "!="):
            raise refuse(_("only = and != can test for an empty answer."))
        return
    problem = kind.comparison_problem(question, op, value)
    if problem is not None:
        raise refuse(problem)
