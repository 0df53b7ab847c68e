"""The hall file's `[documents]` table: the key from a file or inline (never shown), the
folder beside the store by default, limits, and mistakes named by line and key."""

from __future__ import annotations

from pathlib import Path

from hall.contract.config import check_config_text
from hall.contract.config_documents import documents_warnings

from .hallfile import BASE, error_of

KEY = "0123456789abcdef" * 4


def test_without_the_table_no_pages_are_kept(tmp_path: Path) -> None:
    assert check_config_text(BASE, "hall.toml", base_dir=tmp_path).documents is None


def test_the_key_file_and_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "documents.key").write_text(KEY + "\n")
    text = BASE + '\n[documents]\nkey_file = "documents.key"\n'
    config = check_config_text(text, "hall.toml", base_dir=tmp_path)
    documents = config.documents
    assert documents is not None
    assert documents.key == bytes.fromhex(KEY)
    assert documents.path == tmp_path / "var" / f"documents-{config.hall.id}"
    assert documents.kinds == ("jpeg", "png", "pdf") and documents.max_pages == 30
    assert documents.retention_s == 7 * 86400 and documents.link_ttl_s == 86400
    assert KEY not in repr(config)


def test_limits_and_types(tmp_path: Path) -> None:
    text = (
        BASE
        + f'\n[documents]\nkey = "{KEY}"\npath = "scans"\nmax_bytes = 2048\nmax_pages = 5\n'
        + 'types = ["pdf", "png"]\nretention_hours = 2\nlink_ttl_s = 600\n'
    )
    documents = check_config_text(text, "hall.toml", base_dir=tmp_path).documents
    assert documents is not None
    assert documents.path == tmp_path / "scans" and documents.kinds == ("pdf", "png")
    assert (documents.max_bytes, documents.max_pages) == (2048, 5)
    assert (documents.retention_s, documents.link_ttl_s) == (7200, 600)


def test_documents_mistakes_name_their_line_and_key_never_the_key() -> None:
    lines = BASE.count("\n")
    message = error_of(BASE + '\n[documents]\nkey = "not-hex-secret"\n')
    assert message == (
        f"hall.toml:{lines + 3}: documents.key: expected 64 hex digits (32 bytes): "
        "openssl rand -hex 32"
    )
    assert "not-hex-secret" not in message
    message = error_of(BASE + '\n[documents]\nkey_file = "missing.key"\n')
    assert message.startswith(f"hall.toml:{lines + 3}: documents.key_file: cannot read the key")
    message = error_of(BASE + "\n[documents]\nmax_pages = 3\n")
    assert message.startswith(f"hall.toml:{lines + 2}: documents: give the documents key")
    message = error_of(BASE + f'\n[documents]\nkey = "{KEY}"\ntypes = ["gif"]\n')
    assert message.startswith(f"hall.toml:{lines + 4}: documents.types: expected one of")


def test_check_config_warns_when_pages_may_go_before_the_back_office_has_them(
    tmp_path: Path,
) -> None:
    text = BASE + f'\n[documents]\nkey = "{KEY}"\nretention_hours = 24\n'
    warnings = documents_warnings(check_config_text(text, "hall.toml", base_dir=tmp_path))
    assert len(warnings) == 3
    assert "no [portal]" in warnings[0] and "under the 72 hours" in warnings[1]
    # A pad page without a token: anyone on the hall network reads the pages at its window.
    assert warnings[2].startswith("documents: window pad pad-1 has no token")
    guarded = text.replace('kind = "window_pad"', 'kind = "window_pad"\ntoken = "' + "t" * 16 + '"')
    assert guarded != text
    warned = documents_warnings(check_config_text(guarded, "hall.toml", base_dir=tmp_path))
    assert not any("token" in w for w in warned)
    plain = check_config_text(BASE, "hall.toml", base_dir=tmp_path)
    assert documents_warnings(plain) == []
