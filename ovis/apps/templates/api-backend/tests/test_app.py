import json

import app


def test_health() -> None:
    out = app.route("GET", "/health", "")
    assert out["statusCode"] == 200
    assert json.loads(out["body"])["ok"] is True


def test_items_round_trip() -> None:
    created = app.route("POST", "/items", json.dumps({"id": "a1", "name": "first"}))
    assert created["statusCode"] == 201
    got = app.route("GET", "/items/a1", "")
    assert json.loads(got["body"]) == {"id": "a1", "name": "first"}


def test_refusals() -> None:
    assert app.route("GET", "/nowhere", "")["statusCode"] == 404
    assert app.route("DELETE", "/health", "")["headers"]["allow"] == "GET"
    assert app.route("POST", "/items", "not json")["statusCode"] == 400
