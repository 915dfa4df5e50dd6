"""Form data for joining the panel."""

from __future__ import annotations


def good_form(**changes: str) -> dict[str, str]:
    form = {
        "email": "Karen@Example.dk",
        "birth_year": "1975",
        "attr_gender": "f",
        "attr_municipality": "740",
        "attr_education": "upper",
        "attr_postcode": "8600",
        "name": "Karen Jensen",
        "language": "da",
        "consent": "y",
    }
    form.update(changes)
    return form
