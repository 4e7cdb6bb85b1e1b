import app
import pytest


def test_report() -> None:
    assert app.run_task("report", 1700000000.5)["at"] == 1700000000


def test_unknown_task() -> None:
    with pytest.raises(ValueError, match="unknown task"):
        app.run_task("nope", 0)
