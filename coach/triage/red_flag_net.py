"""A trained second net for red flags: logistic regression on hashed word and character n-grams.

The rules (`red_flags.py`) read phrasings someone wrote an expression for; this net reads the
words of every labelled patient sentence and generalises to phrasings nobody wrote a rule for
("sorted the will and found the dog a new home", "my texts came out as gibberish"). It only adds:
a kind the rules found is never removed, and a kind the rules saw but context cancelled ("my gran
had a stroke", "no pain") is left cancelled. Its threshold is in `red_flag_net.yml`.

Pure numpy and scipy (both environments have them), so the Rasa NLU pipeline and the action
server read the same weights. `scripts/train_red_flag_net.py` trains it; the weights are
deterministic for a given corpus (L-BFGS from zeros).
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

CONFIG_FILE = "red_flag_net.yml"
# settings that change the weights (the threshold and window only change how they are read)
TRAINING_KEYS = (
    "kinds",
    "buckets",
    "regularisation_c",
    "max_iterations",
    "min_document_frequency",
    "negatives_except",
)
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")  # "[left](side)" -> "left"
_WORD = re.compile(r"\b\w\w+\b")  # words of two characters or more
_SENTENCE_END = re.compile(r"(?<=[.!?\n])\s*")


@dataclass(frozen=True)
class Featuriser:
    """Text -> sparse tf-idf features: word 1-2-grams and character 3-5-grams in word bounds,
    hashed into two halves of one space, each half L2-normalised."""

    buckets: int  # per half

    def counts(self, text: str) -> tuple[Counter[int], Counter[int]]:
        """Hashed n-gram counts of `text`: (words, characters)."""
        clean = _fold(text)
        words = _WORD.findall(clean)
        word_grams = words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
        char_grams = []
        for word in clean.split():
            padded = f" {word} "
            for n in (3, 4, 5):
                char_grams += [padded[i : i + n] for i in range(max(1, len(padded) - n + 1))]
        return (
            Counter(self._bucket("w", gram) for gram in word_grams),
            Counter(self.buckets + self._bucket("c", gram) for gram in char_grams),
        )

    def _bucket(self, prefix: str, gram: str) -> int:
        return zlib.crc32(f"{prefix}:{gram}".encode()) % self.buckets

    def vector(self, text: str, idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Feature indices and values (sublinear tf x idf, each half of unit length)."""
        indices: list[int] = []
        values: list[float] = []
        for half in self.counts(text):
            if not half:
                continue
            keys = np.fromiter(half.keys(), dtype=np.int64, count=len(half))
            tf = 1.0 + np.log(np.fromiter(half.values(), dtype=np.float64, count=len(half)))
            weights = tf * idf[keys]
            kept = weights > 0
            keys, weights = keys[kept], weights[kept]
            if not len(keys):
                continue
            norm = math.sqrt(float(weights @ weights)) or 1.0
            indices.extend(keys.tolist())
            values.extend((weights / norm).tolist())
        return np.asarray(indices, dtype=np.int64), np.asarray(values, dtype=np.float64)


def _fold(text: str) -> str:
    """Lower-case text without diacritics."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class RedFlagNet:
    """Trained weights: one logistic regression per red-flag kind over shared features."""

    kinds: tuple[str, ...]
    featuriser: Featuriser
    idf: np.ndarray  # per feature
    weights: np.ndarray  # kinds x features
    intercepts: np.ndarray  # per kind
    threshold: float
    window_chars: int  # longer messages are read sentence by sentence

    def probabilities(self, text: str) -> dict[str, tuple[float, str]]:
        """Each kind's highest probability over the windows of `text`, and that window."""
        best = {kind: (0.0, "") for kind in self.kinds}
        for window in self.windows(text):
            indices, values = self.featuriser.vector(window, self.idf)
            if not len(indices):
                continue
            scores = self.weights[:, indices] @ values + self.intercepts
            for kind, score in zip(self.kinds, scores.tolist(), strict=True):
                probability = _sigmoid(score)
                if probability > best[kind][0]:
                    best[kind] = (probability, window)
        return best

    def findings(self, text: str) -> list[tuple[str, float, str]]:
        """(kind, probability, window) for each kind at or above the threshold."""
        return [
            (kind, probability, window)
            for kind, (probability, window) in self.probabilities(text).items()
            if probability >= self.threshold
        ]

    def windows(self, text: str) -> list[str]:
        """The message when it is short; else each sentence and each pair of neighbours (the
        net learnt from messages of one to four sentences: a long one would dilute a sign).
        A sentence longer than `window_chars` (voice typing) is cut at spaces."""
        if len(text) <= self.window_chars:
            return [text]
        pieces = [
            chunk
            for sentence in _SENTENCE_END.split(text)
            for chunk in _chunks(sentence.strip(), self.window_chars)
        ]
        return pieces + [f"{a} {b}" for a, b in zip(pieces, pieces[1:], strict=False)]


def _chunks(sentence: str, size: int) -> list[str]:
    """`sentence` in runs of whole words of at most about `size` characters."""
    chunks: list[str] = []
    current = ""
    for word in sentence.split():
        if current and len(current) + 1 + len(word) > size:
            chunks.append(current)
            current = ""
        current = f"{current} {word}" if current else word
    return [*chunks, current] if current else chunks


def _sigmoid(score: float) -> float:
    """The logistic function, without overflow for large scores of either sign."""
    if score >= 0:
        return 1.0 / (1.0 + math.exp(-score))
    exp = math.exp(score)
    return exp / (1.0 + exp)


def train(
    texts: Sequence[str], labels: Sequence[str | None], config: dict[str, Any]
) -> dict[str, np.ndarray]:
    """Weights for `config['kinds']` from labelled texts (label: a kind, or None for none)."""
    from scipy.optimize import minimize
    from scipy.sparse import csr_matrix
    from scipy.special import expit

    featuriser = Featuriser(buckets=int(config["buckets"]))
    size = 2 * featuriser.buckets
    counts = [featuriser.counts(text) for text in texts]
    document_frequency = np.zeros(size)
    for words, chars in counts:
        document_frequency[list(words)] += 1
        document_frequency[list(chars)] += 1
    n = len(texts)
    idf = np.log((1.0 + n) / (1.0 + document_frequency)) + 1.0
    # an n-gram seen in one sentence only is that author's, not the language's: dropped
    idf[document_frequency < int(config["min_document_frequency"])] = 0.0
    rows, cols, vals = [], [], []
    for row, text in enumerate(texts):
        indices, values = featuriser.vector(text, idf)
        rows += [row] * len(indices)
        cols += indices.tolist()
        vals += values.tolist()
    features = csr_matrix((vals, (rows, cols)), shape=(n, size))
    kinds = list(config["kinds"])
    weights = np.zeros((len(kinds), size), dtype=np.float32)
    intercepts = np.zeros(len(kinds))
    c = float(config["regularisation_c"])
    for k, kind in enumerate(kinds):
        y = np.array([label == kind for label in labels], dtype=np.float64)
        positives = y.sum()
        # balanced classes: each class weighs half of the loss
        sample = np.where(y == 1, n / (2 * positives), n / (2 * (n - positives)))

        def loss(theta: np.ndarray, y: np.ndarray = y, sample: np.ndarray = sample) -> Any:
            w, b = theta[:-1], theta[-1]
            z = features @ w + b
            # log(1 + exp(-z)) for y=1 and log(1 + exp(z)) for y=0, stably
            signed = np.where(y == 1, -z, z)
            value = c * float(sample @ np.logaddexp(0.0, signed)) + 0.5 * float(w @ w)
            p = expit(z)
            residual = c * sample * (p - y)
            gradient = np.append(features.T @ residual + w, residual.sum())
            return value, gradient

        result = minimize(
            loss,
            np.zeros(size + 1),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": int(config["max_iterations"])},
        )
        weights[k] = result.x[:-1]
        intercepts[k] = result.x[-1]
    return {"idf": idf.astype(np.float32), "weights": weights, "intercepts": intercepts}


def load_config(content_dir: Path) -> dict[str, Any]:
    """The net's reviewed settings (kinds, threshold, feature space, training corpus)."""
    return yaml.safe_load((content_dir / CONFIG_FILE).read_text(encoding="utf-8"))


@lru_cache(maxsize=4)
def load_net(content_dir: Path) -> RedFlagNet | None:
    """The trained net named in the content folder's config; None when it is switched off."""
    config = load_config(content_dir)
    if not config.get("enabled", True):
        return None
    stored = np.load(content_dir / config["weights_file"])
    return RedFlagNet(
        kinds=tuple(config["kinds"]),
        featuriser=Featuriser(buckets=int(config["buckets"])),
        idf=stored["idf"].astype(np.float64),
        weights=stored["weights"].astype(np.float32),
        intercepts=stored["intercepts"].astype(np.float64),
        threshold=float(config["threshold"]),
        window_chars=int(config["window_chars"]),
    )


def load_corpus(repo_dir: Path, config: dict[str, Any]) -> tuple[list[str], list[str | None]]:
    """The training texts and their labels (a red-flag kind, or None): the labelled corpus, and
    every NLU training example of an intent that is not a red flag, as a negative."""
    texts: list[str] = []
    labels: list[str | None] = []
    for path in _files(repo_dir, config["corpus"]):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for sentence in data["sentences"]:
            texts.append(sentence["text"])
            labels.append(sentence.get("flag"))
    for path in _files(repo_dir, [config["negatives"]]):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" not in block or block["intent"] in config["negatives_except"]:
                continue
            for line in block["examples"].splitlines():
                example = _ANNOTATION.sub(r"\1", line.strip().removeprefix("- ").strip())
                if example:
                    texts.append(example)
                    labels.append(None)
    return texts, labels


def _files(repo_dir: Path, patterns: Sequence[str]) -> list[Path]:
    """The files each glob names, in order (sorted within a glob)."""
    return [path for pattern in patterns for path in sorted(repo_dir.glob(pattern))]


def corpus_digest(repo_dir: Path, config: dict[str, Any]) -> str:
    """sha256 over the training settings and the labelled texts (comments and layout of the
    corpus files do not count)."""
    digest = hashlib.sha256()
    for key in TRAINING_KEYS:
        digest.update(f"{key}={config[key]}\n".encode())
    texts, labels = load_corpus(repo_dir, config)
    for text, label in zip(texts, labels, strict=True):
        digest.update(f"{label or '-'}\t{text}\n".encode())
    return digest.hexdigest()
