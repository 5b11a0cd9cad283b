"""Other-language detection and the mood reply's wording."""

import pytest

from coach.nlp.language import detect_language
from coach.triage.mood import feeling_reflection
from coach.triage.who_was_told import who_was_told


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("hola, necesito ayuda con mis ejercicios", "es"),
        ("bonjour, j'ai une question sur mon visage", "fr"),
        ("Guten Morgen, ich habe eine Frage", "de"),
        ("olá, tenho uma pergunta sobre o meu rosto", "pt"),
        ("ciao, ho una domanda sul mio viso", "it"),
        ("hallo, ik heb een vraag over mijn gezicht", "nl"),
        ("dzień dobry, mam pytanie", "pl"),
        ("ok", None),
        ("no pain today", None),
        ("yes", None),
        ("my face feels tight", None),
        # English as it is typed elsewhere is still English
        ("mi face did feel betta dis week, likkle bit more smile pon di side", None),
        ("mornin pet, aye the face is a wee bit better", None),
        ("obrigada, até amanhã", "pt"),
    ],
)
def test_language(text: str, language: str | None) -> None:
    assert detect_language(text) == language


def test_feeling_is_named() -> None:
    assert "anxious" in feeling_reflection("the anxiety is getting really bad")
    assert "alone" in feeling_reflection("nobody understands what this is like")
    assert feeling_reflection("meh") == "It sounds like things are really hard right now."


def test_who_was_told_promises_only_what_happened() -> None:
    assert who_was_told({"therapist", "caregiver"}) == (
        "I've alerted your therapist and your emergency contact."
    )
    assert who_was_told({"therapist"}) == "I've told your therapist."
    assert "clinic" in who_was_told({"clinic"})
    assert "saved" in who_was_told(set(), spooled=True)
    assert "couldn't alert anyone" in who_was_told(set())
    assert who_was_told(set(), needed=False) == ""
