"""Keyed digests: the member key in exports pairs waves without naming anyone."""

from core.digests import member_pseudonym


def test_a_member_has_one_key_per_installation_and_it_is_not_their_id(app):
    first, again, other = member_pseudonym(7), member_pseudonym(7), member_pseudonym(8)
    assert first == again and first != other
    assert first is not None and first != "7" and len(first) == 20
    assert member_pseudonym(None) is None  # a deleted member's answers stay anonymous
    app.config["SECRET_KEY"] = "another installation"
    assert member_pseudonym(7) != first
