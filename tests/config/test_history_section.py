"""The hall file's `[history]` table (defaults, a PostgreSQL URL, per-service targets), the
`[screen]` notice's limit, and mistakes named by line and key."""

from __future__ import annotations

from pathlib import Path

from hall.contract.config import check_config_text

from .hallfile import BASE, error_of


def test_without_history_the_sqlite_file_is_beside_the_store(tmp_path: Path) -> None:
    config = check_config_text(BASE, "hall.toml", base_dir=tmp_path)
    history = config.history
    assert history.enabled and history.url is None
    assert history.path == tmp_path / "var" / f"history-{config.hall.id}.sqlite3"
    assert history.retention_days == 400 and history.service_level_target_s is None


def test_a_shared_database_and_targets_per_service(tmp_path: Path) -> None:
    text = (
        BASE
        + '\n[history]\nurl = "postgresql://hall@db/halls"\nretention_days = 730\n'
        + "service_level_target_s = 600\n\n[history.service_targets]\nA = 900\n"
    )
    history = check_config_text(text, "hall.toml", base_dir=tmp_path).history
    assert history.url == "postgresql://hall@db/halls" and history.retention_days == 730
    assert history.service_level_target_s == 600 and history.service_targets == (("A", 900),)


def test_history_mistakes_name_their_line_and_key() -> None:
    lines = BASE.count("\n")
    assert error_of(BASE + '\n[history]\nurl = "mysql://db/halls"\n') == (
        f"hall.toml:{lines + 3}: history.url: expected a postgresql:// URL, got one starting "
        '"mysql" (leave url out to keep the history in a SQLite file)'
    )
    assert error_of(BASE + "\n[history]\nretention_days = 0\n").startswith(
        f"hall.toml:{lines + 3}: history.retention_days: "
    )
    message = error_of(BASE + "\n[history.service_targets]\nZ = 60\n")
    assert message.startswith(f"hall.toml:{lines + 3}: history.service_targets.Z: unknown key")


def test_the_notice_is_limited_as_on_the_dashboard(tmp_path: Path) -> None:
    """A notice the dashboard could not edit again (over 200 characters) is refused."""
    lines = BASE.count("\n")
    fits = BASE + '\n[screen]\nnotice = "' + "办" * 200 + '"\n'
    assert check_config_text(fits, "hall.toml", base_dir=tmp_path).screen.notice == "办" * 200
    assert error_of(BASE + '\n[screen]\nnotice = "' + "办" * 201 + '"\n').startswith(
        f"hall.toml:{lines + 3}: screen.notice: expected text of at most 200 characters, got "
    )
