"""Compares a clip's metrics with the patient's baseline clip against configured thresholds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from coach.clips.config import DIRECTIONS, ClipConfig
from coach.clips.signals import SIDES

INCREASE, DECREASE = DIRECTIONS


@dataclass(frozen=True)
class BaselineChange:
    """One metric that moved past its threshold since the baseline."""

    metric: str
    baseline: float
    current: float
    change: float
    direction: str
    min_change: float


@dataclass
class BaselineComparison:
    """Metrics compared with the baseline and those that crossed their thresholds."""

    compared: list[str] = field(default_factory=list)
    crossed: list[BaselineChange] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"compared": self.compared, "crossed": [asdict(c) for c in self.crossed]}


def baseline_metrics(baseline: Mapping[str, Any]) -> Mapping[str, Any]:
    """The flat metrics of a baseline given as a report dict or as its `metrics` mapping."""
    inner = baseline.get("metrics")
    return inner if isinstance(inner, Mapping) else baseline


def _rules(config: ClipConfig) -> dict[str, dict[str, Any]]:
    """Threshold rule per flat metric name (per-side rules expanded to both sides)."""
    rules = {
        f"{name}.{side}": rule for name, rule in config.baseline.per_side.items() for side in SIDES
    }
    rules.update(config.baseline.overall)
    return rules


def compare_with_baseline(
    current: Mapping[str, Any], baseline: Mapping[str, Any], config: ClipConfig
) -> BaselineComparison:
    """Which configured metrics changed by at least their threshold in their direction."""
    current, baseline = baseline_metrics(current), baseline_metrics(baseline)
    result = BaselineComparison()
    for name, rule in _rules(config).items():
        now, then = current.get(name), baseline.get(name)
        if now is None or then is None:
            continue
        result.compared.append(name)
        change = float(now) - float(then)
        signed = change if rule["direction"] == INCREASE else -change
        if signed >= rule["min_change"]:
            result.crossed.append(
                BaselineChange(
                    metric=name,
                    baseline=float(then),
                    current=float(now),
                    change=round(change, 2),
                    direction=rule["direction"],
                    min_change=float(rule["min_change"]),
                )
            )
    return result
