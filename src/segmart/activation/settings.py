"""Activation settings (`activation.yml` at the project root): minimum audience sizes and
priority lists.

    min_audience_size: 100          # every destination; Meta recommends at least 100
    destinations:
      email: {min_audience_size: 1}
    priority_lists:
      offers: [high_value_cart_abandoners, cart_abandoners, churn_risk]

A person in several segments of one priority list is exported only to the first of them
(Hightouch's and Census's "priority lists"): a customer never gets two competing offers.
Segments in no list are exported as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_MIN_AUDIENCE_SIZE = 100


class SettingsError(ValueError):
    """activation.yml is not what it should be; the message says what."""


@dataclass(frozen=True)
class Settings:
    min_audience_size: int = DEFAULT_MIN_AUDIENCE_SIZE
    destination_min_audience_size: dict[str, int] = field(default_factory=dict)
    priority_lists: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def min_size(self, destination: str) -> int:
        return self.destination_min_audience_size.get(destination, self.min_audience_size)

    def priority_of(self) -> dict[str, tuple[str, int]]:
        """segment -> (list name, rank in it)."""
        return {segment: (name, rank) for name, segments in self.priority_lists.items()
                for rank, segment in enumerate(segments)}


def _size(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SettingsError(f"{where} must be a whole number >= 1, not {value!r}")
    return value


def load_settings(path: Path | None) -> Settings:
    """Read activation.yml; a missing file gives the defaults."""
    if path is None or not path.exists():
        return Settings()
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a mapping at the top")
    unknown = set(data) - {"min_audience_size", "destinations", "priority_lists"}
    if unknown:
        raise SettingsError(f"{path}: unknown keys {sorted(unknown)}")
    minimum = _size(data.get("min_audience_size", DEFAULT_MIN_AUDIENCE_SIZE),
                    f"{path}: min_audience_size")
    per_destination = {
        name: _size((options or {}).get("min_audience_size", minimum),
                    f"{path}: destinations.{name}.min_audience_size")
        for name, options in (data.get("destinations") or {}).items()}
    lists: dict[str, tuple[str, ...]] = {}
    seen: dict[str, str] = {}
    for name, segments in (data.get("priority_lists") or {}).items():
        if not isinstance(segments, list) or not all(isinstance(s, str) for s in segments):
            raise SettingsError(f"{path}: priority_lists.{name} must be a list of segments")
        for segment in segments:
            if segment in seen:
                raise SettingsError(f"{path}: segment {segment!r} is in priority lists "
                                    f"{seen[segment]!r} and {name!r}; one list each")
            seen[segment] = name
        lists[str(name)] = tuple(segments)
    return Settings(minimum, per_destination, lists)
