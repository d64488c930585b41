"""Which ``requests.Session`` objects of a file can become an ``httpx.AsyncClient``, decided once
per file before the rewrite (ASY204 rewrites the calls, ASY205 the constructor and settings).

A session is converted only when every use of it is one the rewrite handles: each verb call
is a site the project index resolved to ``requests.Session.<verb>`` in a function that is (or
becomes) async, each setting has an httpx equivalent, and the object never leaves the place
it was created in (``self.<attr>`` in its class, or a local name). Otherwise it stays a
``requests.Session``, and its calls in async code run in a worker thread, with the reasons.

A session of an *adopted* class (``FileContext.adopted``: the legacy app creates the object,
and the twin takes it over with ``asyncify.compat.adopt``) is set up by the legacy
``__init__`` and converted at run time (mounted ``Retry`` objects, hooks and pools included):
only its uses in the methods that become async are judged, and its calls keep requests' URL,
params and timeout rules (the ``RequestsAsyncClient`` applies them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from .._rule import bound_name, dotted
from ._kwargs import VERBS, client_only_reason, split_call

if TYPE_CHECKING:
    from .._engine import Pass

SCRATCH = "requests_httpx.sessions"
_CONSTRUCTORS = frozenset({"requests.Session", "requests.session", "requests.sessions.Session"})
# Attributes httpx clients keep settable (httpx:compat §Client instances).
_SETTABLE = frozenset({"headers", "params", "cookies", "auth"})
# Response attributes a streamed response may use inside ``async with client.stream(...)``.
_STREAM_SAFE = frozenset({"status_code", "headers", "encoding", "url", "raise_for_status",
                          "ok", "reason"})


@dataclass(eq=False)
class Session:
    """One ``requests.Session()`` and the verdict on it."""

    receiver: str  # "self.session" or "s", as written
    constructor: cst.Call
    reasons: list[str] = field(default_factory=list)
    retries: cst.BaseExpression | None = None
    used_async: bool = False  # some use sits in code that is (or becomes) async
    has_params: bool = False  # session.params is set (httpx then drops URL query strings)
    adopted: bool = False  # a RequestsAsyncClient at run time (compat.adopt)
    # Adopted sessions: what keeps one method's calls sync (the others still convert).
    local: dict[str, list[str]] = field(default_factory=dict)

    @property
    def converts(self) -> bool:
        return not self.reasons

    def why(self, qualname: str | None = None) -> str:
        """Why the session's calls (in ``qualname``, for an adopted session) stay requests;
        empty when they convert."""
        reasons = [*self.reasons, *self.local.get(qualname or "", ())]
        return "; ".join(dict.fromkeys(reasons))


@dataclass
class Stream:
    """A ``stream=True`` response read in the function that made it."""

    name: str


@dataclass
class Sessions:
    calls: dict[int, Session] = field(default_factory=dict)  # id(verb Call) → session
    constructors: dict[int, Session] = field(default_factory=dict)
    mounts: dict[int, Session] = field(default_factory=dict)  # id(statement) → session
    settings: dict[int, Session] = field(default_factory=dict)  # id(params Assign)
    closes: dict[int, Session] = field(default_factory=dict)  # id(close Call)
    streams: dict[int, Stream] = field(default_factory=dict)  # id(verb Call) → stream
    # id(For over iter_lines/iter_content of a stream) → (httpx method, chunk size)
    loops: dict[int, tuple[str, cst.BaseExpression | None]] = field(default_factory=dict)


def sessions(p: Pass, module: cst.Module) -> Sessions:
    """The file's sessions and the verdict on each (computed once, shared by the rules)."""
    found = p.scratch.get(SCRATCH)
    if found is None:
        scan = _Scan(p, _imports(module))
        module.visit(scan)
        found = scan.finish()
        p.scratch[SCRATCH] = found
    assert isinstance(found, Sessions)
    return found


def _imports(module: cst.Module) -> dict[str, str]:
    names: dict[str, str] = {}
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    local = bound_name(alias)
                    names[local] = (dotted(alias.name) or "") if alias.asname is not None else local
            elif isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                if small.relative or small.module is None:
                    continue
                base = dotted(small.module) or ""
                for alias in small.names:
                    names[bound_name(alias)] = f"{base}.{dotted(alias.name) or ''}"
    return names


def _qualified(node: cst.BaseExpression, imports: dict[str, str]) -> str | None:
    name = dotted(node)
    if name is None:
        return None
    head, _, rest = name.partition(".")
    if head not in imports:
        return None
    return f"{imports[head]}.{rest}" if rest else imports[head]


class _Scan(cst.CSTVisitor):
    def __init__(self, p: Pass, imports: dict[str, str]) -> None:
        super().__init__()
        self.p = p
        self.imports = imports
        self.stack: list[cst.CSTNode] = []
        self.names: list[tuple[str, str]] = []  # ("class" | "def", name)
        self.asyncs: list[bool] = []
        self.found = Sessions()
        # (scope qualname, receiver) → session; receiver "self.x" scopes to the class.
        self.by_key: dict[tuple[str, str], Session] = {}
        self.uses: list[tuple[tuple[str, str], list[cst.CSTNode], str, bool, str]] = []
        self.attrs: dict[str, list[str]] = {}  # attr → classes using self.attr / others

    # --- walking ------------------------------------------------------------------------

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.stack.append(node)
        if isinstance(node, cst.FunctionDef):
            self.names.append(("def", node.name.value))
            self.asyncs.append(node.asynchronous is not None
                               or self.qualname() in self.p.file.make_async)
        elif isinstance(node, cst.ClassDef):
            self.names.append(("class", node.name.value))
        elif isinstance(node, cst.Call):
            self._constructor(node)
        elif isinstance(node, cst.Attribute | cst.Name):
            self._use(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()
        if isinstance(original_node, cst.FunctionDef):
            self.names.pop()
            self.asyncs.pop()
        elif isinstance(original_node, cst.ClassDef):
            self.names.pop()

    def qualname(self) -> str:
        name, previous = "", ""
        for kind, part in self.names:
            name = part if not name else (
                f"{name}.<locals>.{part}" if previous == "def" else f"{name}.{part}")
            previous = kind
        return name

    def _class(self) -> str | None:
        """The qualname of the class whose method is being walked (directly in the class)."""
        if len(self.names) >= 2 and self.names[-1][0] == "def" and self.names[-2][0] == "class":
            return self.qualname().rpartition(".")[0]
        return None

    # --- constructors ---------------------------------------------------------------------

    def _constructor(self, node: cst.Call) -> None:
        if _qualified(node.func, self.imports) not in _CONSTRUCTORS:
            return
        parent = self.stack[-2] if len(self.stack) > 1 else None
        target = parent.targets[0].target if (
            isinstance(parent, cst.Assign) and len(parent.targets) == 1) else None
        receiver = dotted(target) if isinstance(target, cst.Name | cst.Attribute) else None
        owner = self._class()
        if owner in self.p.file.adopted and receiver and receiver.startswith("self.") and (
            receiver.count(".") == 1
        ):
            # Set up by the legacy __init__; compat.adopt converts it at run time.
            self.by_key[(owner, receiver)] = Session(receiver, node, adopted=True)
            return
        session = Session(receiver or "", node)
        self.found.constructors[id(node)] = session
        if not self.names or self.names[-1][0] != "def":
            session.reasons.append("a session created outside a function would be an "
                                   "AsyncClient bound to no event loop (create it in the "
                                   "app's lifespan)")
            return
        if receiver is None or node.args:
            session.reasons.append("the session is not assigned to a name or self.<attr>")
            return
        if receiver.startswith("self.") and receiver.count(".") == 1 and owner is not None:
            self.by_key[(owner, receiver)] = session
        elif "." not in receiver:
            self.by_key[(self.qualname(), receiver)] = session
        else:
            session.reasons.append(f"the session is stored in {receiver}")

    # --- uses ------------------------------------------------------------------------------

    def _use(self, node: cst.Attribute | cst.Name) -> None:
        if isinstance(node, cst.Attribute):
            if not (isinstance(node.value, cst.Name) and node.value.value == "self"):
                # Another object's attribute of the same name: the session may escape.
                self.attrs.setdefault(node.attr.value, []).append("")
                return
            owner = self._class() or ""
            self.attrs.setdefault(node.attr.value, []).append(owner)
            key = (owner, f"self.{node.attr.value}")
        else:
            parent = self.stack[-2] if len(self.stack) > 1 else None
            if isinstance(parent, cst.Attribute) and parent.attr is node:
                return
            key = (self.qualname(), node.value)
        in_async = bool(self.asyncs) and self.asyncs[-1]
        self.uses.append((key, list(self.stack), self.qualname(), in_async,
                          str(self.p.line(node))))

    def finish(self) -> Sessions:
        for key, stack, qualname, in_async, line in self.uses:
            session = self.by_key.get(key)
            if session is None:
                continue
            if key[1].startswith("self.") and "" in self.attrs.get(key[1][5:], ()):
                session.reasons.append(f"{key[1][5:]} is read from another object too "
                                       "(the session may be used outside its class)")
            if not key[1].startswith("self.") and qualname != key[0]:
                session.reasons.append(f"{key[1]} is used by a nested function (line {line})")
                continue
            if session.adopted and qualname not in self.p.file.make_async:
                if "<locals>" in qualname:
                    session.reasons.append(f"{key[1]} is used by a nested function (line "
                                           f"{line})")
                continue  # the legacy class's own code (not in the twin)
            before = len(session.reasons)
            self._classify(session, stack, in_async, line)
            if session.adopted:  # a problem keeps only its own method sync
                session.local.setdefault(qualname, []).extend(session.reasons[before:])
                del session.reasons[before:]
        return self.found

    def _classify(self, session: Session, stack: list[cst.CSTNode], in_async: bool,
                  line: str) -> None:
        node = stack[-1]
        parent = stack[-2] if len(stack) > 1 else None
        grand = stack[-3] if len(stack) > 2 else None
        if isinstance(parent, cst.AssignTarget) and isinstance(grand, cst.Assign) and (
            grand.value is session.constructor
        ):
            return  # the constructor's own target
        if not (isinstance(parent, cst.Attribute) and parent.value is node):
            session.reasons.append(f"the session is passed around as a value (line {line})")
            return
        attr = parent.attr.value
        session.used_async |= in_async
        if isinstance(grand, cst.Call) and grand.func is parent:
            if attr in (*VERBS, "request"):
                self._verb(session, grand, attr, in_async, line, stack[:-2])
            elif attr == "mount":
                self._mount(session, grand, stack[:-2], line)
            elif attr == "close" and in_async:
                self.found.closes[id(grand)] = session
            else:
                session.reasons.append(f"session.{attr}() is requests-only or stays sync "
                                       f"(line {line})")
            return
        if attr in _SETTABLE:
            assign = stack[-4] if len(stack) > 3 else None
            if attr == "auth" and isinstance(grand, cst.AssignTarget) and isinstance(
                assign, cst.Assign
            ) and not isinstance(assign.value, cst.Tuple):
                session.reasons.append(f"session.auth is an object (line {line}): requests "
                                       "auth classes are not httpx.Auth")
            if attr == "params" and isinstance(grand, cst.AssignTarget) and isinstance(
                assign, cst.Assign
            ):
                self.found.settings[id(assign)] = session
                session.has_params = True
            return
        if attr == "hooks":
            session.reasons.append(f"session.hooks (line {line}): httpx event hooks must be "
                                   "async def and cannot replace the response")
            return
        session.reasons.append(f"session.{attr} (line {line}) is constructor-only in httpx "
                               "or has no equivalent")

    def _verb(self, session: Session, call: cst.Call, verb: str, in_async: bool, line: str,
              stack: list[cst.CSTNode]) -> None:
        self.found.calls[id(call)] = session
        site = self.p.site(call)
        if site != f"requests.Session.{verb}":
            session.reasons.append(f"the project index did not resolve session.{verb}() "
                                   f"at line {line}")
            return
        if not in_async:
            session.reasons.append(f"session.{verb}() at line {line} stays in sync code (its "
                                   "function still blocks, or cannot be async)")
            return
        request = split_call(verb, list(call.args))
        if request is None or isinstance(request, str):
            session.reasons.append(f"the arguments of session.{verb}() at line {line} are "
                                   "not understood")
            return
        why = client_only_reason(request.keywords)
        if why is not None:
            session.reasons.append(f"{why} (line {line})")
        stream = request.keywords.get("stream")
        if stream is not None:
            if not (isinstance(stream.value, cst.Name) and stream.value.value in ("True",
                                                                                   "False")):
                session.reasons.append(f"stream= is not a literal (line {line})")
            elif stream.value.value == "True":
                self._stream(session, call, line, stack)

    def _stream(self, session: Session, call: cst.Call, line: str,
                stack: list[cst.CSTNode]) -> None:
        """Only the simple shape: ``r = s.get(..., stream=True)`` as a statement, and ``r``
        read only by the statements after it in the same block."""
        assign = stack[-2] if len(stack) > 1 else None
        statement = stack[-3] if len(stack) > 2 else None
        block = stack[-4] if len(stack) > 3 else None
        function = next((n for n in reversed(stack) if isinstance(n, cst.FunctionDef)), None)
        if not (
            isinstance(assign, cst.Assign) and assign.value is call and len(assign.targets) == 1
            and isinstance(assign.targets[0].target, cst.Name)
            and isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(block, cst.IndentedBlock) and function is not None
        ):
            session.reasons.append(f"the streamed response at line {line} is not assigned "
                                   "to a name in a statement of its own")
            return
        name = assign.targets[0].target.value
        index = next(i for i, s in enumerate(block.body) if s is statement)
        after = _Names(name)
        for later in block.body[index + 1:]:
            later.visit(after)
        everywhere = _Names(name)
        function.visit(everywhere)
        stream = Stream(name)
        problem = None
        if len(everywhere.found) != len(after.found) + 1:
            problem = "is used outside the statements after it"
        for use, parents in after.found:
            attribute = parents[-1] if parents else None
            if not (isinstance(attribute, cst.Attribute) and attribute.value is use):
                problem = "is used as a value (it would outlive the stream block)"
                break
            method = attribute.attr.value
            call_node = parents[-2] if len(parents) > 1 else None
            loop = parents[-3] if len(parents) > 2 else None
            if method in ("iter_lines", "iter_content"):
                if not (isinstance(call_node, cst.Call) and isinstance(loop, cst.For)
                        and loop.iter is call_node):
                    problem = f"{method}() is not the iterable of a for loop"
                    break
                chunk = _chunking(method, call_node)
                if chunk is None:
                    problem = f"{method}() has arguments the rewrite does not map"
                    break
                self.found.loops[id(loop)] = chunk
            elif method not in _STREAM_SAFE:
                problem = f".{method} needs the body read inside the stream block"
                break
        if problem is not None:
            session.reasons.append(f"the streamed response at line {line} {problem}")
            return
        self.found.streams[id(call)] = stream

    def _mount(self, session: Session, call: cst.Call, stack: list[cst.CSTNode],
               line: str) -> None:
        statement = stack[-2] if len(stack) > 1 else None
        args = call.args
        adapter = args[1].value if len(args) == 2 and args[1].keyword is None else None
        prefix = args[0].value if args else None
        if not (isinstance(statement, cst.Expr) and isinstance(adapter, cst.Call)
                and _qualified(adapter.func, self.imports) in (
                    "requests.adapters.HTTPAdapter", "requests.HTTPAdapter")
                and isinstance(prefix, cst.SimpleString)
                and prefix.evaluated_value in ("http://", "https://")):
            session.reasons.append(f"session.mount() at line {line} is not "
                                   "mount('http(s)://', HTTPAdapter(...))")
            return
        retries: cst.BaseExpression | None = None
        for arg in adapter.args:
            name = arg.keyword.value if arg.keyword is not None else None
            if name == "max_retries" and _is_int(arg.value, stack):
                retries = arg.value
            elif name == "max_retries":
                session.reasons.append(f"HTTPAdapter(max_retries=...) at line {line} is not "
                                       "an int (a Retry object?): httpx retries connect errors "
                                       "only, with no backoff, status or Retry-After handling")
            else:
                session.reasons.append(f"HTTPAdapter({name or 'positional'}=...) at line "
                                       f"{line} has no exact httpx equivalent (pools block "
                                       "in httpx)")
        if retries is None:
            return
        if session.retries is not None and cst.Module([]).code_for_node(
            session.retries
        ) != cst.Module([]).code_for_node(retries):
            session.reasons.append("http:// and https:// mount different retry counts")
        session.retries = retries
        line_statement = stack[-3] if len(stack) > 2 else None
        if isinstance(line_statement, cst.SimpleStatementLine):
            self.found.mounts[id(line_statement)] = session


def _is_int(value: cst.BaseExpression, stack: list[cst.CSTNode]) -> bool:
    """An int literal, or a name the enclosing function declares ``int`` (a parameter
    annotated ``int``) or binds only to int literals."""
    if isinstance(value, cst.Integer):
        return True
    if not isinstance(value, cst.Name):
        return False
    function = next((n for n in reversed(stack) if isinstance(n, cst.FunctionDef)), None)
    if function is None:
        return False
    for param in (*function.params.params, *function.params.kwonly_params):
        if param.name.value == value.value:
            return (param.annotation is not None
                    and isinstance(param.annotation.annotation, cst.Name)
                    and param.annotation.annotation.value == "int")
    bindings = _Names(value.value)
    function.body.visit(bindings)
    values = [parents[-2].value for _, parents in bindings.found
              if len(parents) > 1 and isinstance(parents[-1], cst.AssignTarget)
              and isinstance(parents[-2], cst.Assign)]
    return bool(values) and all(isinstance(v, cst.Integer) for v in values)


def _chunking(method: str, call: cst.Call) -> tuple[str, cst.BaseExpression | None] | None:
    if method == "iter_lines":
        return ("aiter_lines", None) if not call.args else None
    if not call.args:
        return ("aiter_bytes", cst.Integer("1"))  # requests' iter_content() default
    if len(call.args) == 1 and (call.args[0].keyword is None
                                or call.args[0].keyword.value == "chunk_size"):
        return ("aiter_bytes", call.args[0].value)
    return None


class _Names(cst.CSTVisitor):
    """Every ``Name`` node spelling ``name``, with its ancestors (nearest last)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.stack: list[cst.CSTNode] = []
        self.found: list[tuple[cst.Name, list[cst.CSTNode]]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Name) and node.value == self.name:
            parent = self.stack[-1] if self.stack else None
            if not (isinstance(parent, cst.Attribute) and parent.attr is node):
                self.found.append((node, list(self.stack)))
        self.stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()
