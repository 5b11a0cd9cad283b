"""Red-flag rule layer inside the NLU pipeline.

A rule match on the raw text forces intent `red_flag` with confidence 1.0, whatever the model
said. A `red_flag` from the model alone is kept only above `nlu_only_min_confidence`
(a weak statistical guess is not worth an emergency message); otherwise the next intent wins.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from coach.triage.red_flags import detect_red_flags

RED_FLAG_INTENT = "red_flag"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class RedFlagRuleClassifier(GraphComponent):
    """Rule layer for red flags: a match forces intent `red_flag` with confidence 1.0."""

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

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            previous = message.get(INTENT) or {}
            ranking = [
                r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != RED_FLAG_INTENT
            ]
            if not detect_red_flags(text):
                if (
                    previous.get("name") == RED_FLAG_INTENT
                    and previous.get("confidence", 0.0) < self.nlu_only_min_confidence
                    and ranking
                ):
                    message.set(INTENT, ranking[0], add_to_output=True)
                    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
                continue
            message.set(INTENT, {"name": RED_FLAG_INTENT, "confidence": 1.0}, add_to_output=True)
            message.set(
                INTENT_RANKING_KEY,
                [{"name": RED_FLAG_INTENT, "confidence": 1.0}] + ranking,
                add_to_output=True,
            )
            message.set("red_flag_rule_overrode", previous.get("name"), add_to_output=True)
        return messages
