"""Warning signs weak alone and a red flag together (coach/triage/warning_signs.py)."""

from coach.triage.warning_signs import compile_warning_signs

SECTION = {
    "self_harm": {
        "min_families": 2,
        "min_cues": 3,
        "families": {
            "arrangements": [r"\bwho gets what\b", r"\brehomed\b", r"\bgave away <THING>\b"],
            "means": [r"\bhow high\b"],
            "ending": [r"\bhad enough\b"],
        },
        "protective": [r"\bbooked\b"],
    }
}
SIGNS = compile_warning_signs(SECTION, {"THING": "(?:my|the) \\w+"})[0]


def test_one_cue_alone_is_not_a_red_flag() -> None:
    assert SIGNS.evidence("sorted out who gets what with the solicitor") is None


def test_cues_of_two_families_together_are() -> None:
    evidence = SIGNS.evidence("wrote down who gets what. had enough now")
    assert evidence == "who gets what / had enough"


def test_three_cues_of_one_family_are_too() -> None:
    assert SIGNS.evidence("rehomed the cat, gave away my guitar, told them who gets what")
    assert SIGNS.evidence("rehomed the cat, gave away my guitar") is None


def test_a_protective_cue_raises_each_bar_by_one() -> None:
    assert SIGNS.evidence("who gets what is sorted, how high is it, the cruise is booked") is None
    assert SIGNS.evidence("who gets what, how high, had enough, though the trip is booked")


def test_macros_of_the_rules_file_are_expanded() -> None:
    assert SIGNS.families[0][1][2].pattern == r"\bgave away (?:(?:my|the) \w+)\b"
