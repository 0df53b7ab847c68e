"""User names shown on the staff page look like what they are: no control or format
characters, and one name however it is cased or in whatever width it is typed."""

from __future__ import annotations

import pytest

from hall.domain import accounts
from hall.domain.accounts import AccountError


@pytest.mark.parametrize("name", ["ad\u202emin", "li\u200d", "zhao\u00ad", "\u2066wang"])
def test_names_with_control_or_format_characters_are_refused(name: str) -> None:
    with pytest.raises(AccountError, match="control or format"):
        accounts.valid_name(name)


def test_names_differing_in_width_or_case_are_one_name() -> None:
    assert accounts.valid_name("赵敏") == "赵敏"
    assert accounts.name_taken("ａｄｍｉｎ", ["root", "admin"]) == "admin"
    assert accounts.name_taken("ADMIN", ["root", "admin"]) == "admin"
    assert accounts.name_taken("admin2", ["root", "admin"]) is None
