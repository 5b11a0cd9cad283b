"""Context of findings in a message (NegEx / ConText), with negspacy on a blank spaCy pipeline.

ConText generalises NegEx from negation to other contexts (hypothetical, historical, someone
else's). Each context in `content/context.yml` runs as its own negspacy NegEx component, so
the scoping (trigger direction, pseudo-triggers, termination, sentence ends) is negspacy's,
and the trigger lists are reviewed content. Runs in both environments: spaCy 3.8 (app env) and
spaCy 3.4 (Rasa env, the range rasa 3.6 supports); negspacy 1.0.4 supports both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import spacy
import yaml
from negspacy.negation import Negex  # noqa: F401 - registers the "negex" factory
from spacy.language import Language
from spacy.tokens import Doc, Span

from coach.config import get_settings

CONTEXTS = (
    "negated",
    "hypothetical",
    "question",
    "historical",
    "other_experiencer",
    "unrelated_person",
    "resolved",
    "expected_cause",
    "care_question",
)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
# Contractions typed without the apostrophe ("dont", "cant", "im"), so triggers match either way.
_BARE_CONTRACTIONS = re.compile(
    r"\b(do|does|did|is|are|was|were|has|have|had|could|would|should|must|need|ca|wo|ai)nt\b"
)
_BARE_WORDS = {  # and the commonest text-speak for them
    "im": "i'm",
    "ive": "i've",
    "idk": "i don't know",
    "dunno": "don't know",
    "cnt": "can't",
    "cudnt": "couldn't",
    "wnt": "won't",
    "dnt": "don't",
    "wudnt": "wouldn't",
    "cud": "could",
    "wud": "would",
    "b": "be",
    "u": "you",
    "wrk": "work",
    "wrks": "works",
    "wrking": "working",
    "cannae": "can't",
    "canny": "can't",
    "dinnae": "don't",
    "dae": "do",
    "mooth": "mouth",
    "rite": "right",
    "whats": "what's",
    "thats": "that's",
    "theres": "there's",
    "speach": "speech",
    "spech": "speech",
    "slured": "slurred",
    "slurr": "slur",
    "blury": "blurry",
    "vission": "vision",
    "numbe": "numb",
    # misspellings of the words that carry a red flag or an early sign
    "rase": "raise",
    "nite": "night",
    "effected": "affected",
    "brekfast": "breakfast",
    "evry": "every",
    "evryone": "everyone",
    "disapear": "disappear",
    "dissapear": "disappear",
    "dissappear": "disappear",
    "tite": "tight",
    "twich": "twitch",
    "twiches": "twitches",
    "twiching": "twitching",
    "wierd": "weird",
    "stroak": "stroke",
    "dizy": "dizzy",
    "dizzey": "dizzy",
    "wekness": "weakness",
    "weekness": "weakness",
    "slurd": "slurred",
    "blured": "blurred",
    "sudenly": "suddenly",
    "suddently": "suddenly",
    "heering": "hearing",
    "hering": "hearing",
    # Scots, Caribbean English: the words that carry a red flag or a negation
    "oot": "out",
    "wrang": "wrong",
    "disnae": "doesn't",
    "doesnae": "doesn't",
    "wisnae": "wasn't",
    "isnae": "isn't",
    "wouldnae": "wouldn't",
    "couldnae": "couldn't",
    "nae": "no",
    "tae": "to",
    "masel": "myself",
    "ah'm": "i'm",
    "a'm": "i'm",
    "a've": "i've",
    "greetin": "crying",
    "nuh": "not",
    "waan": "want",
    "wan": "want",
    "wanna": "want to",
    "gonna": "going to",
    "rn": "right now",
}
_BARE_WORD = re.compile(r"\b(" + "|".join(_BARE_WORDS) + r")\b")
# Dropped g's ("comin oot", "endin it", "thinkin"), for the verbs the rules are written with.
_DROPPED_G = re.compile(
    r"\b(com|say|think|end|chew|go|do|talk|walk|feel|look|try|want|bleed|burn|itch|ring|hurt|"
    r"slurr|dragg|droop|sagg|twitch|blink|smil|laugh|cry|eat|drink|sleep|wak|gett|tak|mak|los|"
    r"hear|see|shak|tingl|throbb|sting|stream|water|wast|keep|leav|plann|sav|tell|fall|"
    r"spinn|mumbl|jumbl|swell)in\b"
)
# List markers ("1) 4/10 2) no 3) ...", a bullet at the start of a line) end a sentence, so a
# "no" in one answer does not negate the next one.
_LIST_MARKER = re.compile(r"(?:^|\s)(?:\d{1,2}|[a-e])\)\s+|(?:^|\n)\s*[-•*]\s+")
# Voice typing's homophones, where the words around them leave no doubt.
_HOMOPHONES = (
    (re.compile(r"\b(can't|cannot|couldn't|can|could|don't|didn't|barely) here\b"), r"\1 hear"),
    (re.compile(r"\b(the|my|eye|upper|lower|his|her) lied\b"), r"\1 lid"),
    (
        re.compile(
            r"\b(feel|feels|feeling|felt|gone|going|so|very|really|quite|getting|got|goes|went|"
            r"looks|look|bit|too|more)((?: (?:like|um|uh|all|really|so|very|a bit))*) week\b"
        ),
        r"\1\2 weak",
    ),
    (re.compile(r"\bweek (?=(?:side|arm|leg|hand|grip|muscles?)\b)"), "weak "),
    (
        re.compile(r"\b(left|right|my|his|her) harm\b(?! (?:myself|himself|herself|to)\b)"),
        r"\1 arm",
    ),
    (re.compile(r"\b(is|was|something|this|it's|its|all) knew\b"), r"\1 new"),
    (
        re.compile(r"(^|\b(?:my|the|his|her) )site (?=(?:on|in|out|is|has|went|gone|was)\b)"),
        r"\1sight ",
    ),
    (
        re.compile(r"\b(arm|leg|hand|side|face|grip|foot) (is|was|feels|felt|gone|going) week\b"),
        r"\1 \2 weak",
    ),
    (re.compile(r"\beye brows?\b"), "eyebrows"),
    (re.compile(r"\b(find|finding|get|getting|my|the|his|her) worlds\b"), r"\1 words"),
    (re.compile(r"\bwith out\b"), "without"),
    (re.compile(r"\bevery one (?=(?:would|will|is|'d|else|be)\b)"), "everyone "),
    (re.compile(r"\bwrite (?=(?:side|eye|i|arm|leg|hand|cheek|ear|corner|lid)\b)"), "right "),
    (
        re.compile(
            r"\b(my|his|her|left|right|the) lag(s?) (?=(?:on|is|are|feels?|went|gave|keeps?)\b)"
        ),
        r"\1 leg\2 ",
    ),
    (
        re.compile(r"\b(put|putting|take|taking|bear|bearing) (any |much |my )?wait on\b"),
        r"\1 \2weight on",
    ),
    # a side corrected in passing: "the left side i mean the right side" -> "the right side"
    (
        re.compile(
            r"\b(?:left|right)( side| leg| arm| hand| eye)?,? (?:i mean|i meant|sorry|no|oops)"
            r",? (?:not the (?:left|right),? )?(?:the |my )?(left|right)\b"
        ),
        r"\2",
    ),
)
# Scare quotes around a few words ("my 'good' side", 'said he had "a way out"') are dropped, so
# rules written for plain words match: a quote opens after a non-word and closes before one.
_SCARE_QUOTES = re.compile(r"""(?<![\w'"])(['"])([a-z][a-z' -]{0,40}?[a-z])\1(?![\w'"])""")
# "id rather", "id never": "i'd" (an ID card is never followed by these words)
_ID_AS_I_WOULD = re.compile(
    r"\bid (?=(?:rather|sooner|prefer|never|just|love|like|hate|be|have|do|go|say|better)\b)"
)
# Checklist answers: "red eye? no. pain? nope" reads as "no red eye. no pain".
_ASKED_AND_DENIED = re.compile(
    r"\b((?:[a-z']+ ){0,2}[a-z']+)\? ?(?:no|nope|none|nah|nil)\b(?! idea| clue)"
)
# Voice typing writes "eye" as "I": "my I is sore", "left I waters". After a possessive or a
# side, "I" can only be the eye.
_EYE_AS_I = re.compile(r"\b(my|the|left|right|bad|good|weak|affected|his|her) i\b(?!')")
_EYES_AS_ICE = re.compile(r"\b(close|shut|closing|shutting|rub|rubbing) my ice\b")


@dataclass(frozen=True)
class Finding:
    """A span of the normalised text (a red flag or a symptom) and the contexts it sits in."""

    label: str
    start: int
    end: int
    text: str
    contexts: frozenset[str]


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, apostrophes restored in contractions, single spaces."""
    text = _LIST_MARKER.sub(". ", (text or "").translate(_APOSTROPHES).lower())
    text = re.sub(r"\s+", " ", text).strip()
    text = _SCARE_QUOTES.sub(lambda m: m.group(2), text)
    text = _BARE_CONTRACTIONS.sub(lambda m: f"{m.group(1)}n't", text)
    text = _BARE_WORD.sub(lambda m: _BARE_WORDS[m.group(1)], text)
    text = _ID_AS_I_WOULD.sub("i'd ", text)
    text = _DROPPED_G.sub(lambda m: f"{m.group(1)}ing", text)
    for pattern, replacement in _HOMOPHONES:
        text = pattern.sub(replacement, text)
    text = _ASKED_AND_DENIED.sub(lambda m: f"no {m.group(1)}.", text)
    text = _EYES_AS_ICE.sub(lambda m: f"{m.group(1)} my eyes", text)
    return _EYE_AS_I.sub(lambda m: f"{m.group(1)} eye", text)


def _termsets(raw: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    """negspacy termsets (one per context) from the reviewed content file."""
    termination = list(raw["termination"])
    sets: dict[str, dict[str, list[str]]] = {}
    for name in CONTEXTS:
        spec = raw["contexts"][name]
        preceding = list(spec.get("preceding") or spec.get("people") or [])
        pseudo = list(spec.get("pseudo") or [])
        for person in spec.get("people") or []:
            pseudo += [f"{person} {verb}" for verb in spec.get("reporting_verbs") or []]
        sets[name] = {
            "pseudo_negations": pseudo,
            "preceding_negations": preceding,
            "following_negations": list(spec.get("following") or []),
            "termination": list(spec.get("termination") or termination)
            + list(spec.get("also_terminated_by") or []),
        }
    return sets


@lru_cache(maxsize=4)
def _context_file(content_dir: Path) -> dict[str, Any]:
    """The reviewed context triggers (`context.yml`), read once per content folder."""
    with open(content_dir / "context.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@lru_cache(maxsize=4)
def filler_words(content_dir: Path) -> tuple[str, ...]:
    """Words that may sit between any two words of a rule without changing what it means."""
    return tuple(_context_file(content_dir).get("fillers") or ())


@lru_cache(maxsize=8)
def _context_pattern(content_dir: Path, context: str, key: str) -> re.Pattern[str] | None:
    """An expression a context's entry in `context.yml` keeps under `key`, compiled once."""
    pattern = _context_file(content_dir)["contexts"][context].get(key)
    return re.compile(pattern) if pattern else None


def asking_for_myself(content_dir: Path) -> re.Pattern[str] | None:
    """Words saying "someone" in a question or a supposition is the writer ("asking for me")."""
    return _context_pattern(content_dir, "hypothetical", "asking_for_myself")


def happening_now(content_dir: Path) -> re.Pattern[str] | None:
    """Words saying a finding is happening now (someone else's finding still counts then)."""
    return _context_pattern(content_dir, "other_experiencer", "happening_now")


def about_the_writer(content_dir: Path) -> re.Pattern[str] | None:
    """Reported speech about the writer ("... said my speech is slurred"): what follows is
    theirs."""
    return _context_pattern(content_dir, "other_experiencer", "about_the_writer")


def personal_report(content_dir: Path) -> re.Pattern[str] | None:
    """Words saying a question is about the person's own body or about now ("is it normal that
    my arm went numb?"): the question frame then does not cancel the finding."""
    return _context_pattern(content_dir, "question", "personal_report")


@lru_cache(maxsize=4)
def context_pipeline(content_dir: Path) -> Language:
    """Blank English pipeline: sentence splitter, then one negspacy component per context."""
    raw = _context_file(content_dir)
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    for name, termset in _termsets(raw).items():
        nlp.add_pipe(
            "negex",
            name=f"context_{name}",
            config={
                "neg_termset": termset,
                "ent_types": [],
                "extension_name": f"context_{name}",
                "chunk_prefix": [],
            },
        )
    return nlp


def make_doc(text: str, content_dir: Path | None = None) -> Doc:
    """Tokenised, sentence-split doc of already normalised `text` (no contexts assigned yet)."""
    nlp = context_pipeline(content_dir or get_settings().content_dir)
    nlp.max_length = max(nlp.max_length, len(text) + 1)
    doc = nlp.make_doc(text)
    return nlp.get_pipe("sentencizer")(doc)


def _layers(spans: list[Span]) -> list[list[Span]]:
    """Split possibly overlapping spans into layers of non-overlapping ones (doc.ents rule)."""
    layers: list[list[Span]] = []
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        for layer in layers:
            if all(span.start >= other.end or span.end <= other.start for other in layer):
                layer.append(span)
                break
        else:
            layers.append([span])
    return layers


def assign_contexts(
    doc: Doc, targets: list[tuple[str, int, int]], content_dir: Path | None = None
) -> list[Finding]:
    """Contexts of each target (label, start char, end char) of `doc`, in target order."""
    nlp = context_pipeline(content_dir or get_settings().content_dir)
    spans: list[Span] = []
    for label, start, end in targets:
        span = doc.char_span(start, end, label=label, alignment_mode="expand")
        spans.append(span if span is not None else Span(doc, 0, len(doc), label=label))
    keyed: dict[tuple[int, int, str], frozenset[str]] = {}
    for layer in _layers(spans):
        doc.ents = layer
        for name in CONTEXTS:
            nlp.get_pipe(f"context_{name}")(doc)
        for ent in doc.ents:
            found = frozenset(name for name in CONTEXTS if ent._.get(f"context_{name}"))
            keyed[(ent.start, ent.end, ent.label_)] = found
    doc.ents = []
    return [
        Finding(
            label=span.label_,
            start=span.start_char,
            end=span.end_char,
            text=span.text,
            contexts=keyed.get((span.start, span.end, span.label_), frozenset()),
        )
        for span in spans
    ]
