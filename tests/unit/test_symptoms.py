"""spaCy symptom extraction: type, side, trigger and negation."""

import pytest

from coach.nlp.symptoms import early_sign_findings, extract_symptoms


def _findings(text: str, affected_side: str | None = None) -> list[tuple]:
    return [
        (s.symptom, s.side, s.trigger, s.negated) for s in extract_symptoms(text, affected_side)
    ]


def test_eye_narrowing_when_smiling_on_the_right() -> None:
    assert _findings("my right eye closes when I smile") == [
        ("eye_narrowing", "right", "smiling", False)
    ]


def test_mouth_moves_when_blinking_on_the_left() -> None:
    assert _findings("the left corner of my mouth moves when I blink") == [
        ("mouth_moves_on_blink", "left", "blinking", False)
    ]


def test_negated_twitching_is_not_a_finding() -> None:
    assert _findings("no twitching today") == [("twitching", None, None, True)]


def test_anymore_negates_an_early_sign() -> None:
    symptoms = extract_symptoms("my eye doesn't close when I smile anymore")
    assert [s.symptom for s in symptoms] == ["eye_narrowing"]
    assert symptoms[0].negated
    assert early_sign_findings(symptoms) == []


def test_negation_stays_in_its_clause() -> None:
    found = _findings("no twitching, but my eye narrows when I eat")
    assert ("twitching", None, None, True) in found
    assert ("eye_narrowing", None, "eating", False) in found


def test_bad_side_resolves_to_the_affected_side() -> None:
    assert _findings("my cheek on the bad side feels tight", affected_side="left") == [
        ("tightness", "left", None, False)
    ]


def test_tearing_when_eating_is_an_early_sign() -> None:
    findings = early_sign_findings(extract_symptoms("my eye waters when eating"))
    assert [(s.symptom, s.trigger) for s in findings] == [("tearing_when_eating", "eating")]


def test_nothing_in_plain_text() -> None:
    assert extract_symptoms("feeling fine, did my exercises") == []
    assert extract_symptoms("") == []


def test_co_movements_in_other_words() -> None:
    """Words found missing on a fresh, independently written set, phrased here anew."""
    cases = {
        "my right eyelid drops when I chew": ("eye_narrowing", "right"),
        "saying 'ooo' makes my eye squint": ("eye_narrowing", None),
        "my lip flicks up when I blink": ("mouth_moves_on_blink", None),
        "my left eye leaks at dinner": ("tearing_when_eating", "left"),
        "my face feels like a mask in the mornings": ("tightness", None),
        "my peepers go small when I laugh": ("eye_narrowing", None),
    }
    for text, (sign, side) in cases.items():
        found = [(s.symptom, s.side) for s in early_sign_findings(extract_symptoms(text))]
        assert (sign, side) in found, (text, found)


def test_side_named_elsewhere_in_the_message() -> None:
    [finding] = early_sign_findings(extract_symptoms("my eye narrows when I smile. the left one"))
    assert finding.side == "left"
    both = early_sign_findings(extract_symptoms("my eye narrows when I smile. left or right?"))
    assert [s.side for s in both] == [None]  # two sides named: not guessed


def test_a_carer_reports_the_patients_sign() -> None:
    symptoms = early_sign_findings(extract_symptoms("my son's eye streams whenever he sips juice"))
    assert [s.symptom for s in symptoms] == ["tearing_when_eating"]


def test_the_neck_going_hard_is_neck_tightening() -> None:
    symptoms = extract_symptoms("my neck goes hard under the chin when I shut my eyes")
    assert "neck_tightening" in [s.symptom for s in early_sign_findings(symptoms)]


# Early signs in plain, diary and second-language words: co-movement (pits on the chin, one part
# answering for another), leaking and running at meals, reading aloud, a mouth drawn sideways,
# a wink when grinning, pulses in the lid, a pinch, a neck that tugs.
EARLY_SIGNS_IN_OWN_WORDS = [
    ("small pits appear on my chin when I talk", "chin_dimpling"),
    ("my lip and my eye are going together when I eat", "synkinesis"),
    ("I try to whistle and the eye answers instead of the mouth", "synkinesis"),
    ("my left eye ran all through lunch", "tearing_when_eating"),
    ("toast at teatime and the eye starts leaking", "tearing_when_eating"),
    ("my chin goes all golf-ball when I grin", "chin_dimpling"),
    ("reading aloud tonight my eye kept narrowing", "eye_narrowing"),
    ("when I close my eyes my mouth corner draws sideways", "mouth_moves_on_blink"),
    ("the physio called it mild synkinesis today", "synkinesis"),
    ("I've got a slight wink when I grin now", "eye_narrowing"),
    ("little pulses in my lower lid on and off", "twitching"),
    ("my eye watered all through dinner", "tearing_when_eating"),
    ("it's like someone pinching my cheek all day", "tightness"),
    ("my neck tugs when I close my eyes", "neck_tightening"),
    ("my eye and mouth seem to move together now", "synkinesis"),
    ("whenever I chew my eye gets all sleepy", "eye_narrowing"),
    ("at breakfast my eye turns into a leaky tap", "tearing_when_eating"),
    ("I smile and my eyelid joins in", "synkinesis"),
    ("she asked what my mouth does when I blink", "synkinesis"),
    ("my cheek and mouth feel linked now", "synkinesis"),
    ("my jaw feels like it's set in plaster", "tightness"),
    ("the whole left side moves together when I talk", "synkinesis"),
    ("bits of my cheek and eye go in pairs now", "synkinesis"),
    ("its synkinesis I think, the nurse agreed", "synkinesis"),
    ("her top lip hitches up when she shuts her eyes", "mouth_moves_on_blink"),
    ("if I shut my eyes tight my mouth corner pulls up", "mouth_moves_on_blink"),
    ("my neck goes into ridges when I grin", "neck_tightening"),
    ("when I raise my brows my mouth twitches", "synkinesis"),
    ("I can't smile without my eye shutting on the left", "eye_narrowing"),
    ("opening my mouth for the dentist makes my eye close", "eye_narrowing"),
    ("my eye and mouth defo move together now", "synkinesis"),
    ("my cheek and eye, they're tied together", "synkinesis"),
    ("there's a pulling from my mouth up to my eye", "synkinesis"),
    ("since last month my left eye waters every lunchtime", "tearing_when_eating"),
    ("when you shut your eyes does your lip hike up? mine does, left", "mouth_moves_on_blink"),
    ("my cheek feels squeezy by teatime", "tightness"),
    ("my cheek feels tite like its been stapled", "tightness"),
    ("little twiches under my rite eye", "twitching"),
    ("asking for me: is it normal if someone's lip jumps when they blink?", "mouth_moves_on_blink"),
    ("my face has started making odd joined-up movements", "synkinesis"),
    (
        "when I blink the corner of my mouth on the left side I mean the right side kind of "
        "hitches up like a string pulls it",
        "mouth_moves_on_blink",
    ),
]


NOT_EARLY_SIGNS = [
    "my forehead wrinkles on both sides now when I lift my eyebrows",
    "my calves are stiff after the run",
    "I'm a bit jumpy since the news",
    "for the tearing question: no watering during lunch",
    "my eye runs on cold mornings but it's fine at meals",
    "my eyes close fully now and my smile is even",
    "the wind made my eye water but not when I was eating",
    "my smile is nearly even and my forehead moves on both sides again",
]


@pytest.mark.parametrize("text", NOT_EARLY_SIGNS)
def test_not_an_early_sign(text: str) -> None:
    assert early_sign_findings(extract_symptoms(text)) == []


@pytest.mark.parametrize(("text", "sign"), EARLY_SIGNS_IN_OWN_WORDS)
def test_early_sign_in_the_patients_own_words(text: str, sign: str) -> None:
    assert sign in [s.symptom for s in early_sign_findings(extract_symptoms(text))]
