"""The fault test's machines, all on loopback and free ports: its own redis-server, nginx in
front of the instances, and `casebot run` processes that can be killed and started again."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def binary(name: str) -> str | None:
    """A Debian binary, also where a non-root PATH does not look (nginx is in /usr/sbin)."""
    found = shutil.which(name)
    if found:
        return found
    for directory in ("/usr/sbin", "/usr/bin", "/sbin"):
        candidate = Path(directory) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


async def wait_port(port: int, timeout: float, process: asyncio.subprocess.Process) -> None:
    """Until something accepts connections on the port; fails early if the process exits."""
    deadline = time.monotonic() + timeout
    while True:
        if process.returncode is not None:
            raise RuntimeError(f"exited ({process.returncode}) before listening on {port}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {port} after {timeout}s") from None
            await asyncio.sleep(0.02)
        else:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return


async def _end(process: asyncio.subprocess.Process | None, timeout: float = 10) -> None:
    if process is None or process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()


class RedisServer:
    """Debian's redis-server on a free port, with its files in `directory`. By default it keeps
    nothing across a restart (`--save '' --appendonly no`); `persist` keeps an append-only
    file, as a production Redis holding dialogues would."""

    def __init__(self, directory: Path, *, persist: bool = False) -> None:
        self.directory = directory
        self.persist = persist
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        executable = binary("redis-server")
        assert executable, "redis-server is not installed"
        args = [
            executable,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "yes" if self.persist else "no",
            "--appendfsync",
            "always",
            "--dir",
            str(self.directory),
            "--logfile",
            str(self.directory / "redis.log"),
            "--daemonize",
            "no",
        ]
        self.process = await asyncio.create_subprocess_exec(
            *args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        await wait_port(self.port, 10, self.process)
        await self.ping(timeout=10)

    async def ping(self, timeout: float = 1) -> None:
        async with asyncio.timeout(timeout):
            while True:
                try:
                    reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                    writer.write(b"PING\r\n")
                    await writer.drain()
                    answer = await reader.readline()
                    writer.close()
                    if answer.startswith(b"+PONG"):
                        return
                except OSError:
                    pass
                await asyncio.sleep(0.02)  # "-LOADING": still reading its file

    async def stop(self) -> None:
        await _end(self.process)

    async def restart(self, down_for: float = 0.0) -> float:
        """Stop, stay down `down_for` seconds, start on the same port; the seconds it was
        unreachable."""
        started = time.monotonic()
        await self.stop()
        await asyncio.sleep(down_for)
        await self.start()
        return time.monotonic() - started


class Nginx:
    """Debian's nginx from a generated config: one process in the foreground, every file it
    writes in `directory`, listening on a free port and proxying to `upstreams` (ports) with
    failover, as deploy/ would put it in front of two instances."""

    def __init__(self, directory: Path, upstreams: Sequence[int]) -> None:
        self.directory = directory
        self.upstreams = list(upstreams)
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self) -> str:
        d = self.directory
        servers = "\n".join(
            f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=1s;"
            for port in self.upstreams
        )
        # `master_process off`: one process as the current user (no switch to nobody, who
        # could not write into a test's tmp dir). `non_idempotent`: the bot stores an update
        # by its id, so a POST cut off by a dead instance may go to the other one.
        return f"""daemon off;
master_process off;
pid {d}/nginx.pid;
error_log {d}/error.log notice;
events {{ worker_connections 512; }}
http {{
    log_format upstream '$time_iso8601 $request_method $uri $status '
                        'upstream=$upstream_addr upstream_status=$upstream_status '
                        'rt=$request_time';
    access_log {d}/access.log upstream;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream casebot {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        location / {{
            proxy_pass http://casebot;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 1s;
            proxy_send_timeout 10s;
            proxy_read_timeout 10s;
        }}
    }}
}}
"""

    async def start(self) -> None:
        executable = binary("nginx")
        assert executable, "nginx is not installed"
        conf = self.directory / "nginx.conf"
        conf.write_text(self.config())
        # -e: the error log before the config is read (else /var/log/nginx/error.log).
        self.process = await asyncio.create_subprocess_exec(
            executable,
            "-p",
            str(self.directory),
            "-c",
            str(conf),
            "-e",
            str(self.directory / "error.log"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            await wait_port(self.port, 10, self.process)
        except RuntimeError:
            log = (self.directory / "error.log").read_text(errors="replace")
            raise RuntimeError(f"nginx did not start:\n{log[-2000:]}") from None

    async def stop(self) -> None:
        await _end(self.process)

    def access_log(self) -> list[str]:
        path = self.directory / "access.log"
        return path.read_text().splitlines() if path.exists() else []


class Instance:
    """One `casebot run` process (python -m bot run), its log in `directory`, killable."""

    def __init__(
        self,
        name: str,
        directory: Path,
        env: dict[str, str],
        args: Sequence[str] = (),
        port: int | None = None,
    ) -> None:
        self.name = name
        self.directory = directory
        self.port = port
        self.args = list(args)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CASEBOT_")}
        self.env.update(env)
        self.env["CASEBOT_INSTANCE_ID"] = name
        if port is not None:
            self.env["CASEBOT_LISTEN"] = f"127.0.0.1:{port}"
        self.command = [sys.executable, "-m", "bot", "run"]
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def log_path(self) -> Path:
        return self.directory / f"casebot-{self.name}.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start {self.starts} =====\n".encode())
            log.flush()
            # The child keeps its own copy of the descriptor: DEBUG lines never fill a pipe.
            self.process = await asyncio.create_subprocess_exec(
                *self.command,
                *self.args,
                env=self.env,
                cwd=self.directory,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def kill(self) -> None:
        """kill -9: no handler finishes, no lease is given back."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self, timeout: float = 30) -> int | None:
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return self.process.returncode

    async def wait_http(self, path: str, timeout: float = 60) -> float:
        """Until GET `path` on the instance's port answers 200; the seconds it took."""
        assert self.port is not None
        started = time.monotonic()
        url = f"http://127.0.0.1:{self.port}{path}"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
            while True:
                if not self.running:
                    raise RuntimeError(f"instance {self.name} exited:\n{self.log_tail()}")
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with session.get(url) as response:
                        if response.status == 200:
                            return time.monotonic() - started
                if time.monotonic() - started > timeout:
                    raise TimeoutError(f"{url} not 200 after {timeout}s:\n{self.log_tail()}")
                await asyncio.sleep(0.05)

    def log_tail(self, size: int = 3000) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return self.log_path.read_text(errors="replace")[-size:]
