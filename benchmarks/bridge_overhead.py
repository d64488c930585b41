"""asyncify.bridge against the tools it replaces, every number a ratio to an anchor of the same run.

Three measurements, interleaved round-robin so machine noise hits every method alike:

1. sync → async per-call cost (await a no-op run on a thread), anchor raw ``loop.run_in_executor``;
2. 1000 concurrent 10 ms blocking calls, against the ideal ``ceil(1000 / pool) x 10 ms`` for each
   method's pool, with the worst event-loop lag seen meanwhile (a 1 ms sleep probe), after
   ``gc.freeze()`` so that a full collection of the imported libraries does not land in a run;
3. async → sync per-call cost from a plain thread, anchor ``asyncio.run_coroutine_threadsafe``.

Budgets (DESIGN.md §6): (1) bridge ≤ 1.0x raw; (2) bridge ≤ 1.2x ideal with lag < 20 ms;
(3) bridge ≤ 1.2x run_coroutine_threadsafe. Exit status 1 if a budget is missed.

    python benchmarks/bridge_overhead.py [--rounds 7] [--calls 2000] [--quick]

Prints Markdown, ready for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import math
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
import asgiref.sync
from starlette.concurrency import run_in_threadpool

from asyncify import bridge

POOL = 40  # anyio's, Starlette's and the bridge's default; the raw executor gets the same
BATCH, BLOCK = 1000, 0.010
SYNC_ANCHOR, ASYNC_ANCHOR = "loop.run_in_executor (raw)", "asyncio.run_coroutine_threadsafe"
BRIDGE_SYNC, BRIDGE_ASYNC = "asyncify run_sync", "asyncify run_async"


def noop() -> None:
    return None


def block() -> None:
    time.sleep(BLOCK)


async def anoop() -> None:
    return None


AsyncCall = Callable[[], Awaitable[Any]]


def sync_to_async_methods(
    loop: asyncio.AbstractEventLoop, fn: Callable[[], None]
) -> dict[str, AsyncCall]:
    """Each method, set up to await *fn* on a thread with no per-call wrapping."""
    s2a_sensitive = asgiref.sync.sync_to_async(fn, thread_sensitive=True)
    s2a_free = asgiref.sync.sync_to_async(fn, thread_sensitive=False)
    with_timeout = bridge.to_async(fn, timeout=60.0)
    return {
        SYNC_ANCHOR: lambda: loop.run_in_executor(None, fn),
        "asyncio.to_thread": lambda: asyncio.to_thread(fn),
        "anyio.to_thread.run_sync": lambda: anyio.to_thread.run_sync(fn),
        "starlette run_in_threadpool": lambda: run_in_threadpool(fn),
        "asgiref sync_to_async (thread_sensitive=True)": s2a_sensitive,
        "asgiref sync_to_async (thread_sensitive=False)": s2a_free,
        BRIDGE_SYNC: lambda: bridge.run_sync(fn),
        "asyncify to_async(timeout=60)": with_timeout,
    }


def pool_size(name: str) -> int:
    return 1 if "thread_sensitive=True" in name else POOL


async def per_call_us(call: AsyncCall, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        await call()
    return (time.perf_counter() - started) / n * 1e6


async def batch(call: AsyncCall, size: int) -> tuple[float, float]:
    """Run *size* calls at once; return (seconds, worst loop lag in seconds)."""
    stop = asyncio.Event()

    async def probe() -> float:
        worst = 0.0
        while not stop.is_set():
            started = time.perf_counter()
            await asyncio.sleep(0.001)
            worst = max(worst, time.perf_counter() - started - 0.001)
        return worst

    lag = asyncio.create_task(probe())
    await asyncio.sleep(0.005)
    started = time.perf_counter()
    await asyncio.gather(*(call() for _ in range(size)))
    elapsed = time.perf_counter() - started
    stop.set()
    return elapsed, await lag


def async_to_sync_methods(
    loop: asyncio.AbstractEventLoop, token: Any, portal: Any
) -> dict[str, Callable[[], Any]]:
    a2s = asgiref.sync.async_to_sync(anoop)
    return {
        ASYNC_ANCHOR: lambda: asyncio.run_coroutine_threadsafe(anoop(), loop).result(),
        "asgiref async_to_sync (new loop per call)": a2s,
        "anyio from_thread.run(token=)": lambda: anyio.from_thread.run(anoop, token=token),
        "anyio BlockingPortal.call (own loop)": lambda: portal.call(anoop),
        BRIDGE_ASYNC: lambda: bridge.run_async(anoop),
    }


def in_thread(fn: Callable[[], Any]) -> Awaitable[Any]:
    """Run *fn* in a new plain thread (not an executor worker) and await its result."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[Any] = loop.create_future()

    def target() -> None:
        try:
            result = fn()
        except BaseException as exc:
            loop.call_soon_threadsafe(done.set_exception, exc)
        else:
            loop.call_soon_threadsafe(done.set_result, result)

    threading.Thread(target=target, name="bench-caller").start()
    return done


def summarise(
    samples: dict[str, list[float]], anchor: str
) -> list[tuple[str, float, float, float]]:
    """(name, median, min, median of per-round ratio to the anchor) per method."""
    rows = []
    for name, values in samples.items():
        ratios = [v / a for v, a in zip(values, samples[anchor], strict=True)]
        rows.append((name, statistics.median(values), min(values), statistics.median(ratios)))
    return rows


@contextlib.contextmanager
def portal_thread() -> Iterator[Any]:
    with anyio.from_thread.start_blocking_portal(backend="asyncio") as portal:
        yield portal


async def main(rounds: int, calls: int, quick: bool) -> int:
    loop = asyncio.get_running_loop()
    executor = ThreadPoolExecutor(POOL)
    loop.set_default_executor(executor)
    anyio.to_thread.current_default_thread_limiter().total_tokens = POOL
    bridge.capture_home_loop()

    # 1. sync → async per call
    per_call = sync_to_async_methods(loop, noop)
    for call in per_call.values():
        await per_call_us(call, 200)  # warm pools and caches
    s2a: dict[str, list[float]] = {name: [] for name in per_call}
    for _ in range(rounds):
        for name, call in per_call.items():
            s2a[name].append(await per_call_us(call, calls))

    # 2. 1000 x 10 ms
    batched = sync_to_async_methods(loop, block)
    slow = "asgiref sync_to_async (thread_sensitive=True)"
    batch_rounds = 1 if quick else 5
    runs: dict[str, list[tuple[int, float, float]]] = {name: [] for name in batched}
    for call in batched.values():
        await batch(call, POOL)  # start the workers
    for name, call in batched.items():
        if name != slow:
            await batch(call, BATCH)  # grow the heap and the queues once, unmeasured
    # A full collection of the libraries' objects stalls the loop for ~10 ms whichever method
    # runs; servers avoid it the same way after start-up.
    gc.collect()
    gc.freeze()
    for index in range(batch_rounds):
        for name, call in batched.items():
            if name == slow and index > 0:
                continue  # one thread: 10 s per run, once is enough
            size = BATCH // 10 if name == slow and quick else BATCH
            runs[name].append((size, *await batch(call, size)))

    # 3. async → sync from a plain thread
    token = anyio.lowlevel.current_token()
    a2s: dict[str, list[float]] = {}

    def measure_from_thread() -> None:
        with portal_thread() as portal:
            methods = async_to_sync_methods(loop, token, portal)
            for name, call in methods.items():
                a2s.setdefault(name, [])
                for _ in range(50):
                    call()
            for _ in range(rounds):
                for name, call in methods.items():
                    n = calls // 10 if name.startswith("asgiref") else calls
                    started = time.perf_counter()
                    for _ in range(n):
                        call()
                    a2s[name].append((time.perf_counter() - started) / n * 1e6)

    await in_thread(measure_from_thread)
    await bridge.aclose()
    bridge.release_home_loop()
    executor.shutdown()

    return report(rounds, calls, s2a, runs, a2s)


def report(
    rounds: int,
    calls: int,
    s2a: dict[str, list[float]],
    runs: dict[str, list[tuple[int, float, float]]],
    a2s: dict[str, list[float]],
) -> int:
    print(
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end; anyio {_version('anyio')}, "
        f"asgiref {_version('asgiref')}, starlette {_version('starlette')}. "
        f"{rounds} interleaved rounds of {calls} calls; ratios are medians of per-round ratios.\n"
    )
    print("### Sync → async: per-call cost (await a no-op on a worker thread)\n")
    print(f"| method | median µs | min µs | x {SYNC_ANCHOR} |")
    print("|---|---:|---:|---:|")
    s2a_rows = summarise(s2a, SYNC_ANCHOR)
    for name, median, low, ratio in s2a_rows:
        print(f"| {name} | {median:.1f} | {low:.1f} | {ratio:.2f} |")

    print(f"\n### {BATCH} x {BLOCK * 1000:.0f} ms blocking calls at once\n")
    print(
        "| method | pool | calls | ideal s | median s | x ideal "
        "| loop lag ms: median of per-run worst | worst of all runs |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    batch_ratio = batch_lag = math.inf
    for name, results in runs.items():
        pool, size = pool_size(name), results[0][0]
        ideal = math.ceil(size / pool) * BLOCK
        seconds = statistics.median(r[1] for r in results)
        lag = statistics.median(r[2] for r in results)
        worst = max(r[2] for r in results)
        print(
            f"| {name} | {pool} | {size} | {ideal:.2f} | {seconds:.3f} | {seconds / ideal:.2f} "
            f"| {lag * 1000:.1f} | {worst * 1000:.1f} |"
        )
        if name == BRIDGE_SYNC:
            batch_ratio, batch_lag = seconds / ideal, lag

    print("\n### Async → sync from a plain thread: per-call cost (a no-op coroutine)\n")
    print(f"| method | median µs | min µs | x {ASYNC_ANCHOR} |")
    print("|---|---:|---:|---:|")
    a2s_rows = summarise(a2s, ASYNC_ANCHOR)
    for name, median, low, ratio in a2s_rows:
        print(f"| {name} | {median:.1f} | {low:.1f} | {ratio:.2f} |")

    s2a_ratio = next(r for n, _, _, r in s2a_rows if n == BRIDGE_SYNC)
    a2s_ratio = next(r for n, _, _, r in a2s_rows if n == BRIDGE_ASYNC)
    budgets = [
        ("sync → async ≤ 1.00x raw run_in_executor", s2a_ratio <= 1.0, f"{s2a_ratio:.2f}x"),
        (f"{BATCH} x 10 ms ≤ 1.20x ideal", batch_ratio <= 1.2, f"{batch_ratio:.2f}x"),
        (
            "loop lag during the batch < 20 ms (median of per-run worst)",
            batch_lag < 0.020,
            f"{batch_lag * 1000:.1f} ms",
        ),
        ("async → sync ≤ 1.20x run_coroutine_threadsafe", a2s_ratio <= 1.2, f"{a2s_ratio:.2f}x"),
    ]
    print("\n### Budgets\n")
    print("| budget | measured | met |")
    print("|---|---:|---|")
    for label, met, value in budgets:
        print(f"| {label} | {value} | {'yes' if met else '**no**'} |")
    return 0 if all(met for _, met, _ in budgets) else 1


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter batch runs")
    options = parser.parse_args()
    sys.exit(asyncio.run(main(options.rounds, options.calls, options.quick)))
