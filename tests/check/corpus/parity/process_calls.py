# ruff: noqa
"""Processes started or awaited directly in async def (flake8-async ASYNC220/221/222)."""

import os
import subprocess


async def run(cmd: list[str]) -> None:
    subprocess.Popen(cmd)
    os.popen("ls")
    subprocess.run(cmd)
    subprocess.call(cmd)
    subprocess.check_call(cmd)
    subprocess.check_output(cmd)
    subprocess.getoutput("ls")
    subprocess.getstatusoutput("ls")
    os.system("true")
    os.posix_spawn("/bin/true", ["true"], {})
    os.spawnl(os.P_WAIT, "/bin/true", "true")
    os.spawnv(os.P_NOWAIT, "/bin/true", ["true"])
    os.wait()
    os.waitpid(0, 0)
    os.wait3(0)
