"""Breakdowns per 100 messy patient turns (bench/messy_turns.yml), on real Rasa + action servers.

    .venv/bin/python bench/messy_turns.py                       # this checkout ("after")
    .venv/bin/python bench/messy_turns.py --project DIR --label before   # another checkout

Each turn is said to a fresh enrolled patient at the point of the conversation it names; it is
a breakdown when the tracker (slots, active form) or the reply does not match its expectation.
Results: bench/results/messy_turns_<label>.json.
"""

from __future__ import annotations

import argparse
import tempfile
import uuid
from pathlib import Path
from typing import Any

import yaml
from _common import REPO, write_result

from coach.storage.migrate import upgrade
from tests.conftest import add_patient
from tests.e2e.stack import RasaStack, coach_env, free_port

TURNS = REPO / "bench" / "messy_turns.yml"
CHECKIN_PREFIX = ["check in", "ok", "no", "2", "20", "yes", "no", "yes"]
CHECKIN_POINTS = ["face", "early", "sessions", "minutes", "mirror", "forced", "eye", "mood"]
SAQ_PLAIN_ANSWER = "2"


def prefix(at: str) -> list[str]:
    """The plain answers that bring a new patient to the question `at`."""
    if at == "idle":
        return []
    if at.startswith("saq"):
        return ["questionnaire"] + [SAQ_PLAIN_ANSWER] * (int(at[3:]) - 1)
    return CHECKIN_PREFIX[: CHECKIN_POINTS.index(at) + 1]


def _reply_text(messages: list[dict[str, Any]]) -> str:
    parts = []
    for message in messages:
        parts.append(message.get("text") or "")
        parts += [b.get("title", "") for b in message.get("buttons") or []]
    return " ".join(parts)


def _same(actual: Any, expected: Any) -> bool:
    if expected is None or isinstance(expected, bool):
        return actual is expected
    if isinstance(expected, (int, float)):
        return isinstance(actual, (int, float)) and float(actual) == float(expected)
    return actual == expected


def judge(turn: dict[str, Any], tracker: dict[str, Any], reply: str) -> list[str]:
    """What went wrong with this turn (empty: no breakdown)."""
    expect, problems = turn["expect"], []
    slots = tracker.get("slots") or {}
    for slot, value in (expect.get("slots") or {}).items():
        if not _same(slots.get(slot), value):
            problems.append(f"{slot}={slots.get(slot)!r}, expected {value!r}")
    if "loop" in expect:
        loop = (tracker.get("active_loop") or {}).get("name")
        if loop != expect["loop"]:
            problems.append(f"active form {loop!r}, expected {expect['loop']!r}")
    wanted = expect.get("reply_has")
    if wanted and not any(w.lower() in reply.lower() for w in wanted):
        problems.append(f"reply lacks any of {wanted}")
    for unwanted in expect.get("reply_lacks") or []:
        if unwanted.lower() in reply.lower():
            problems.append(f"reply has {unwanted!r}")
    return problems


def run(stack: RasaStack, database_url: str, turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    results = []
    for turn in turns:
        sender = f"messy-{uuid.uuid4().hex[:10]}"
        add_patient(database_url, sender)
        for text in prefix(turn["at"]):
            stack.say(sender, text)
        reply = _reply_text(stack.say(sender, turn["say"]))
        if turn.get("then"):
            reply += " " + _reply_text(stack.say(sender, turn["then"]))
        problems = judge(turn, stack.tracker(sender), reply)
        results.append({"at": turn["at"], "say": turn["say"], "problems": problems})
        print(
            ("BREAKDOWN " if problems else "ok        ")
            + f"{turn['at']:9} {turn['say']!r} {problems}"
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=REPO)
    parser.add_argument("--label", default="after")
    args = parser.parse_args()
    turns = yaml.safe_load(TURNS.read_text())["turns"]
    with tempfile.TemporaryDirectory(prefix="messy-") as folder:
        workdir = Path(folder)
        database_url = f"sqlite:///{workdir / 'coach.db'}"
        upgrade(database_url)
        actions_port = free_port()
        env = coach_env(workdir, database_url, actions_port)
        env["PYTHONPATH"] = str(args.project)
        stack = RasaStack(
            workdir=workdir,
            env=env,
            project_dir=args.project,
            model=args.project / "models" / "coach.tar.gz",
            actions_port=actions_port,
        )
        try:
            stack.start_actions()
            stack.start_rasa()
            results = run(stack, database_url, turns)
        finally:
            stack.stop()
    broken = [r for r in results if r["problems"]]
    write_result(
        f"messy_turns_{args.label}",
        {
            "turns": len(results),
            "breakdowns": len(broken),
            "breakdowns_per_100_turns": round(100 * len(broken) / len(results), 1),
            "broken": broken,
        },
    )


if __name__ == "__main__":
    main()
