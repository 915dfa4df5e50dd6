"""schemathesis against the live OpenAPI document: generated requests, valid and invalid,
to every operation with a token that has every scope. No answer may be a server error or
break the document (status, media type, body schema).

The operations are driven through schemathesis's Python API (``as_strategy``) inside one
test per generation mode, because its pytest fixture loader does not work with pytest 9.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from extensions import db
from panel.demographics.attributes import install_default_attributes
from tests.api_client import EVERY_SCOPE, bearer
from tests.factories import MemberFactory

#: A schema-valid request may still be refused with 4xx for what only the database knows
#: (an e-mail already in the panel, an unknown attribute key, a cursor we never gave out).
RULES_THE_SCHEMA_CANNOT_SAY = [positive_data_acceptance]
#: Examples per operation and mode: each field's edge cases, quick enough for make test.
EXAMPLES = 12


@pytest.fixture
def api_schema(app):
    install_default_attributes()
    MemberFactory()
    db.session.commit()
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.mark.slow  # generates hundreds of requests
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error_and_no_answer_outside_the_document(api_schema, mode):
    headers = bearer(*EVERY_SCOPE)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            case.call_and_validate(headers=headers, excluded_checks=RULES_THE_SCHEMA_CANNOT_SAY)

        call()
