"""``subprocess.run``/``check_output``/``call``/``check_call`` on asyncio, same results.

asyncio's subprocess API differs where nothing in the call shows it (semantics.md §5):
output is always bytes (``text=True`` raises ``ValueError``), there is no ``check=`` and no
``timeout=``, and a child outliving a timeout keeps running. The ASY502 rewrite calls these
instead, which decode as ``subprocess`` does (encoding, errors, universal newlines), raise
``CalledProcessError``/``TimeoutExpired`` with the same fields, and kill the child on timeout.
"""

from __future__ import annotations

import asyncio
import io
import locale
import subprocess
from collections.abc import Mapping, Sequence
from typing import IO, Any

Args = str | bytes | Sequence[Any]
Stream = int | IO[Any] | None

# Popen keywords asyncio passes on unchanged (the others decide how output is read/decoded).
PASS_THROUGH = frozenset({
    "cwd", "env", "executable", "close_fds", "pass_fds", "start_new_session", "preexec_fn",
    "restore_signals", "user", "group", "extra_groups", "umask", "process_group",
})


async def async_run(
    args: Args, *, input: str | bytes | None = None, capture_output: bool = False,
    stdin: Stream = None, stdout: Stream = None, stderr: Stream = None, shell: bool = False,
    timeout: float | None = None,  # noqa: ASYNC109  (subprocess.run's own signature)
    check: bool = False, text: bool | None = None,
    encoding: str | None = None, errors: str | None = None,
    universal_newlines: bool | None = None, cwd: Any = None,
    env: Mapping[str, str] | None = None, **popen: Any,
) -> subprocess.CompletedProcess[Any]:
    """``subprocess.run`` with the same arguments and result, without blocking the loop.

    :raises subprocess.CalledProcessError: ``check`` and a non-zero exit status.
    :raises subprocess.TimeoutExpired: ``timeout`` elapsed (the child is killed first).
    :raises ValueError: arguments ``subprocess.run`` also rejects.
    :raises TypeError: a keyword asyncio cannot pass on (``bufsize``, ``startupinfo``…).
    """
    unknown = set(popen) - PASS_THROUGH
    if unknown:
        raise TypeError(f"async_run() does not support {sorted(unknown)!r}: run "
                        "subprocess.run in a worker thread (asyncio.to_thread) instead")
    if capture_output:
        if stdout is not None or stderr is not None:
            raise ValueError("stdout and stderr arguments may not be used with capture_output.")
        stdout = stderr = subprocess.PIPE
    if input is not None:
        if stdin is not None:
            raise ValueError("stdin and input arguments may not both be used.")
        stdin = subprocess.PIPE
    decode = bool(text or universal_newlines or encoding or errors)
    if shell and isinstance(args, str | bytes):
        proc = await asyncio.create_subprocess_shell(
            args, stdin=stdin, stdout=stdout, stderr=stderr, cwd=cwd, env=env, **popen)
    elif shell:  # POSIX: the first item is the script, the others its $0, $1…
        proc = await asyncio.create_subprocess_exec(
            "/bin/sh", "-c", *args, stdin=stdin, stdout=stdout, stderr=stderr, cwd=cwd,
            env=env, **popen)
    else:
        argv = [args] if isinstance(args, str | bytes) else list(args)
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=stdin, stdout=stdout, stderr=stderr, cwd=cwd, env=env, **popen)
    data = input.encode(encoding or _default_encoding(), errors or "strict") if (
        isinstance(input, str)) else input
    out: list[bytes] = []
    err: list[bytes] = []
    tasks = [asyncio.ensure_future(_drain(stream, chunks))
             for stream, chunks in ((proc.stdout, out), (proc.stderr, err)) if stream]
    if proc.stdin is not None:
        tasks.append(asyncio.ensure_future(_feed(proc.stdin, data)))
    try:
        await asyncio.wait_for(asyncio.gather(*tasks, proc.wait()), timeout)
    except TimeoutError:
        # asyncio leaves the child running; subprocess.run kills it and reports the output
        # read so far, as bytes (None when nothing was read).
        await _stop(proc, tasks)
        raise subprocess.TimeoutExpired(args, timeout or 0.0, b"".join(out) if out else None,
                                        b"".join(err) if err else None) from None
    except BaseException:
        await _stop(proc, tasks)
        raise
    assert proc.returncode is not None  # communicate() waited for the exit
    result = subprocess.CompletedProcess(
        args, proc.returncode,
        _text(b"".join(out), decode, encoding, errors) if proc.stdout else None,
        _text(b"".join(err), decode, encoding, errors) if proc.stderr else None)
    if check:
        result.check_returncode()
    return result


async def async_check_output(args: Args, **kwargs: Any) -> Any:
    """``subprocess.check_output``: stdout, ``CalledProcessError`` on a non-zero status."""
    if "stdout" in kwargs:
        raise ValueError("stdout argument not allowed, it will be overridden.")
    if "input" in kwargs and kwargs["input"] is None:
        # check_output treats input=None as "empty input" (not "inherit stdin").
        kwargs["input"] = "" if kwargs.get("text") or kwargs.get("universal_newlines") or (
            kwargs.get("encoding") or kwargs.get("errors")) else b""
    result = await async_run(args, stdout=subprocess.PIPE, check=True, **kwargs)
    return result.stdout


async def async_call(args: Args, **kwargs: Any) -> int:
    """``subprocess.call``: the exit status."""
    return (await async_run(args, **kwargs)).returncode


async def async_check_call(args: Args, **kwargs: Any) -> int:
    """``subprocess.check_call``: 0, or ``CalledProcessError``."""
    await async_run(args, check=True, **kwargs)
    return 0


async def _drain(stream: asyncio.StreamReader, chunks: list[bytes]) -> None:
    while chunk := await stream.read(65536):
        chunks.append(chunk)


async def _feed(stdin: asyncio.StreamWriter, data: bytes | None) -> None:
    try:
        if data:
            stdin.write(data)
            await stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the child exited without reading it all, as subprocess.run tolerates
    finally:
        stdin.close()


async def _stop(proc: asyncio.subprocess.Process, tasks: Sequence[asyncio.Future[None]]) -> None:
    if proc.returncode is None:
        proc.kill()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await proc.wait()


def _default_encoding() -> str:
    return locale.getpreferredencoding(False)


def _text(data: bytes, decode: bool, encoding: str | None, errors: str | None) -> str | bytes:
    """Output as ``subprocess`` returns it: bytes, or text decoded through a
    ``TextIOWrapper`` (universal newlines: ``\\r\\n`` and ``\\r`` become ``\\n``)."""
    if not decode:
        return data
    wrapper = io.TextIOWrapper(io.BytesIO(data), encoding=encoding or _default_encoding(),
                               errors=errors)
    return wrapper.read()
