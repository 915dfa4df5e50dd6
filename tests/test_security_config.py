"""The app refuses configurations that would let anyone forge sessions or links."""

from __future__ import annotations

import pytest

from app import InsecureConfig, create_app
from config import DEVELOPMENT_SIGNING_KEY


@pytest.mark.parametrize("key", [DEVELOPMENT_SIGNING_KEY, "", None])
def test_the_app_refuses_to_start_in_production_with_the_default_or_no_secret_key(
    database_url, key
):
    with pytest.raises(InsecureConfig, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": key})


@pytest.mark.parametrize("mode", ["DEBUG", "TESTING"])
def test_debugging_and_tests_may_use_the_development_key(database_url, mode):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, mode: True})
    assert app.config["SECRET_KEY"] == DEVELOPMENT_SIGNING_KEY


def test_a_real_secret_key_starts_the_app(database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "a" * 64})
    assert app.config["SECRET_KEY"] == "a" * 64
