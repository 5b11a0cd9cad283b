"""`rasa data validate`, failing on every warning except three reviewed kinds.

Allowed, each checked rather than ignored:
1. "utterance X is not used in any story or rule" when X is sent by our code: a custom action
   names it (`response="X"`), or it is built from content keys (utter_early_sign_<question>,
   utter_red_flag_<kind>), or it is a form's question or its other wording, explanation or reason
   (utter_ask_/utter_reask_/utter_explain_/utter_why_<slot>).
2. "intent EXTERNAL_* ... not found in the NLU training data": those intents are triggered by the
   scheduler through the HTTP API or made by a channel connector, never typed by a patient;
   likewise possible_red_flag and non_english, which RedFlagRuleClassifier sets from the raw text.
3. "duplicated intents ... faq": Rasa 3.6's importer adds a retrieval intent from the NLU data
   to the domain it is already listed in.
4. "intent X ... not found in the NLU training data" when X is only ever a button press: a
   button payload in the domain is `/X` (consent answers, the deletion confirmation), so typed
   text can never be classified as it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# Intents RedFlagRuleClassifier sets from the raw text; patients never type them, so they have
# no training examples (coach/rasa_components/red_flag_classifier.py).
SET_BY_CLASSIFIER = r"The intent '(possible_red_flag|non_english)' is listed in the domain file"
WARNING = re.compile(r"UserWarning: (.*?)(?=\x1b\[0m|$)", re.S)


def _code_text() -> str:
    files = list((REPO / "actions").glob("*.py")) + list((REPO / "coach").rglob("*.py"))
    return "\n".join(path.read_text() for path in files)


def _content_keys() -> set[str]:
    checkin = yaml.safe_load((REPO / "coach/content/checkin.yml").read_text())
    flags = yaml.safe_load((REPO / "coach/content/red_flags.yml").read_text())
    clinical = yaml.safe_load((REPO / "coach/content/clinical.yml").read_text())
    keys = {f"utter_early_sign_{key}" for key in checkin["early_sign_questions"]}
    keys |= {f"utter_red_flag_{kind}" for kind in flags["flags"]}
    keys |= {f"utter_red_flag_{kind}" for kind in clinical["escalation_levels"]}
    symptoms = yaml.safe_load((REPO / "coach/content/symptoms.yml").read_text())
    keys |= set((symptoms.get("coaching") or {}).values())
    return keys


def _form_questions() -> set[str]:
    """A form's questions, and their other wordings / explanations (chosen by the slot name)."""
    checkin = yaml.safe_load((REPO / "coach/content/checkin.yml").read_text())
    keys = {f"early_sign_{key}" for key in checkin["early_sign_questions"]} | {"saq"}
    names = set()
    for path in (REPO / "domain").glob("*.yml"):
        forms = yaml.safe_load(path.read_text()).get("forms") or {}
        for form in forms.values():
            for suffix in set(form["required_slots"]) | keys:
                names |= {f"{prefix}{suffix}" for prefix in _FORM_PREFIXES}
    return names


_FORM_PREFIXES = ("utter_ask_", "utter_reask_", "utter_explain_", "utter_why_")


def _button_intents() -> set[str]:
    names = set()
    for path in (REPO / "domain").glob("*.yml"):
        responses = yaml.safe_load(path.read_text()).get("responses") or {}
        for variants in responses.values():
            for variant in variants or []:
                for button in variant.get("buttons") or []:
                    payload = str(button.get("payload", ""))
                    if payload.startswith("/"):
                        names.add(payload[1:].split("{", 1)[0])
    return names


def main() -> int:
    result = subprocess.run(
        [
            str(REPO / ".venv-rasa/bin/rasa"),
            "data",
            "validate",
            "--data",
            "data",
            "--domain",
            "domain",
            "--config",
            "config.yml",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "RASA_TELEMETRY_ENABLED": "false"},
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        print(output)
        print("rasa data validate failed")
        return 1
    code, content, questions = _code_text(), _content_keys(), _form_questions()
    buttons = _button_intents()
    problems, allowed = [], 0
    for raw in WARNING.findall(output):
        message = raw.strip().splitlines()[0]
        unused = re.match(r"The utterance '([^']+)' is not used in any story or rule", message)
        if unused:
            name = unused.group(1)
            if f'"{name}"' in code or name in content or name in questions or name == "utter_faq":
                allowed += 1
                continue
            problems.append(f"{message} (and no code sends it)")
        elif re.match(r"The intent 'EXTERNAL_\w+' is listed in the domain file", message):
            allowed += 1
        elif re.match(SET_BY_CLASSIFIER, message):
            allowed += 1
        elif (
            button_only := re.match(r"The intent '(\w+)' is listed in the domain file", message)
        ) and button_only.group(1) in buttons:
            allowed += 1
        elif message == (
            "The following duplicated intents have been found across multiple domain files: faq"
        ):
            allowed += 1
        else:
            problems.append(message)
    for problem in problems:
        print(f"WARNING: {problem}")
    print(f"rasa data validate: {len(problems)} problems, {allowed} reviewed warnings allowed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
