import app


def test_summarize() -> None:
    assert app.summarize("incoming/a.txt", b"one two\nthree\n") == {
        "source": "incoming/a.txt",
        "bytes": 14,
        "lines": 2,
        "words": 3,
    }


def test_output_key_drops_the_prefix() -> None:
    assert app.output_key("incoming/reports/a.txt") == "reports/a.txt.json"
