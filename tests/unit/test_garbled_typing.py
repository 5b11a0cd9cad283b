"""Typing that falls apart is a possible stroke (coach/triage/garbled_typing.py)."""

import pytest

from coach.triage.garbled_typing import compile_garbled_typing
from coach.triage.red_flags import detect_red_flags

SECTION = {
    "kind": "stroke",
    "min_words": 3,
    "topic_words": ["hand", "words", "right"],
    "words": ["what", "can", "help", "think"],
    "shorthand": ["pls", "hlp"],
}
GARBLED = compile_garbled_typing(SECTION)


def test_lost_vowels_and_swapped_neighbours_are_broken_words() -> None:
    assert GARBLED is not None
    assert GARBLED.broken("wrds") == "words"
    assert GARBLED.broken("rihgt") == "right"
    assert GARBLED.broken("waht") == "what"
    assert GARBLED.broken("what") is None  # a whole word
    assert GARBLED.broken("hlp") is None  # shorthand
    assert GARBLED.broken("trhee") is None  # not one of the words


def test_three_broken_words_on_a_limb_or_speech_are_a_red_flag() -> None:
    assert GARBLED is not None
    assert GARBLED.evidence("my rihgt hnd cn nt do waht i thnk") == "rihgt hnd cn waht thnk"
    assert GARBLED.evidence("waht cn i thnk about") is None  # nothing about a hand or words
    assert GARBLED.evidence("my hand is waht it is") is None  # one broken word


@pytest.mark.parametrize(
    "text",
    [
        "smthng wrng. lft hnd wnt wrk. cnt typ",
        "my wrds r all wrng nd my rght hnd is hevy",
        "sorry if this is a mess my rihgt arm is sitll wierd and heavy waht is hapening",
    ],
)
def test_a_message_typed_while_it_happens_is_a_stroke(text: str) -> None:
    assert [flag.kind for flag in detect_red_flags(text)][:1] == ["stroke"]


@pytest.mark.parametrize(
    "text",
    [
        "ngl tbh my face is lowkey better rn, cn u send the vid pls thx",
        "gp appt tmrw at 3pm, will txt u after. hand exercises done x",
        "three cheers for my right eye closing today!",
    ],
)
def test_texting_shorthand_is_not_broken_typing(text: str) -> None:
    assert "stroke" not in [flag.kind for flag in detect_red_flags(text)]
