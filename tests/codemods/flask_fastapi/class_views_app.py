"""A Flask app with class-based views, for the class-view differential test: a MethodView
with decorators on the class and on a method, a query argument and a tuple return; a View
with ``methods``, ``init_every_request = False`` and constructor arguments."""

import functools
import itertools

from flask import Blueprint, Flask, jsonify, request
from flask.views import MethodView, View

app = Flask(__name__)
bp = Blueprint("things", __name__, url_prefix="/things")
counter = itertools.count()


def stamp(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if kwargs.get("thing_id") == 13:
            return jsonify(error="unlucky"), 403
        return view(*args, **kwargs)

    return wrapper


class ThingAPI(MethodView):
    decorators = (stamp,)

    def __init__(self):
        self.instance = next(counter)

    def get(self, thing_id: int):
        verbose = request.args.get("verbose", 0, type=int)
        return jsonify(id=thing_id, verbose=verbose, instance=self.instance)

    def put(self, thing_id: int):
        return {"id": thing_id, "replaced": True}, 201, {"X-Replaced": "yes"}

    @stamp
    def delete(self, thing_id: int):
        return "", 204


class Counter(View):
    methods = ("GET", "POST")
    init_every_request = False

    def __init__(self, start):
        self.count = start

    def dispatch_request(self):
        self.count += 1
        return jsonify(count=self.count, method=request.method)


bp.add_url_rule("/<int:thing_id>", view_func=ThingAPI.as_view("thing"))
bp.add_url_rule("/counter", view_func=Counter.as_view("counter", 10))
app.register_blueprint(bp)
