"""The shipped simulation profiles the benchmarks run (`config/simulation/`): each day's
profile with the hall it is simulated in."""

from __future__ import annotations

from hall.contract.config import load_config
from hall.contract.config_base import read_config_text
from hall.domain.config import HallConfig
from hall.simulation.profile import DayProfile, load_profile

from .infra import ROOT

CONFIG = ROOT / "config" / "simulation"
# (day profile, hall file)
SHIPPED = (
    ("district-day.toml", "district-hall.toml"),
    ("city-day.toml", "city-hall.toml"),
    ("understaffed-day.toml", "district-hall.toml"),
)
OVERLOADED = frozenset({"understaffed-day.toml"})  # a peak above capacity: a lower target


def shipped_hall(hall_file: str) -> HallConfig:
    return load_config(CONFIG / hall_file)


def shipped_day(profile_file: str, hall: HallConfig) -> DayProfile:
    path = CONFIG / profile_file
    return load_profile(read_config_text(path), str(path), hall)
