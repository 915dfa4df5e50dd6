"""A questionnaire with every question type, in Danish and English, for the survey tests."""

from __future__ import annotations

from datetime import date

from surveys.questionnaires.models import Questionnaire
from surveys.questionnaires.operations import add_page, add_question, create_questionnaire


def both(da: str, en: str) -> dict[str, str]:
    return {"da": da, "en": en}


def sample_questionnaire() -> Questionnaire:
    q = create_questionnaire(
        both("Trafik i regionen", "Transport in the region"),
        introduction=both("Vi vil gerne høre om din transport.", "Tell us how you travel."),
        purpose=both("Vi planlægger nye busruter.", "We are planning new bus routes."),
        commissioned_by=both("Udvalg for regional udvikling", "Committee for regional development"),
        influence=both(
            "Svarene indgår i køreplanen for 2027.", "The answers shape the 2027 timetable."
        ),
        results_published_on=date(2027, 3, 1),
        target_group="Alle voksne i regionen",
        resources="To medarbejdere i en måned",
        decision_process="Før udvalget vedtager køreplanen",
        decision_authority="Udvalget skal svare på resultaterne",
    )
    first = add_page(q, both("Om dig", "About you"))
    add_question(
        first,
        "number",
        both("Hvor gammel er du?", "How old are you?"),
        min_value=16,
        max_value=120,
        whole_numbers=True,
        required=True,
        validation_message=both(
            "Skriv en alder mellem 16 og 120.", "Enter an age between 16 and 120."
        ),
    )
    add_question(
        first,
        "single_choice",
        both("Har du bil?", "Do you have a car?"),
        options=[("yes", both("Ja", "Yes")), ("no", both("Nej", "No"))],
        display="dropdown",
    )
    add_question(first, "date", both("Hvornår flyttede du hertil?", "When did you move here?"))
    second = add_page(q, both("Transport", "Transport"), condition="q1 >= 18")
    add_question(
        second,
        "multiple_choice",
        both("Hvad bruger du?", "What do you use?"),
        options=[
            ("bus", both("Bus", "Bus")),
            ("train", both("Tog", "Train")),
            ("bike", both("Cykel", "Bike")),
        ],
        min_selections=1,
        max_selections=2,
        randomise_options=True,
        condition="q2 = 'no' or q1 > 60",
    )
    add_question(
        second,
        "rating",
        both("Hvor tilfreds er du med bussen?", "How satisfied are you with the bus?"),
        low_label=both("Meget utilfreds", "Very dissatisfied"),
        high_label=both("Meget tilfreds", "Very satisfied"),
        dont_know=True,
        condition="selected(q4, 'bus')",
    )
    add_question(
        second,
        "scale_0_10",
        both("Vil du anbefale bussen?", "Would you recommend the bus?"),
        low_label=both("Slet ikke", "Not at all"),
        high_label=both("Helt sikkert", "Certainly"),
    )
    add_question(
        second,
        "grid",
        both("Hvor enig er du?", "How much do you agree?"),
        options=[
            ("1", both("Uenig", "Disagree")),
            ("2", both("Hverken eller", "Neither")),
            ("3", both("Enig", "Agree")),
        ],
        statements=[
            ("on_time", both("Bussen kommer til tiden", "The bus is on time")),
            ("clean", both("Bussen er ren", "The bus is clean")),
        ],
    )
    third = add_page(q, both("Ønsker", "Wishes"))
    add_question(
        third,
        "ranking",
        both("Hvad er vigtigst?", "What matters most?"),
        options=[
            ("price", both("Pris", "Price")),
            ("speed", both("Hastighed", "Speed")),
            ("comfort", both("Komfort", "Comfort")),
        ],
    )
    add_question(
        third,
        "short_text",
        both("Dit postnummer", "Your postcode"),
        pattern=r"\d{4}",
        validation_message=both("Skriv fire cifre.", "Enter four digits."),
        hint=both("Fx 8000", "E.g. 8000"),
    )
    add_question(third, "long_text", both("Andre ønsker?", "Other wishes?"), condition="q9 != ''")
    add_question(third, "information", both("Tak for dine svar.", "Thank you for your answers."))
    return q
