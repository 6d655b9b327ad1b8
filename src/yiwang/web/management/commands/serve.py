"""`yiwang serve`: the web server (gunicorn) and the background worker (huey)
together, in the foreground, until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "启动网站与后台任务处理 / Run the web server and the background worker"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="监听地址 / bind address")
        parser.add_argument("--port", type=int, default=8000, help="端口 / port")
        parser.add_argument(
            "--web-workers",
            type=int,
            default=int(os.environ.get("YIWANG_WEB_WORKERS", 2)),
            help="网站进程数 / gunicorn worker processes",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="不启动后台任务进程 / do not start the huey worker (run it elsewhere)",
        )

    def handle(self, *args, host, port, web_workers, no_worker, **options):
        if not 0 < port < 65536:
            raise CommandError(f"端口无效 Invalid port: {port}")
        bin_dir = os.path.dirname(sys.executable)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "yiwang.settings"),
        }
        procs: list[subprocess.Popen] = []
        web = [
            os.path.join(bin_dir, "gunicorn"),
            "yiwang.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(web_workers),
            "--threads",
            "4",
            "--access-logfile",
            "-",
            "--error-logfile",
            "-",
            "--graceful-timeout",
            "5",
        ]
        procs.append(subprocess.Popen(web, env=env))
        if not no_worker:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "yiwang.cli", "run_huey", "--quiet"], env=env
                )
            )
        queue = "Redis" if settings.REDIS_URL else "SQLite"
        self.stdout.write(
            self.style.SUCCESS(
                f"一网通办已启动 Yiwang is running: http://{host}:{port}/  "
                f"(后台任务队列 worker queue: {queue}; Ctrl-C 停止 to stop)"
            )
        )

        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        code = 0
        while not stopping:
            for p in procs:
                if p.poll() is not None:
                    self.stderr.write(f"进程退出 process exited: {p.args[0]} ({p.returncode})")
                    code = p.returncode or 1
                    stopping = True
            time.sleep(0.3)
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if code:
            raise CommandError(
                "服务异常退出 A server process stopped unexpectedly", returncode=code
            )
