"""A fair lottery for focus groups and task committees (sortition), in numpy and HiGHS.

Staff want a group of ``k`` people from a pool that meets quotas (at least/at most so many
per attribute value). A plain stratified draw meets the quotas but can make some people
almost never chosen; the method of Flanigan, Gölz, Gupta, Hennig and Procaccia (Nature,
2021) instead finds a *distribution* over quota-respecting panels that maximises the
smallest selection probability of anyone in the pool (MAXIMIN), and then, while time
allows, the next smallest and so on (LEXIMIN). The draw is made transparent as in
Flanigan, Kehne and Procaccia (2021): the distribution is rounded to ``m`` equally likely
panels and one is picked with a published seed that anyone can re-run.

The modules, in the order a draw uses them:

``pool``         the pool, its quotas and households; people who are interchangeable
                 (same attribute values, a household of their own) are grouped in *types*,
                 which keeps every linear program as small as the number of types.
``feasibility``  whether any panel meets the quotas, and if not, which quotas and the
                 smallest relaxation that works (a MILP).
``fairness``     MAXIMIN by column generation, then LEXIMIN; each person's probability
                 and the dual bound that certifies how close to the optimum it is.
``rounding``     m equally likely panels, the seeded draw, alternates and replacements.

Everything here is pure numpy/scipy (``scipy.optimize.linprog`` and ``milp``, both HiGHS);
no Flask, no database, no GPL code: it is implemented from the papers.
"""

from stats.lottery.fairness import Distribution, find_distribution
from stats.lottery.feasibility import Relaxation, check_quotas
from stats.lottery.pool import Pool, Quota
from stats.lottery.rounding import Draw, RoundedDistribution, draw, replacement, round_distribution

__all__ = [
    "Distribution",
    "Draw",
    "Pool",
    "Quota",
    "Relaxation",
    "RoundedDistribution",
    "check_quotas",
    "draw",
    "find_distribution",
    "replacement",
    "round_distribution",
]
