"""`[[users]]` with roles, staff numbers, PINs and cards, and `[staff]`: what reads, and
each mistake with its message and line."""

from __future__ import annotations

from hall.hub.staff import card_digest
from hall.web.sessions import hash_password

from .hallfile import BASE, check, error_of

HASH = hash_password("pw")
USER = f'\n[[users]]\nname = "li"\npassword_hash = "{HASH}"\n'  # lines 30-32 after BASE


def test_roles_staff_numbers_pins_and_cards_read() -> None:
    card = card_digest("card-1")
    text = (
        BASE
        + USER
        + f'role = "clerk"\nstaff = "1001"\npin_hash = "{HASH}"\ncard_hash = "{card}"\n'
        + f'\n[[users]]\nname = "old"\npassword_hash = "{HASH}"\nrole = "viewer"\n'
        + "\n[staff]\nrequire_pin = true\n"
    )
    config = check(text)
    clerk, old = config.users
    assert (clerk.role, clerk.staff, clerk.pin_hash, clerk.card_hash) == (
        "clerk",
        "1001",
        HASH,
        card,
    )
    assert old.role == "viewer" and old.staff is None and not old.disabled  # an older file
    assert config.staff.require_pin
    assert not check(BASE).staff.require_pin


def test_each_mistake_names_its_line_and_key() -> None:
    assert error_of(BASE + USER + 'role = "boss"\n') == (
        "hall.toml:33: users[1].role: expected one of clerk, auditor, manager, administrator, "
        'viewer, got "boss"'
    )
    assert error_of(BASE + USER + 'staff = "A1"\n') == (
        'hall.toml:33: users[1].staff: expected 1 to 16 digits, got "A1"'
    )
    assert error_of(BASE + USER + 'pin_hash = "1234"\n') == (
        "hall.toml:33: users[1].pin_hash: expected an argon2 hash (make one with "
        "`hall hash-password --pin`)"
    )
    twice = BASE + USER + 'staff = "7"\n' + USER.replace('"li"', '"wang"') + 'staff = "7"\n'
    assert error_of(twice) == 'hall.toml:38: users[2].staff: duplicate staff number "7"'
    assert error_of(BASE + "\n[staff]\nrequire_pin = 1\n") == (
        "hall.toml:31: staff.require_pin: expected true or false, got 1"
    )
    reader = BASE.replace('kind = "kiosk"', 'kind = "kiosk"\ncard_reader = true')
    assert error_of(reader) == (
        "hall.toml:24: devices[1].card_reader: not allowed for a kiosk (pads only)"
    )
