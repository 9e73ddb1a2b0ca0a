"""The Rasa launcher turns the system's settings into Rasa's stores (tracker and lock), refusing what Rasa cannot use."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml

from scripts.rasa_server import REPO, LaunchError, endpoints, write_endpoints


def test_postgresql_hub_keeps_the_dialogue_state_in_its_rasa_schema() -> None:
    config, extra = endpoints(
        {"DATABASE_URL": "postgresql+psycopg://hub:s3cret@db.internal:5432/hub", "REDIS_URL": "redis://cache:6380/2"}
    )
    assert config["tracker_store"] == {"type": "SQL", "url": "postgresql://hub:s3cret@db.internal:5432/hub"}
    assert extra["POSTGRESQL_SCHEMA"] == "rasa"
    assert config["lock_store"] == {"type": "redis", "url": "cache", "port": 6380, "db": 2, "key_prefix": "rasa"}
    assert int(extra["TICKET_LOCK_LIFETIME"]) > 15  # longer than the hub waits for a reply


def test_the_embedded_default_is_a_sqlite_file_beside_the_hubs() -> None:
    config, extra = endpoints({})
    assert config["tracker_store"] == {"type": "SQL", "url": f"sqlite:///{REPO / 'var' / 'rasa' / 'tracker.db'}"}
    assert "POSTGRESQL_SCHEMA" not in extra
    assert config["lock_store"]["port"] == 6390  # the embedded Redis of `make run`


def test_an_explicit_tracker_store_wins_and_redis_passwords_are_decoded() -> None:
    config, extra = endpoints(
        {
            "RASA_TRACKER_STORE_URL": "rediss://:p%40ss@cache.internal:6379/4",
            "REDIS_URL": "redis://user:p%40ss@cache.internal/0",
        }
    )
    assert config["tracker_store"] == {
        "type": "redis",
        "url": "cache.internal",
        "port": 6379,
        "db": 4,
        "password": "p@ss",
        "use_ssl": True,
        "key_prefix": "rasa",
    }
    assert config["lock_store"]["username"] == "user" and config["lock_store"]["password"] == "p@ss"
    assert "POSTGRESQL_SCHEMA" not in extra
    assert "tracker_store" not in endpoints({"RASA_TRACKER_STORE_URL": "memory"})[0]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("RASA_TRACKER_STORE_URL", "mongodb://db/rasa"),
        ("RASA_TRACKER_STORE_URL", "redis://cache/notanumber"),
        ("REDIS_URL", "http://cache:6379/0"),
    ],
)
def test_settings_rasa_cannot_use_are_refused_before_it_starts(variable: str, value: str) -> None:
    with pytest.raises(LaunchError):
        endpoints({variable: value})


def test_the_written_file_keeps_the_action_token_out_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "endpoints.yml"
    write_endpoints(path, {"REDIS_URL": "redis://:secret@127.0.0.1:6379/0"})
    written = yaml.safe_load(path.read_text())
    assert written["action_endpoint"]["headers"]["X-Action-Token"] == "${ACTION_SERVER_TOKEN}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
