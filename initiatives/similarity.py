"""Plain text similarity: which ideas (or proposals) read like the one being written.

TF-IDF over word tokens with cosine similarity, in numpy: enough to put "night buses to the
hospital" next to "more buses at night to Aarhus University Hospital" without a language
model. Short words and common Danish and English function words are left out, so two texts
are not similar because both say "og" and "the".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)
_STOPWORD_TEXT = """
    og i at det en den til er som på de med han af for ikke der var mig sig men et har om
    vi min havde ham hun nu over da fra du ud sin dem os op man hans hvor eller hvad skal selv
    her alle vil blev kunne ind når være dog noget ville jo deres efter ned skulle denne end dette
    mit også under have dig anden hende mine alt meget sit sine vor mod disse hvis din nogle hos
    blive mange ad bliver hendes været thi jer sådan the and of to in is it that for on with as
    are be this was by an or at from not but have we our you your can should more"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def tokens(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in STOPWORDS]


def most_similar(
    text: str, candidates: Sequence[tuple[int, str]], limit: int = 5, min_score: float = 0.15
) -> list[tuple[int, float]]:
    """The ids of the ``candidates`` most like ``text``, best first, with their cosine scores.

    Document frequencies come from the candidates and the text together, so a word every
    idea uses ("hospital" in a health region's idea bank) weighs little.
    """
    query = tokens(text)
    if not query or not candidates:
        return []
    documents = [query] + [tokens(body) for _id, body in candidates]
    vocabulary = {word: i for i, word in enumerate(sorted({w for d in documents for w in d}))}
    counts = np.zeros((len(documents), len(vocabulary)))
    for row, document in enumerate(documents):
        for word in document:
            counts[row, vocabulary[word]] += 1
    present = (counts > 0).sum(axis=0)
    idf = np.log((1 + len(documents)) / (1 + present)) + 1
    weights = counts * idf
    norms = np.linalg.norm(weights, axis=1)
    norms[norms == 0] = 1
    unit = weights / norms[:, None]
    scores = unit[1:] @ unit[0]
    order = np.argsort(-scores, kind="stable")[:limit]
    return [(candidates[i][0], float(scores[i])) for i in order if scores[i] >= min_score]
