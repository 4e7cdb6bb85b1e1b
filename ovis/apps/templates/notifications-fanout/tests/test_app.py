import app


def test_format_line() -> None:
    attrs = {"level": {"Type": "String", "Value": "warn"}}
    assert app.format_line("Disk", "90% full", attrs) == "[warn] Disk: 90% full"
    assert app.format_line(None, "hi", {}) == "[info] (no subject): hi"


def test_handler() -> None:
    event = {"Records": [{"Sns": {"Subject": "S", "Message": "M", "MessageAttributes": {}}}]}
    assert app.handler(event, None) == {"lines": ["[info] S: M"]}
