"""Rasa's ResponseSelector, run only on messages whose intent is its retrieval intent (`faq`).

The selector's answer is used by `utter_faq` alone, which the rules run only after an `faq`
intent; on every other message (most of a check-in) its network inference was wasted CPU
(~2.6 ms a message). Placed after the intent classifier and the red-flag layer in config.yml, so
it sees the intent the rules act on. Training is Rasa's own, unchanged.
"""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FaqResponseSelector(ResponseSelector):
    """Selects an answer only for messages classified as the retrieval intent."""

    def process(self, messages: list[Message]) -> list[Message]:
        asked = [
            message
            for message in messages
            if (message.get(INTENT) or {}).get(INTENT_NAME_KEY) == self.retrieval_intent
        ]
        if asked:
            super().process(asked)
        return messages
