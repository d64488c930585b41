"""A small Flask service calling an upstream with requests (the legacy side)."""

import requests
from flask import Flask, jsonify, redirect, request


def create_app(config=None):
    app = Flask(__name__)
    app.config["UPSTREAM"] = "http://up.test"
    app.config.update(config or {})

    @app.get("/rate")
    def rate():
        currency = request.args.get("currency", "EUR")
        r = requests.get(f"{app.config['UPSTREAM']}/rates/{currency}", timeout=2)
        if r.status_code == 404:
            return jsonify(error="unknown currency"), 404
        return jsonify(currency=currency, rate=r.json()["rate"])

    @app.post("/orders")
    def order():
        r = requests.post(f"{app.config['UPSTREAM']}/orders", json={"sku": request.form["sku"]},
                          timeout=2)
        return jsonify(r.json()), r.status_code

    @app.post("/echo")
    def echo():
        return jsonify(got=request.get_json(), agent=request.headers.get("X-Agent"))

    @app.get("/old")
    def old():
        return redirect("/rate")

    @app.get("/text")
    def text():
        return "hello", 200, {"Content-Type": "text/plain; charset=utf-8"}

    return app
