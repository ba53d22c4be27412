"""`make run`: migrate, load the demo, and serve the site with a Celery worker and beat.

With no REDIS_URL it starts an embedded Redis first. Ctrl-C stops everything it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import ExitStack, suppress
from pathlib import Path

from config.embedded_redis import embedded_redis

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
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
        subprocess.run([*manage, "load_demo"], env=env, check=True)
        # Beat's first hourly run is an hour away: sweep once now, so digests that are due
        # go out and /healthz knows a sweep has run.
        subprocess.run([*manage, "send_reminders"], env=env, check=False)
        commands = [
            [*celery, "worker", "--pool", "solo", "--loglevel", "INFO", "--without-mingle",
             "--without-gossip"],
            [*celery, "beat", "--loglevel", "INFO", "--schedule",
             str(ROOT / "var" / "celerybeat-schedule")],
            [*manage, "runserver", f"127.0.0.1:{port}"],
        ]  # fmt: skip
        processes = [subprocess.Popen(command, env=env, cwd=ROOT) for command in commands]
        print(f"\nDebrief is running on http://127.0.0.1:{port}/  (Ctrl-C stops it)\n", flush=True)
        try:
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
