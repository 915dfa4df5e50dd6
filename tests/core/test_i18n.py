"""A text staff have not translated yet falls back rather than leaving a blank."""

from core.i18n import text_in


def test_text_in_prefers_the_language_asked_for() -> None:
    assert text_in({"da": "Hej", "en": "Hello"}, "en") == "Hello"


def test_a_missing_or_blank_translation_falls_back_to_the_given_language_then_danish() -> None:
    texts = {"da": "Hvor tilfreds er du?", "en": "", "uk": "Наскільки ви задоволені?"}
    assert text_in(texts, "en", fallback="uk") == "Наскільки ви задоволені?"
    assert text_in(texts, "en") == "Hvor tilfreds er du?"
    assert text_in({"en": "Only English"}, "da") == "Only English"


def test_no_text_at_all_is_an_empty_string() -> None:
    assert text_in({}, "da") == ""
    assert text_in(None, "da") == ""
    assert text_in({"da": ""}, "en") == ""
