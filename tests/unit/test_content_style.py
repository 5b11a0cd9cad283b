"""Every patient-facing text follows "How the coach says it" (CLINICAL.md, coach/content/style.yml):
at most 60 words, Flesch-Kincaid grade 8 (textstat), no banned word, lists as short numbered
steps, one hold time; and every topic patients need to hear about has an answer they can reach."""

from __future__ import annotations

import re

import pytest
import yaml

from coach.config import REPO_DIR
from coach.content import load_content
from coach.content.catalogue import PatientText, as_read, patient_texts, sample_values
from coach.content.style import grade, hold_times, measure_all, summary, word_count

MEASURED = measure_all()


@pytest.mark.parametrize("item", MEASURED, ids=lambda m: m.text.name)
def test_text_follows_the_style_rules(item) -> None:
    assert item.problems == (), f"{item.text.source}: {list(item.problems)}: {item.read!r}"


def test_every_source_is_read() -> None:
    sources = {m.text.source for m in MEASURED}
    domain_files = {str(p.relative_to(REPO_DIR)) for p in (REPO_DIR / "domain").glob("*.yml")}
    with_responses = {
        f for f in domain_files if yaml.safe_load((REPO_DIR / f).read_text()).get("responses")
    }
    assert with_responses <= sources
    assert "coach/content/clip_thresholds.yml" in sources
    assert "coach/content/notifications.yml" in sources
    assert len(MEASURED) > 150


def test_every_placeholder_is_measured_with_a_sample() -> None:
    samples = sample_values()
    unfilled = {(m.text.name, name) for m in MEASURED for name in re.findall(r"\{(\w+)\}", m.read)}
    assert unfilled == set(), "add a sample to style.yml placeholders"
    assert samples["crisis_line"] == max(
        (v["crisis_line"] for v in load_content("locales")["locales"].values()),
        key=lambda v: len(v.split()),
    )


def test_one_hold_time_everywhere() -> None:
    times = hold_times(MEASURED)
    assert len(times) <= 1, times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Not smoking clearly helps your nerves.", "'clearly'"),
        ("Forcing movements is what causes synkinesis.", "'is what causes'"),
        ("People who did that ended up with more synkinesis.", "'ended up with more'"),
        ("Please give a big smile for the camera.", "'give a big'"),
        ("It is your fault if you push hard.", "'your fault'"),
        ("This treatment is proven to work.", "'proven'"),
        ("Do maximal movements twice a day.", "'maximal'"),
        (" ".join(["Keep each movement small."] * 16), "words (most 60)"),
        (
            "Neuromuscular re-education facilitates physiological reinnervation characteristics.",
            "grade",
        ),
        ("Protect it: drops; ointment; tape; glasses; no rubbing.", "numbered steps"),
        (
            "Do this:\n1. Use your drops every day and your ointment at night before you sleep.",
            "step",
        ),
    ],
)
def test_the_rules_catch_what_they_name(text: str, expected: str) -> None:
    from coach.content import style

    rules = load_content("style")
    item = PatientText("utter_example", "test", text)
    problems = style._problems(item, as_read(item, sample_values()), rules)
    assert any(expected in problem for problem in problems), problems


def test_allowed_exceptions_are_only_where_listed() -> None:
    from coach.content import style

    rules = load_content("style")
    text = "Did you move your face as hard as you can?"
    allowed = PatientText("utter_faq/forced_movements", "test", text)
    elsewhere = PatientText("utter_goodbye", "test", text)
    assert style._problems(allowed, text, rules) == []
    assert style._problems(elsewhere, text, rules) != []
    kind = "If it appears, it isn't your fault."
    assert style._problems(PatientText("utter_goodbye", "test", kind), kind, rules) == []


def test_grade_and_words_come_from_textstat() -> None:
    easy, hard = (
        "Keep it small. Go slow.",
        "Synkinesis necessitates physiotherapeutic rehabilitation.",
    )
    assert grade(easy) < 4 < 8 < grade(hard)
    assert word_count("1. Use drops by day.\n2. Use ointment at night.") == 8


def test_summary_figures_are_within_the_rules() -> None:
    figures = summary(MEASURED)
    rules = load_content("style")
    assert figures["max_grade"] <= rules["max_grade"]
    assert figures["max_words"] <= rules["max_words"]
    assert figures["over_rules"] == []


# CLINICAL.md topics a patient can ask about, and what each answer must say.
TOPICS = {
    "forced_movements": ["small", "isn't your fault"],
    "early_retraining": ["early", "therapist"],
    "generic_exercises": ["just stop and tell your therapist"],
    "mirror_practice": ["mirror", "both sides"],
    "massage": ["gentle"],
    "vitamins": ["doctor or pharmacist", "prescribed"],
    "smoking_alcohol": ["smoking", "alcohol"],
    "medication": ["doses"],
    "early_signs": ["eye", "mouth", "tight", "waters", "chin"],
    "synkinesis_timing": ["3 to 4 months", "later", "a year"],
    "what_is_synkinesis": ["wrong muscles"],
    "botox": ["relaxes", "3 to 4 months", "therapy"],
    "referral": ["5 months", "specialist"],
    "nerve_healing": ["time", "won't speed it up"],
    "eye_care": [
        "drops",
        "ointment",
        "tape the closed lid",
        "moisture chamber",
        "wraparound glasses",
        "don't rub",
        "pillow",
        "same day",
    ],
    "eye_taping": ["closed lid, never the eye", "moisture chamber"],
    "eating_drinking": ["stronger side", "small bites", "cheek", "brush", "straw", "not a danger"],
    "driving": ["ointment", "protect your eye", "ask your doctor"],
    "work_school": ["step by step", "screen breaks", "tired"],
    "feelings": ["common", "facial palsy uk", "bell's palsy foundation", "crisis line"],
    "outlook": ["7 to 9 in every 10", "steroids", "a year"],
    "early_symptoms": [
        "ache behind the ear",
        "taste",
        "loud",
        "cold wind",
        "other side or both sides",
        "rash or blisters",
        "hearing loss",
        "emergency number",
    ],
    "devices": ["weak evidence", "e-stim", "acupuncture", "face-yoga apps", "ask your therapist"],
    "recovery_stalled": ["3 weeks", "3 months", "specialist"],
    "recovery_time": ["3 weeks", "3 months", "referral"],
}


def _faq_examples() -> dict[str, list[str]]:
    data = yaml.safe_load((REPO_DIR / "data" / "nlu" / "faq.yml").read_text())
    return {
        item["intent"].split("/", 1)[1]: [
            line[2:].strip() for line in item["examples"].splitlines() if line.startswith("- ")
        ]
        for item in data["nlu"]
        if item["intent"].startswith("faq/")
    }


@pytest.mark.parametrize(("topic", "must_say"), TOPICS.items(), ids=list(TOPICS))
def test_every_clinical_topic_has_an_answer_patients_can_reach(topic, must_say) -> None:
    texts = {t.name: t.text for t in patient_texts()}
    answer = texts[f"utter_faq/{topic}"].lower().replace("’", "'")
    missing = [phrase for phrase in must_say if phrase.lower() not in answer]
    assert missing == [], f"utter_faq/{topic} should say {missing}"
    assert len(_faq_examples().get(topic, [])) >= 5, f"faq/{topic}: too few NLU examples"


def test_every_faq_answer_has_nlu_examples_and_every_example_an_answer() -> None:
    answers = {t.name.split("/", 1)[1] for t in patient_texts() if t.name.startswith("utter_faq/")}
    assert answers == set(_faq_examples())
