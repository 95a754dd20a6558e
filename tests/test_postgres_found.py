"""The PostgreSQL half of the tests finds the usual local server by itself, and says how to run
it when there is none."""

from __future__ import annotations

import pytest

import tests.postgres
from tests.conftest import free_port


def test_without_the_setting_the_usual_local_server_is_used_when_it_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = tests.postgres.server_url()  # the suite's own server, as the rest of it uses
    monkeypatch.delenv(tests.postgres.POSTGRES_ENV, raising=False)
    monkeypatch.setattr(tests.postgres, "DEFAULT_SERVER", url)
    tests.postgres._default_server_answers.cache_clear()
    try:
        assert tests.postgres.server_url() == url
    finally:
        tests.postgres._default_server_answers.cache_clear()


def test_with_no_server_anywhere_the_tests_skip_saying_how_to_run_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    monkeypatch.delenv(tests.postgres.POSTGRES_ENV, raising=False)
    monkeypatch.setattr(tests.postgres, "DEFAULT_SERVER", nowhere)
    tests.postgres._default_server_answers.cache_clear()
    try:
        with pytest.raises(pytest.skip.Exception) as skipped:
            tests.postgres.server_url()
    finally:
        tests.postgres._default_server_answers.cache_clear()
    assert tests.postgres.POSTGRES_ENV in str(skipped.value)
    assert "start one there" in str(skipped.value)
