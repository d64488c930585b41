from datetime import datetime
from decimal import Decimal

from flask import Blueprint, Flask, abort, g, jsonify, redirect, request, url_for
from werkzeug.exceptions import HTTPException

app = Flask(__name__)
bp = Blueprint("items", __name__, url_prefix="/api/items")
admin = Blueprint("admin", __name__, url_prefix="/admin")


def check_token():
    if request.headers.get("X-Token") != "s3cret":
        return jsonify(error="unauthorized"), 401, {"WWW-Authenticate": "Token"}
    g.user = "root"
    return None


admin.before_request(check_token)


@bp.get("/")
def list_items():
    page = request.args.get("page", 1, type=int)
    q = request.args.get("q")
    return jsonify(page=page, q=q, items=["é", "b"], when=datetime(2024, 1, 2, 3, 4, 5))


@bp.get("/<int:item_id>")
def item(item_id):
    if item_id > 100:
        abort(404, description=f"item {item_id} not found")
    return {"id": item_id, "price": Decimal("1.50"), "b": 1, "a": 2}


@bp.get("/special")
def special():
    return "hello <b>world</b>"


@bp.get("/tags")
def tags():
    return {"tags": request.args.getlist("t")}


@bp.post("/")
def create():
    payload = request.get_json()
    return jsonify(created=payload), 201, {"X-Created": "1", "Location": url_for("items.item", item_id=7)}


@bp.post("/form")
def form():
    name = request.form.get("name", "")
    if not name:
        abort(400, description="name is required")
    return redirect(url_for("items.list_items", q=name))


@bp.route("/teapot", methods=["GET", "POST"])
def teapot():
    return jsonify(method=request.method), 418


@admin.get("/whoami")
def whoami():
    return {"user": g.user}


@app.get("/old")
def old():
    return redirect("/api/items/")


@app.errorhandler(404)
def not_found(exc):
    return jsonify(error="not_found", message=exc.description), 404


@app.errorhandler(HTTPException)
def http_error(exc):
    return jsonify(error=exc.name, message=exc.description), exc.code


app.register_blueprint(bp)
app.register_blueprint(admin)
