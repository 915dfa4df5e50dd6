"""Similar texts by TF-IDF: what a citizen is shown before writing an idea twice."""

from __future__ import annotations

from initiatives.similarity import most_similar, tokens

IDEAS = [
    (1, "Flere natbusser til Aarhus Universitetshospital"),
    (2, "Gratis parkering for pårørende ved hospitalet"),
    (3, "Kortere ventetid i psykiatrien for unge"),
]


def test_the_idea_that_shares_the_telling_words_comes_first():
    ranked = most_similar("Natbusser til hospitalet om aftenen", IDEAS)
    assert ranked[0][0] == 1


def test_nothing_is_similar_when_no_word_is_shared():
    assert most_similar("Cykelstier langs landevejen", IDEAS) == []


def test_function_words_do_not_make_texts_similar():
    assert tokens("Det er og i at en den til") == []
    assert most_similar("og det er i at the and", IDEAS) == []
