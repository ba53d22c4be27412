"""`make run`: migrate, load the demo, and serve the site with a Celery worker and beat.

With no REDIS_URL it starts an embedded Redis first. Ctrl-C stops everything it started.
It also writes `.env` (config.environment.write_local_env), which the README's commands read.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import ExitStack, suppress
from pathlib import Path

from config.embedded_redis import embedded_redis
from config.environment import write_local_env

ROOT = Path(__file__).resolve().parent.parent
# What each process prints once it is ready, in the order of `commands` below.
READY = ["ready.", "beat: Starting", "Quit the server with"]
START_UP_SECONDS = 180


def _forward(process: subprocess.Popen, marker: str, ready: threading.Event) -> None:
    """Copy a process's output to ours, noting when it says it is ready."""
    for line in process.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        if marker in line:
            ready.set()


def _answers(port: str) -> bool:
    with suppress(OSError), socket.create_connection(("127.0.0.1", int(port)), timeout=1):
        return True
    return False


def _wait_until_ready(processes: list[subprocess.Popen], ready: list[threading.Event], port: str):
    deadline = time.monotonic() + START_UP_SECONDS
    while time.monotonic() < deadline and all(p.poll() is None for p in processes):
        if all(event.is_set() for event in ready) and _answers(port):
            return
        time.sleep(0.2)


def main() -> int:
    write_local_env(ROOT / ".env")
    env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "true"), "PYTHONUNBUFFERED": "1"}
    port = env.get("PORT", "8000")
    env.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    python = sys.executable
    manage = [python, str(ROOT / "manage.py")]
    celery = [python, "-m", "celery", "-A", "config"]
    (ROOT / "var").mkdir(exist_ok=True)

    with ExitStack() as stack:
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = stack.enter_context(embedded_redis())
            print(f"Embedded Redis at {env['REDIS_URL']}", flush=True)
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True)
        demo = subprocess.run(
            [*manage, "load_demo", "--no-color"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        login = [line for line in demo.stdout.splitlines() if line.startswith("Demo login")]
        print("\n".join(line for line in demo.stdout.splitlines() if line not in login))
        # Beat's first hourly run is an hour away: sweep once now, so digests that are due
        # go out and /healthz knows a sweep has run.
        subprocess.run([*manage, "send_reminders"], env=env, check=False)
        # A schedule kept from an earlier run would make beat catch up on missed hours at once,
        # repeating that sweep under the login; a new one first runs on the hour.
        for schedule in (ROOT / "var").glob("celerybeat-schedule*"):
            schedule.unlink()
        commands = [
            [*celery, "worker", "--pool", "solo", "--loglevel", "INFO", "--without-mingle",
             "--without-gossip"],
            [*celery, "beat", "--loglevel", "INFO", "--schedule",
             str(ROOT / "var" / "celerybeat-schedule")],
            [*manage, "runserver", f"127.0.0.1:{port}"],
        ]  # fmt: skip
        processes = [
            subprocess.Popen(
                command,
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                bufsize=1,
            )
            for command in commands
        ]
        ready = [threading.Event() for _ in processes]
        for process, marker, event in zip(processes, READY, ready, strict=True):
            threading.Thread(target=_forward, args=(process, marker, event), daemon=True).start()
        try:
            # The login comes last, after the start-up output, so that it stays on screen.
            _wait_until_ready(processes, ready, port)
            if any(p.poll() is not None for p in processes):
                print("\nA part of Debrief stopped at start-up; see above.", flush=True)
                return 1
            print(
                f"\nDebrief is running on http://127.0.0.1:{port}/  (Ctrl-C stops it)", flush=True
            )
            print("\n".join(login) + "\n", flush=True)
            while all(p.poll() is None for p in processes):
                with suppress(subprocess.TimeoutExpired):
                    processes[-1].wait(timeout=1)
        except KeyboardInterrupt:
            pass
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
