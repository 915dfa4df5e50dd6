"""Stratified sampling for waves: how many members to invite per stratum, and whom.

A wave asks for ``n`` completed answers spread over strata (cells of the population
table, e.g. age band x gender x municipality) in proportion to the population.
``allocate`` decides how many invitations each stratum gets, ``allocate_detailed`` also
says why (for the wave planning page), and ``draw`` picks the members. They are plain
functions without Flask so the planning page, the CLI and the tests share one answer.

Allocation works in exact rational arithmetic (``fractions.Fraction``) on a few hundred
strata, never on members. Exactness is what lets the guarantees hold without
tolerances: the total is exactly ``n``, ties between remainders are real ties broken by
the documented rule rather than by floating-point noise, and rounding never pushes a
stratum past the members it has. Floats passed in are taken at their exact binary value.
Drawing works on members and is vectorised with numpy.

The ``ValueError`` messages are for developers (callers validate what staff type in),
so they are not translated.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import repeat
from operator import itemgetter
from typing import Any, Generic, SupportsFloat, SupportsIndex, TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)

#: Targets and rates: ints, floats, Fractions, Decimals or numpy numbers (not bools or strings).
Number = SupportsFloat
#: Member counts: ints or numpy integers.
Count = SupportsIndex


@dataclass(frozen=True)
class StratumPlan(Generic[K]):
    """One stratum's line of an allocation, in the order of the targets."""

    stratum: K
    #: The population count or share, as given.
    target: float
    #: Its share of the population: target / sum of all targets.
    share: float
    #: Completes it would get if no stratum were short: n x share.
    proportional: float
    #: Exact expected completes after caps and redistribution (before rounding).
    completes: float
    #: Invitations to send: completes / response_rate, rounded (within one of exact).
    invitations: int
    #: Eligible members, or None when no availability was given (no cap).
    available: int | None
    #: Expected share of invitations that end in a complete answer (1 when not given).
    response_rate: float
    #: True when every eligible member is invited, so this stratum could not take more.
    capped: bool
    #: Completes of its proportional share it cannot deliver (0 unless capped).
    shortfall: float
    #: Completes it takes over from short strata.
    received: float


@dataclass(frozen=True)
class Allocation(Generic[K]):
    """An allocation with the figures behind it, for the wave planning page."""

    #: Completed answers asked for.
    n: int
    strata: tuple[StratumPlan[K], ...]
    #: Expected completes the plan cannot deliver at all: too few members overall.
    shortfall: float
    #: Expected completes moved from short strata to the others.
    redistributed: float

    @property
    def invitations(self) -> dict[K, int]:
        """Invitations per stratum, in the order of the targets (what ``allocate`` returns)."""
        return {plan.stratum: plan.invitations for plan in self.strata}

    @property
    def total_invitations(self) -> int:
        return sum(plan.invitations for plan in self.strata)

    @property
    def expected_completes(self) -> float:
        """Completes the plan expects: n, less the shortfall."""
        return self.n - self.shortfall


def allocate(
    targets: Mapping[K, Number],
    n: int,
    available: Mapping[K, Count] | None = None,
    response_rates: Mapping[K, Number] | None = None,
) -> dict[K, int]:
    """Invitations per stratum for ``n`` completed answers, in the order of ``targets``.

    ``targets`` maps each stratum to its population count or share. Without the optional
    arguments each stratum gets its proportional share of ``n``, rounded by the
    largest-remainder method: the total is exactly ``n`` and each stratum is within one
    of its exact share. ``available`` (eligible members per stratum) caps strata, and
    ``response_rates`` turns completes into invitations; see ``allocate_detailed`` for
    the exact rules, the edge cases and the figures behind the result.

    When fewer members are available than ``n`` needs, every stratum gets all it has and
    the total falls short of ``n``: the best possible wave rather than an error. Use
    ``allocate_detailed`` to see the shortfall.
    """
    return allocate_detailed(targets, n, available, response_rates).invitations


def allocate_detailed(
    targets: Mapping[K, Number],
    n: int,
    available: Mapping[K, Count] | None = None,
    response_rates: Mapping[K, Number] | None = None,
) -> Allocation[K]:
    """Allocate ``n`` completes over strata and say how: the exact rules.

    Proportional: stratum i's exact share is n x t_i / sum(t). Strata with a zero target
    get nothing, even when they have members (the population says nobody is there).

    Caps (``available``): a short stratum gets all it has and its shortfall goes to the
    others in proportion to their targets, repeated until no stratum exceeds what it has
    (water-filling: every uncapped stratum gets L x t_i for one common L). The total is
    still exactly ``n`` when enough members exist. Otherwise every stratum with a positive
    target gets all it has and the plan reports the ``shortfall``. A stratum missing from
    ``available`` has no eligible members (counting members by stratum naturally omits
    empty strata).

    Response rates: ``available`` counts members, and members are invitations, so a
    stratum's cap in completes is available x rate: inviting all its members is
    expected to yield that many answers. Water-filling runs on expected completes with
    those caps, and invitations are completes / rate; a capped stratum invites exactly
    its available members. Every stratum with a positive target needs a rate: a missing
    one would silently mean "everyone answers" and under-invite. Shortfall and
    redistribution are reported in expected completes.

    Rounding: floors first; the units left over go to the largest remainders. Ties go to
    the larger target (one more invitation is a smaller relative error there), then to
    the stratum that comes first in ``targets``, so the result is deterministic. The
    rounded total is the exact total rounded up: exactly ``n`` without rates when enough
    members exist; with rates, never fewer invitations than the rates call for.
    Rounding up never exceeds a cap: an uncapped stratum's exact invitations are below
    its (whole) number of available members.

    Raises ``ValueError`` for a negative or fractional ``n``, empty targets, a negative or
    non-finite target, targets that are all zero (nothing to be proportional to), a
    negative or fractional availability, a rate outside (0, 1], a missing rate, or
    strata in ``available`` or ``response_rates`` that are not in ``targets``.
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"n must be a whole number of completes, 0 or more; got {n!r}")
    if not targets:
        raise ValueError("targets is empty: there are no strata to allocate to")
    strata = list(targets)
    weights = [_exact(targets[s], f"the target of stratum {s!r}") for s in strata]
    for stratum, weight in zip(strata, weights, strict=True):
        if weight < 0:
            raise ValueError(f"the target of stratum {stratum!r} is negative: {weight}")
    total_weight = sum(weights, Fraction(0))
    if total_weight == 0:
        raise ValueError("targets are all zero: there is nothing to allocate in proportion to")

    counts = _availability(strata, available)
    rates = _rates(strata, weights, response_rates)
    caps = [None if a is None else a * r for a, r in zip(counts, rates, strict=True)]
    completes = _water_fill(weights, int(n), caps)
    exact_invitations = [c / r for c, r in zip(completes, rates, strict=True)]
    invitations = _largest_remainder(
        exact_invitations, math.ceil(sum(exact_invitations, Fraction(0))), weights
    )

    plans = []
    redistributed = Fraction(0)
    for i, stratum in enumerate(strata):
        proportional = n * weights[i] / total_weight
        received = max(Fraction(0), completes[i] - proportional)
        redistributed += received
        plans.append(
            StratumPlan(
                stratum=stratum,
                target=float(weights[i]),
                share=float(weights[i] / total_weight),
                proportional=float(proportional),
                completes=float(completes[i]),
                invitations=invitations[i],
                available=counts[i],
                response_rate=float(rates[i]),
                capped=counts[i] is not None and weights[i] > 0 and invitations[i] == counts[i],
                shortfall=float(max(Fraction(0), proportional - completes[i])),
                received=float(received),
            )
        )
    return Allocation(
        n=int(n),
        strata=tuple(plans),
        shortfall=float(n - sum(completes, Fraction(0))),
        redistributed=float(redistributed),
    )


def draw(members: Iterable[tuple[Any, K]], allocation: Mapping[K, Count], seed: int) -> list[Any]:
    """A stratified simple random sample: member ids, ascending.

    ``members`` holds ``(member_id, stratum)`` pairs. Each stratum in ``allocation`` yields
    that many of its members without replacement, every subset of that size equally likely,
    or all of them when it has fewer; a stratum with no members yields nothing (pass the
    member counts to ``allocate`` as ``available`` to avoid that). Members of strata not
    in ``allocation`` are never drawn.

    Reproducible: the same seed, members and allocation give the same ids, whatever the
    order of ``members`` (each stratum's ids are sorted before sampling). The strata take
    their random numbers in the order of ``allocation``, which ``allocate`` keeps fixed
    (the order of the targets). Ids must be unique and mutually comparable (the
    database's integer ids are); an id listed twice among the members of the allocated
    strata raises ``ValueError``, because that member could be drawn twice.
    """
    sizes = {
        stratum: _whole(size, f"the allocation of stratum {stratum!r}")
        for stratum, size in allocation.items()
    }
    code_of = {stratum: code for code, stratum in enumerate(sizes)}
    pairs = members if isinstance(members, list) else list(members)
    codes = np.fromiter(
        map(code_of.get, map(itemgetter(1), pairs), repeat(-1)), dtype=np.intp, count=len(pairs)
    )
    ids = np.asarray(list(map(itemgetter(0), pairs)))
    keep = codes >= 0
    drawn = draw_codes(ids[keep], codes[keep], np.fromiter(sizes.values(), np.intp), seed)
    return drawn.tolist()


def draw_codes(ids: np.ndarray, codes: np.ndarray, sizes: np.ndarray, seed: int) -> np.ndarray:
    """``draw`` on arrays: member ``ids[j]`` is in stratum ``codes[j]``, an index into ``sizes``.

    The vectorised core, for callers that already hold numpy arrays: one stable sort groups
    the members by stratum, and the only Python loop is over strata.
    """
    ascending = np.sort(ids)
    repeated = ascending[1:][ascending[1:] == ascending[:-1]]
    if len(repeated):
        raise ValueError(f"member id {repeated[0].item()!r} appears more than once")
    # A stable sort on the smallest integer type that fits is a radix sort: fast.
    small = np.min_scalar_type(max(len(sizes) - 1, 0))
    order = np.argsort(codes.astype(small), kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(sizes) + 1))
    rng = np.random.default_rng(seed)
    chosen = []
    for code, size in enumerate(sizes.tolist()):
        group = np.sort(ids[order[bounds[code] : bounds[code + 1]]])
        if size >= len(group):
            chosen.append(group)
        elif size > 0:
            chosen.append(group[rng.choice(len(group), size, replace=False)])
    return np.sort(np.concatenate(chosen)) if chosen else ids[:0]


def _water_fill(
    weights: Sequence[Fraction], n: int, caps: Sequence[Fraction | None]
) -> list[Fraction]:
    """Exact completes: min(cap_i, L x t_i) summing to n, or every cap when that is short.

    Capping strata in ascending order of cap / target is the same as repeating "cap the
    short strata, share out their shortfall" until none is short, in one pass: capping
    only raises L, so a stratum capped once stays capped, and once one stratum fits
    under L every later one (larger cap / target) does too.
    """
    positive = [i for i, w in enumerate(weights) if w > 0]
    remaining, weight_left = Fraction(n), sum((weights[i] for i in positive), Fraction(0))
    with_cap = [(i, cap) for i in positive if (cap := caps[i]) is not None]
    capped: dict[int, Fraction] = {}
    for i, cap in sorted(with_cap, key=lambda item: item[1] / weights[item[0]]):
        if remaining * weights[i] < cap * weight_left:
            break
        capped[i] = cap
        remaining -= cap
        weight_left -= weights[i]
    level = remaining / weight_left if weight_left else Fraction(0)
    return [capped.get(i, level * weight) for i, weight in enumerate(weights)]


def _largest_remainder(
    exact: Sequence[Fraction], total: int, weights: Sequence[Fraction]
) -> list[int]:
    """Round ``exact`` to whole numbers summing to ``total`` (at most the sum of ceilings).

    The leftover units go to the largest remainders; ties to the larger weight, then to
    the earlier stratum.
    """
    rounded = [math.floor(x) for x in exact]
    left = total - sum(rounded)
    ranking = sorted(range(len(exact)), key=lambda i: (rounded[i] - exact[i], -weights[i], i))
    for i in ranking[:left]:
        rounded[i] += 1
    return rounded


def _availability(strata: Sequence[K], available: Mapping[K, Count] | None) -> list[int | None]:
    if available is None:
        return [None] * len(strata)
    _refuse_unknown(strata, available, "available")
    return [_whole(available.get(s, 0), f"the availability of stratum {s!r}") for s in strata]


def _rates(
    strata: Sequence[K], weights: Sequence[Fraction], response_rates: Mapping[K, Number] | None
) -> list[Fraction]:
    if response_rates is None:
        return [Fraction(1)] * len(strata)
    _refuse_unknown(strata, response_rates, "response_rates")
    rates = []
    for stratum, weight in zip(strata, weights, strict=True):
        if stratum not in response_rates:
            if weight > 0:
                raise ValueError(f"stratum {stratum!r} has a target but no response rate")
            rates.append(Fraction(1))
            continue
        rate = _exact(response_rates[stratum], f"the response rate of stratum {stratum!r}")
        if not 0 < rate <= 1:
            raise ValueError(
                f"the response rate of stratum {stratum!r} must be above 0 and at most 1; "
                f"got {response_rates[stratum]!r}"
            )
        rates.append(rate)
    return rates


def _refuse_unknown(strata: Sequence[K], given: Mapping[K, Any], name: str) -> None:
    known = set(strata)
    unknown = [s for s in given if s not in known]
    if unknown:
        raise ValueError(f"{name} has strata that are not in targets: {unknown[:5]!r}")


def _exact(value: object, what: str) -> Fraction:
    """``value`` as an exact fraction; numbers only, finite."""
    if isinstance(value, bool | str | bytes):
        raise ValueError(f"{what} must be a number; got {value!r}")
    try:
        if isinstance(value, numbers.Rational | Decimal):
            return Fraction(value)
        if isinstance(value, numbers.Real):
            return Fraction(float(value))
    except (ValueError, OverflowError):
        pass
    raise ValueError(f"{what} must be a finite number; got {value!r}")


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{what} must be a whole number, 0 or more; got {value!r}")
    return int(value)
