"""The demo's questionnaire: every question type, in Danish and English, on regional topics.

Built with the same functions the builder and the imports use, so it passes the same
checks (``mark_ready`` refuses a missing translation) and shows every type the answering
pages must handle: hospitals and health, public transport and climate, the three things
Region Midtjylland is responsible for and asks its citizens about.
"""

from __future__ import annotations

from datetime import date

from panel.demographics.attributes import MIDTJYLLAND_MUNICIPALITIES
from surveys.questionnaires.models import Questionnaire
from surveys.questionnaires.operations import (
    add_page,
    add_question,
    create_questionnaire,
    mark_ready,
)

#: The Danish title, by which ``build_demo`` finds the questionnaire again.
DEMO_TITLE = "Borgerpanelet: sundhed, transport og klima"


def both(da: str, en: str) -> dict[str, str]:
    return {"da": da, "en": en}


AGREE = [
    ("1", both("Helt uenig", "Strongly disagree")),
    ("2", both("Delvist uenig", "Somewhat disagree")),
    ("3", both("Hverken enig eller uenig", "Neither agree nor disagree")),
    ("4", both("Delvist enig", "Somewhat agree")),
    ("5", both("Helt enig", "Strongly agree")),
]


def demo_questionnaire(results_on: date) -> Questionnaire:
    """A ready questionnaire of five pages; the caller commits."""
    q = create_questionnaire(
        both(DEMO_TITLE, "Citizen panel: health, transport and climate"),
        introduction=both(
            "Tak fordi du vil svare. Det tager omkring 8 minutter, og du kan holde pause og "
            "fortsætte senere fra det samme link.",
            "Thank you for taking part. It takes about 8 minutes, and you can stop and carry "
            "on later from the same link.",
        ),
        purpose=both(
            "Regionen vil vide, hvordan du oplever hospitalerne, den kollektive trafik og "
            "regionens klimaindsats, så vi kan prioritere pengene der, hvor de gør mest gavn.",
            "The region wants to know how you find its hospitals, public transport and "
            "climate work, so that money goes where it does the most good.",
        ),
        commissioned_by=both(
            "Regionsrådet i Region Midtjylland og udvalget for regional udvikling",
            "The Regional Council of Central Denmark Region and its committee for regional "
            "development",
        ),
        influence=both(
            "Svarene indgår i budgetforhandlingerne for 2027: i prioriteringen af nye "
            "busruter, af ventetider på hospitalerne og af klimahandlingsplanen. Politikerne "
            "beslutter; dine svar viser dem, hvad borgerne mener.",
            "The answers feed into the 2027 budget talks: the priority of new bus routes, "
            "hospital waiting times and the climate action plan. Politicians decide; your "
            "answers show them what citizens think.",
        ),
        results_published_on=results_on,
        target_group="Alle voksne (18+) i Region Midtjylland, vægtet efter alder, køn, "
        "kommune og uddannelse",
        resources="En konsulent i to uger pr. runde; panelet og systemet findes allerede",
        decision_process="Før budgetforhandlingerne, mens prioriteringerne stadig er åbne",
        decision_authority="Rådgivende: regionsrådet beslutter og melder tilbage, hvad "
        "svarene førte til",
    )
    _health(q)
    _visit(q)
    _transport(q)
    _climate(q)
    _finally(q)
    mark_ready(q)
    return q


def _health(q: Questionnaire) -> None:
    page = add_page(q, both("Hospitaler og sundhed", "Hospitals and health"))
    add_question(
        page,
        "information",
        both(
            "Først nogle spørgsmål om regionens hospitaler.",
            "First some questions about the region's hospitals.",
        ),
        key="health_intro",
    )
    add_question(
        page,
        "single_choice",
        both(
            "Har du eller en af dine nærmeste været på et af regionens hospitaler det seneste år?",
            "Have you or someone close to you been to one of the region's hospitals in the "
            "past year?",
        ),
        key="hospital_contact",
        required=True,
        options=[
            ("self", both("Ja, jeg selv", "Yes, I have")),
            ("family", both("Ja, en af mine nærmeste", "Yes, someone close to me")),
            ("no", both("Nej", "No")),
        ],
    )
    add_question(
        page,
        "rating",
        both(
            "Hvor tilfreds var du med hospitalets behandling?",
            "How satisfied were you with the care at the hospital?",
        ),
        key="hospital_satisfaction",
        condition="hospital_contact != 'no'",
        low_label=both("Meget utilfreds", "Very dissatisfied"),
        high_label=both("Meget tilfreds", "Very satisfied"),
        dont_know=True,
    )
    add_question(
        page,
        "scale_0_10",
        both(
            "Hvor stor tillid har du til, at du får den rette behandling, hvis du bliver "
            "alvorligt syg?",
            "How much do you trust that you will get the right treatment if you fall "
            "seriously ill?",
        ),
        key="health_trust",
        required=True,
        low_label=both("Ingen tillid", "No trust at all"),
        high_label=both("Fuld tillid", "Complete trust"),
        dont_know=True,
    )
    add_question(
        page,
        "ranking",
        both(
            "Hvad er vigtigst for dig, når du skal på hospitalet? Sæt det vigtigste først.",
            "What matters most to you when you go to hospital? Put the most important first.",
        ),
        key="hospital_priorities",
        randomise_options=True,
        options=[
            ("short_wait", both("Kort ventetid", "A short wait")),
            ("near_home", both("Hospitalet ligger tæt på", "A hospital close to home")),
            ("same_staff", both("De samme læger og sygeplejersker", "The same doctors and nurses")),
            ("digital", both("Digitale konsultationer", "Video consultations")),
        ],
    )


def _visit(q: Questionnaire) -> None:
    page = add_page(
        q,
        both("Dit seneste hospitalsbesøg", "Your latest hospital visit"),
        condition="hospital_contact = 'self'",
    )
    add_question(
        page,
        "date",
        both("Hvornår var du sidst på hospitalet?", "When were you last at the hospital?"),
        key="last_visit",
        hint=both("Et omtrentligt tidspunkt er fint.", "An approximate date is fine."),
    )
    add_question(
        page,
        "long_text",
        both(
            "Fortæl gerne, hvad der gik godt, og hvad der kunne have været bedre.",
            "Tell us, if you like, what went well and what could have been better.",
        ),
        key="visit_story",
    )


def _transport(q: Questionnaire) -> None:
    page = add_page(q, both("Kollektiv trafik", "Public transport"))
    add_question(
        page,
        "multiple_choice",
        both(
            "Hvordan kommer du oftest rundt i hverdagen? Vælg op til tre.",
            "How do you usually get around? Choose up to three.",
        ),
        key="transport_modes",
        required=True,
        min_selections=1,
        max_selections=3,
        randomise_options=True,
        validation_message=both("Vælg mellem en og tre.", "Choose between one and three."),
        options=[
            ("car", both("Bil", "Car")),
            ("bus", both("Bus", "Bus")),
            ("train", both("Tog", "Train")),
            ("light_rail", both("Letbanen", "Light rail")),
            ("bike", both("Cykel", "Bicycle")),
            ("walk", both("Til fods", "On foot")),
        ],
    )
    add_question(
        page,
        "number",
        both(
            "Hvor mange enkeltture med bus tager du på en almindelig uge?",
            "How many single bus journeys do you make in an ordinary week?",
        ),
        key="bus_trips",
        condition="selected(transport_modes, 'bus')",
        min_value=0,
        max_value=50,
        whole_numbers=True,
        validation_message=both(
            "Skriv et helt tal mellem 0 og 50.", "Enter a whole number from 0 to 50."
        ),
    )
    add_question(
        page,
        "grid",
        both("Hvor enig er du i disse udsagn om bussen?", "How much do you agree about the bus?"),
        key="bus_statements",
        condition="selected(transport_modes, 'bus')",
        options=AGREE,
        statements=[
            ("on_time", both("Bussen kommer til tiden", "The bus runs on time")),
            ("frequent", both("Bussen kører tit nok", "The bus runs often enough")),
            ("price", both("Billetprisen er rimelig", "The fare is fair")),
            ("safe", both("Jeg føler mig tryg i bussen", "I feel safe on the bus")),
        ],
    )
    add_question(
        page,
        "single_choice",
        both(
            "Hvilken kommune rejser du oftest til for arbejde eller uddannelse?",
            "Which municipality do you travel to most for work or study?",
        ),
        key="commute_to",
        display="dropdown",
        options=[(code, both(name, name)) for code, name in MIDTJYLLAND_MUNICIPALITIES]
        + [("outside", both("Uden for regionen", "Outside the region"))],
    )


def _climate(q: Questionnaire) -> None:
    page = add_page(q, both("Klima", "Climate"))
    add_question(
        page,
        "rating",
        both(
            "Hvor bekymret er du for klimaforandringernes følger i Midtjylland?",
            "How worried are you about the effects of climate change in Central Jutland?",
        ),
        key="climate_worry",
        required=True,
        low_label=both("Slet ikke bekymret", "Not worried at all"),
        high_label=both("Meget bekymret", "Very worried"),
    )
    add_question(
        page,
        "single_choice",
        both(
            "Hvad bør regionen prioritere højest i klimaindsatsen?",
            "What should the region put first in its climate work?",
        ),
        key="climate_priority",
        options=[
            ("transport", both("Grønnere kollektiv trafik", "Greener public transport")),
            ("flooding", both("Sikring mod oversvømmelser", "Protection against flooding")),
            ("energy", both("Vedvarende energi", "Renewable energy")),
            ("nature", both("Mere natur og renere vand", "More nature and cleaner water")),
            ("hospitals", both("Hospitalernes eget klimaaftryk", "The hospitals' own footprint")),
        ],
    )


def _finally(q: Questionnaire) -> None:
    page = add_page(q, both("Til sidst", "Finally"))
    add_question(
        page,
        "short_text",
        both("Hvad er dit postnummer?", "What is your postcode?"),
        key="postcode",
        pattern=r"\d{4}",
        hint=both("Fx 8000", "E.g. 8000"),
        validation_message=both("Skriv de fire cifre i dit postnummer.", "Enter four digits."),
    )
    add_question(
        page,
        "long_text",
        both(
            "Er der andet, du vil fortælle regionen?",
            "Is there anything else you want to tell the region?",
        ),
        key="comments",
    )
    add_question(
        page,
        "information",
        both(
            "Tak for dine svar. Resultaterne kan du se på din profil, når de er offentliggjort.",
            "Thank you for your answers. You can see the results on your profile once they "
            "are published.",
        ),
        key="thanks",
    )
