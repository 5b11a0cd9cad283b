"""Safety layer inside the NLU pipeline: red-flag rules on the raw text, and the language net.

- A rule match on the raw text (`coach.triage.red_flags`, scoped negation/context), or a finding
  of its trained second net (`coach.triage.red_flag_net`), forces intent `red_flag` with
  confidence 1.0, whatever the model said: advice and escalation at once.
- A `red_flag` from the model alone becomes `possible_red_flag` (one confirming question with
  buttons; escalation only on "yes") when its confidence is at least `nlu_only_min_confidence`,
  otherwise the next intent wins. The model alone never sends emergency advice. The model
  cannot read negation or context: when the rules saw the red-flag words but their context
  cancelled them ("no pain", "my gran had a stroke"), or the words describe an early sign of
  synkinesis, the model's guess is explained away and the next intent (or `inform`) wins.
- A message clearly in another language (and no red flag) becomes `non_english`.
- Low mood said in words the rules know (`content/mood.yml`, with context) becomes `mood_low`
  when the model only saw small talk, free text or a question (distress is not self-harm:
  self-harm is a red flag above).
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from coach.nlp.language import detect_language
from coach.nlp.mood import expresses_low_mood
from coach.nlp.symptoms import early_sign_findings, extract_symptoms
from coach.triage.red_flags import assess_red_flags

RED_FLAG_INTENT = "red_flag"
POSSIBLE_RED_FLAG_INTENT = "possible_red_flag"
NON_ENGLISH_INTENT = "non_english"
SYMPTOM_REPORT_INTENT = "inform"
MOOD_INTENT = "mood_low"
# Model intents a low-mood rule match may replace; requests (check-in, questionnaire) stay.
MOOD_OVERRIDABLE = {
    "inform",
    "faq",
    "out_of_scope",
    "nlu_fallback",
    "deny",
    "affirm",
    "help",
    "thank",
    "goodbye",
    "greet",  # "cried again this morning": not a greeting
    "restart_form",  # "cried in the car park again": not a request to restart
    "change_reminder_time",  # "mood 3. cried at 5 pm at the shop": not a new reminder time
    RED_FLAG_INTENT,
}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class RedFlagRuleClassifier(GraphComponent):
    """Rule layer for red flags (forces `red_flag`), NLU-only red flags and other languages."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.nlu_only_min_confidence = float(config["nlu_only_min_confidence"])

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"nlu_only_min_confidence": 0.5}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RedFlagRuleClassifier:
        return cls(config)

    @staticmethod
    def _force(message: Message, intent: str, ranking: list[dict[str, Any]]) -> None:
        message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
        message.set(
            INTENT_RANKING_KEY,
            [{"name": intent, "confidence": 1.0}] + ranking,
            add_to_output=True,
        )

    def _classify(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        previous = message.get(INTENT) or {}
        ranking = [
            r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != RED_FLAG_INTENT
        ]
        assessment = assess_red_flags(text)
        flags = assessment.flags
        if flags:
            self._force(message, RED_FLAG_INTENT, ranking)
            message.set("red_flag_rule_overrode", previous.get("name"), add_to_output=True)
            message.set("red_flag_kinds", [f.kind for f in flags], add_to_output=True)
            return
        if detect_language(text):
            self._force(message, NON_ENGLISH_INTENT, ranking)
            return
        if previous.get("name") in MOOD_OVERRIDABLE and expresses_low_mood(text):
            self._force(message, MOOD_INTENT, [r for r in ranking if r.get("name") != MOOD_INTENT])
            return
        if previous.get("name") != RED_FLAG_INTENT:
            return
        confidence = float(previous.get("confidence", 0.0))
        if early_sign_findings(extract_symptoms(text)):
            report = {"name": SYMPTOM_REPORT_INTENT, "confidence": confidence}
            message.set(INTENT, report, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [report] + ranking, add_to_output=True)
        elif (confidence >= self.nlu_only_min_confidence and not assessment.cancelled) or (
            not ranking
        ):
            possible = {"name": POSSIBLE_RED_FLAG_INTENT, "confidence": confidence}
            message.set(INTENT, possible, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [possible] + ranking, add_to_output=True)
        else:
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._classify(message)
        return messages
