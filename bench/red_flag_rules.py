"""Per-message cost of the safety layer on 10 kB messages: red-flag rules with scoped context
(the trained net included), the net on its own, symptom extraction and language detection, in
the app env and in the Rasa env (spaCy 3.4).

Writes bench/results/red_flag_rules.json (µs per message: median and 95th percentile).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

from _common import REPO, write_result

MESSAGE_BYTES = 10_000
ROUNDS = 30
SENTENCES = [
    "The exercises went fine today and I used the mirror for both sessions.",
    "No pain in my eye, no redness, and my vision is the same as always.",
    "My eye waters a little when I eat but I keep up the drops and the ointment at night.",
    "If my eye ever becomes painful I know I should get same-day care.",
    "My grandmother had a stroke years ago, so I read the leaflet twice.",
    "I can't whistle yet but my top lip is moving more than last week.",
]
ENDINGS = {
    "benign": "Overall a good week.",
    "red_flag_at_the_end": "Also, since an hour ago my left arm feels heavy and my words "
    "come out wrong.",
}
CODE = """
import json, statistics, sys, time
from coach.nlp.language import detect_language
from coach.nlp.symptoms import extract_symptoms
from coach.config import get_settings
from coach.triage.red_flag_net import load_net
from coach.triage.red_flags import assess_red_flags
net = load_net(get_settings().content_dir)
messages, rounds = json.loads(sys.stdin.read())
out = {}
for name, text in messages.items():
    assess_red_flags(text); extract_symptoms(text); detect_language(text)  # warm caches
    rules, symptoms, language, nets, kinds = [], [], [], [], None
    for _ in range(rounds):
        t0 = time.perf_counter(); kinds = [f.kind for f in assess_red_flags(text).flags]
        t1 = time.perf_counter(); extract_symptoms(text)
        t2 = time.perf_counter(); detect_language(text)
        t3 = time.perf_counter(); net.findings(text)
        t4 = time.perf_counter()
        rules.append((t1 - t0) * 1e6); symptoms.append((t2 - t1) * 1e6)
        language.append((t3 - t2) * 1e6); nets.append((t4 - t3) * 1e6)
    q = lambda xs: {"median_us": round(statistics.median(xs)),
                    "p95_us": round(sorted(xs)[int(0.95 * (len(xs) - 1))])}
    out[name] = {"chars": len(text), "kinds": kinds, "red_flag_rules": q(rules),
                 "symptoms": q(symptoms), "language": q(language),
                 "red_flag_net_alone": q(nets)}
print(json.dumps(out))
"""


def messages() -> dict[str, str]:
    """~10 kB messages: many look-alike sentences, then an ending."""
    body, i = [], 0
    while len(" ".join(body)) < MESSAGE_BYTES - 200:
        body.append(SENTENCES[i % len(SENTENCES)])
        i += 1
    return {name: " ".join(body + [ending]) for name, ending in ENDINGS.items()}


def run(python: str) -> dict[str, object]:
    result = subprocess.run(
        [python, "-c", CODE],
        input=json.dumps([messages(), ROUNDS]),
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    started = time.monotonic()
    results = {
        "app_env_spacy_3_8": run(sys.executable),
        "rasa_env_spacy_3_4": run(str(REPO / ".venv-rasa" / "bin" / "python")),
    }
    for env in results.values():
        assert env["benign"]["kinds"] == [], "a benign 10 kB message raised a red flag"
        assert env["red_flag_at_the_end"]["kinds"][:1] == ["stroke"], "missed the red flag"
    write_result(
        "red_flag_rules",
        {
            "message_bytes": MESSAGE_BYTES,
            "rounds": ROUNDS,
            "results": results,
            "median_of_medians_us": statistics.median(
                r["red_flag_rules"]["median_us"] for env in results.values() for r in env.values()
            ),
            "wall_s": round(time.monotonic() - started, 1),
        },
    )


if __name__ == "__main__":
    main()
