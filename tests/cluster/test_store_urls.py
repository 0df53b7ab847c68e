"""`[store] url` for a Redis Cluster and for Redis Sentinel: what the forms mean, and the hall
file checker's messages for what is wrong (never repeating a password)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hall.contract.config import load_config
from hall.contract.store_url import StoreAddress, StoreUrlError, is_many, parse_many
from tests.config.hallfile import BASE, error_of


@pytest.mark.parametrize(
    ("url", "address"),
    [
        (
            "redis+cluster://10.0.0.1:7000,10.0.0.2:7001,redis-3",
            StoreAddress("cluster", (("10.0.0.1", 7000), ("10.0.0.2", 7001), ("redis-3", 6379))),
        ),
        (
            "rediss+cluster://hub:s%40cret@[::1]:7000/",
            StoreAddress("cluster", (("::1", 7000),), tls=True, username="hub", password="s@cret"),
        ),
        (
            "redis+sentinel://:pw@s1:26380,s2/hallmaster/2",
            StoreAddress(
                "sentinel",
                (("s1", 26380), ("s2", 26379)),
                password="pw",
                service="hallmaster",
                db=2,
            ),
        ),
        (
            "REDIS+SENTINEL://s1/mymaster",
            StoreAddress("sentinel", (("s1", 26379),), service="mymaster"),
        ),
    ],
)
def test_the_forms_name_nodes_credentials_service_and_db(url: str, address: StoreAddress) -> None:
    assert is_many(url)
    assert parse_many(url) == address


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://h", "unix:///run/redis.sock", "cluster"]
)
def test_a_single_server_is_not_one_of_them(url: str) -> None:
    assert not is_many(url)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("redis+cluster://a:7000/3", "expected no path in a cluster URL"),
        ("redis+cluster://a:7000?x=1", "expected no query or fragment"),
        ("redis+cluster://a:99999", "expected a port from 1 to 65535"),
        ("redis+cluster://a:7000,,b:7001", "expected host:port, separated by commas"),
        ("redis+sentinel://s1:26379", "expected the sentinels' service name"),
        ("redis+sentinel://s1:26379/my master", "expected the sentinels' service name"),
        ("redis+sentinel://s1/mymaster/x", "expected a database number"),
    ],
)
def test_what_is_wrong_is_said(url: str, problem: str) -> None:
    with pytest.raises(StoreUrlError, match=problem):
        parse_many(url)


def test_the_checker_accepts_the_forms(tmp_path: Path) -> None:
    for url in ("redis+cluster://a:7000,b:7001", "rediss+sentinel://s1,s2:26380/hall/1"):
        path = tmp_path / "hall.toml"
        path.write_text(BASE + f'[store]\nurl = "{url}"\n', encoding="utf-8")
        assert load_config(path).store.url == url


def test_the_checker_names_the_line_and_hides_the_password() -> None:
    message = error_of(BASE + '[store]\nurl = "redis+sentinel://:hunter2@s1:26379"\n')
    assert message == (
        "hall.toml:30: store.url: expected the sentinels' service name after the hosts "
        '(redis+sentinel://host:26379/mymaster/0), got "redis+sentinel://:***@s1:26379"'
    )
    assert "hunter2" not in message
