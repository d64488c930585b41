"""Never touches the client or requests: the recipe must leave it byte-identical."""


def add(a, b):
    return a + b


def test_add():
    data = {"client": "x"}
    assert add(1, 2) == 3 and data["client"] == "x"
