"""Low mood in the words patients use (coach/content/mood.yml), and what is not low mood."""

import pytest

from coach.nlp.mood import expresses_low_mood

LOW = [
    "I don't think my face will ever feel like me again",
    "I've given up hoping my smile will come back",
    "not answered my mates' texts for days, easier to stay home",
    "every morning for a second I forget, then I remember my face",
    "who is going to employ someone who can't smile",
    "I turned the mirror light off so I don't have to look at myself",
    "deleted all my photos off facebook last night",
    "doing the exercises but my heart isn't in it",
    "I feel so low today",
    "so lonely since this started",
    "anxious all day about my face",
    "mood 2/10 honestly",
    "flat.",
    "no motivation for anything lately",
    "I've had my camera off at work for weeks",
    "haven't left the house since Tuesday",
    "skipped the wedding because I couldn't face people staring at me",
    "it's a stranger looking back in the mirror",
    "who is ever going to want to kiss me now",
    "keep snapping at my kids, I hate feeling like this",
    "awful day, don't want to talk about it",
    "my wife has been really low since it started",
    "everything feels so heavy lately",
    "so embarrassed when soup ran down my chin at the cafe",
    "she keeps saying she's hideous now and won't come downstairs",
    "my mates have stopped texting since it happened",
    "dreading the school run tomorrow",
    "cried in the shower again",
    "nobody rings me these days",
    "scared people will laugh at my smile at the party",
    "feel like such a letdown to the kids",
    "grieving the face I had",
    "😭",
    "1/10 today",
    "walking round with a heavy heart this week",
    "everything is so grey lately",
    "I hid in the bathroom, didn't want my nephews seeing my face",
    "I've given up hoping my smile will return",
    "it feels like the old me has died",
    "so tired of hoping it gets better",
    "who would want to kiss someone who looks like this",
    "I've covered all the mirrors at home",
    "I feel like half a person now",
    "he barely talks to anyone now",
    "I could die of embarrassment at work",
    "this palsy has wrecked my social life",
]
NOT_LOW = [
    "my face feels a bit tight today",
    "meh",
    "I'm not embarrassed about it anymore",
    "no panic attacks this week",
    "not lonely at all, my family are great",
    "mood 8/10",
    "my mum was lonely after her stroke years ago",
    "the camera on my phone is broken",
]


@pytest.mark.parametrize("text", LOW)
def test_low_mood_is_heard(text: str) -> None:
    assert expresses_low_mood(text)


@pytest.mark.parametrize("text", NOT_LOW)
def test_not_low_mood(text: str) -> None:
    assert not expresses_low_mood(text)


def test_low_mood_in_passing() -> None:
    for text in ("I'm losing faith it will ever look right", "who would want to kiss this face"):
        assert expresses_low_mood(text), text
