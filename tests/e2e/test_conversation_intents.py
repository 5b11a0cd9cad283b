"""`rasa test` takes the intents written in a test story as given: this checks that the trained
NLU really gives them to the check-in conversation tests' messages (tests/conversations)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml

from actions.form_turns import COMMAND_INTENTS
from coach.config import REPO_DIR

STORIES = REPO_DIR / "tests" / "conversations" / "test_checkin.yml"
# Inside a form the message itself is read, so these may stand in for one another …
ANSWER_INTENTS = {"inform", "affirm", "deny", "change_answer", "nlu_fallback"}


def _user_turns(path: Path) -> list[tuple[str, str]]:
    turns = []
    for story in yaml.safe_load(path.read_text())["stories"]:
        for step in story["steps"]:
            if "user" in step:
                turns.append((str(step["user"]), step["intent"]))
    return sorted(set(turns))


@pytest.mark.parametrize(("text", "intent"), _user_turns(STORIES))
def test_story_messages_get_their_intent(coach_servers, text: str, intent: str) -> None:
    parsed = httpx.post(
        f"{coach_servers.rasa_url}/model/parse",
        params={"token": coach_servers.env["RASA_TOKEN"]},  # the API always needs its token
        json={"text": text},
        timeout=60,
    )
    predicted = parsed.json()["intent"]["name"]
    if intent in ANSWER_INTENTS:  # … but never for a command that would pull it out of the form
        assert predicted not in COMMAND_INTENTS, (text, predicted)
    else:
        full = parsed.json().get("response_selector", {})
        if intent.startswith("faq/"):
            key = full.get("faq", {}).get("response", {}).get("intent_response_key")
            assert (predicted, key) == ("faq", intent), text
        else:
            assert predicted == intent, (text, predicted)
