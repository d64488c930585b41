"""SQLAlchemy engines are timed through engine events; writes are classified; unsampled
requests are not recorded."""

from __future__ import annotations

import json

import sqlalchemy
from flask import Flask

from asyncify.profile import FlaskProfiler


def _app(tmp_path, rate: float) -> tuple[Flask, FlaskProfiler]:
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text("CREATE TABLE t (x INTEGER)"))
    app = Flask(__name__)

    @app.post("/items/<int:n>")
    def add(n: int) -> dict[str, int]:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text("INSERT INTO t VALUES (:n)"), {"n": n})
            total = conn.execute(sqlalchemy.text("SELECT count(*) FROM t")).scalar_one()
        return {"total": total}

    profiler = FlaskProfiler(app, directory=tmp_path / "out", sample_rate=rate, seed=1)
    return app, profiler


def _records(tmp_path) -> list[dict[str, object]]:
    lines = [json.loads(line) for f in (tmp_path / "out").glob("*.jsonl")
             for line in f.read_text().splitlines()]
    return [r for r in lines if r.get("kind") != "process"]


def test_sqlalchemy_statements_are_timed_and_classified(tmp_path):
    app, profiler = _app(tmp_path, 1.0)
    # The record ends when the server closes the response, as gunicorn does.
    with app.test_client().post("/items/3") as response:
        assert response.json == {"total": 1}
    profiler.flush()
    (record,) = _records(tmp_path)
    assert record["route"] == "/items/<int:n>" and record["method"] == "POST"
    assert record["endpoint"] == "add" and record["status"] == 200
    assert record["db_calls"] == 2 and record["db_writes"] == 1
    assert 0 < record["db_s"] <= record["wall_s"]


def test_sampling_skips_requests(tmp_path):
    app, profiler = _app(tmp_path, 0.25)
    client = app.test_client()
    for n in range(40):
        client.post(f"/items/{n}").close()
    profiler.flush()
    records = _records(tmp_path)
    assert 2 <= len(records) <= 20
    assert {r["sample_rate"] for r in records} == {0.25}
