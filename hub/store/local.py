"""The local store: mongo-java-server (MongoDB wire protocol) run by our launcher as a child process.

`HUB_STORE_BACKEND=h2` (the default) keeps the data in one H2 MVStore file under the data dir;
`memory` keeps it in the JVM's heap (the test session's and the benchmarks' store), gone on stop.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from hub.config import PROJECT_ROOT, Settings

# Put on the launcher's command line (a JVM property), so a recycled pid, or another JVM, is told apart.
MARKER = "-Dhub.localstore=1"


class LocalStoreError(RuntimeError):
    """The local store could not be found, started or stopped."""


@dataclass(frozen=True)
class StoreStatus:
    """What `hub store status` reports."""

    running: bool
    pid: int | None
    url: str
    data_dir: Path
    log_file: Path

    def describe(self) -> str:
        """One line for the terminal."""
        state = f"running (pid {self.pid})" if self.running else "stopped"
        return f"local store {state} at {self.url} data={self.data_dir} log={self.log_file}"


def _pid_file(settings: Settings) -> Path:
    return settings.store_dir / "localstore.pid"


def _log_file(settings: Settings) -> Path:
    return settings.store_dir / "localstore.log"


def data_file(settings: Settings) -> Path:
    """The H2 backend's file (the MVStore adds nothing to the name)."""
    return settings.store_dir / "hub.mv"


def find_jar(settings: Settings) -> Path:
    """The built launcher: HUB_STORE_JAR, else the project's Maven build."""
    candidates = [settings.store_jar, PROJECT_ROOT / "tools" / "localstore" / "target" / "localstore.jar"]
    for candidate in candidates:
        if candidate and candidate.is_file():
            return candidate
    raise LocalStoreError(
        "local store not built; build it with `make store` (needs Java 17 and Maven) "
        "or set HUB_STORE_JAR, or point HUB_MONGODB_URL at a MongoDB server"
    )


def find_java(settings: Settings) -> str:
    """The java executable: HUB_STORE_JAVA, else JAVA_HOME's, else PATH's."""
    if settings.store_java:
        found = shutil.which(settings.store_java)
        if not found:
            raise LocalStoreError(f"HUB_STORE_JAVA={settings.store_java} is not an executable java")
        return found
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise LocalStoreError("java not found; install Java 17 or set HUB_STORE_JAVA")
    return found


def command(settings: Settings) -> list[str]:
    """The command line that starts the local store these settings describe."""
    args = [find_java(settings), MARKER, f"-Xmx{settings.store_heap}",
            "-jar", str(find_jar(settings).resolve()),
            "--host", settings.store_host, "--port", str(settings.store_port),
            "--backend", settings.store_backend]
    if settings.store_backend == "h2":
        args += ["--data-file", str(data_file(settings).resolve())]
    return args


def ping(url: str, *, timeout: float = 1.0) -> bool:
    """True when a MongoDB-compatible server answers `ping` at url within timeout seconds."""
    ms = max(int(timeout * 1000), 1)
    client: MongoClient = MongoClient(
        url, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, socketTimeoutMS=ms
    )
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def _read_pid(settings: Settings) -> int | None:
    try:
        pid = int(_pid_file(settings).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _is_our_process(pid) else None


def _is_our_process(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():
        # A recycled pid belongs to some other program: treat the pid file as stale.
        return MARKER.encode() in cmdline.read_bytes().split(b"\0")
    return True


def status(settings: Settings) -> StoreStatus:
    """Whether the local store described by settings is running."""
    pid = _read_pid(settings)
    return StoreStatus(
        running=pid is not None,
        pid=pid,
        url=settings.local_store_url,
        data_dir=data_file(settings) if settings.store_backend == "h2" else settings.store_dir,
        log_file=_log_file(settings),
    )


def tail_log(settings: Settings, lines: int = 20) -> str:
    """The last lines of the store's log, for error messages."""
    try:
        with _log_file(settings).open(errors="replace") as fh:
            return "".join(deque(fh, maxlen=lines))
    except FileNotFoundError:
        return "(no log)"


def start(settings: Settings) -> StoreStatus:
    """Start the local store unless it already runs; wait until it answers ping."""
    current = status(settings)
    if current.running:
        # Ours and alive: it may be reopening a large H2 file or collecting garbage. Wait for it;
        # stopping it here would throw away a memory store's data.
        deadline = time.monotonic() + settings.store_start_timeout
        while time.monotonic() < deadline:
            if ping(current.url, timeout=2.0):
                return current
            time.sleep(0.2)
        raise LocalStoreError(
            f"the local store (pid {current.pid}) runs but did not answer within "
            f"{settings.store_start_timeout:.0f}s; see {current.log_file}, or `hub store stop` it"
        )
    _pid_file(settings).unlink(missing_ok=True)
    if ping(settings.local_store_url, timeout=0.5):
        raise LocalStoreError(
            f"port {settings.store_port} already answers as a MongoDB server that this data dir "
            "did not start; set HUB_MONGODB_URL to use it, or HUB_STORE_PORT to pick another port"
        )

    argv = command(settings)
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    settings.store_dir.chmod(0o700)  # the data file holds personal data (encrypted) and case records
    log = _log_file(settings)
    with log.open("ab") as log_fh:
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log_fh,
                stderr=log_fh,
                start_new_session=True,
            )
        except OSError as exc:
            raise LocalStoreError(f"could not run {argv[0]}: {exc}") from exc
    _pid_file(settings).write_text(f"{proc.pid}\n")

    deadline = time.monotonic() + settings.store_start_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _pid_file(settings).unlink(missing_ok=True)
            raise LocalStoreError(
                f"local store exited with status {proc.returncode}; last log lines:\n"
                + tail_log(settings)
            )
        if ping(settings.local_store_url, timeout=0.5):
            return status(settings)
        time.sleep(0.1)
    stop(settings)
    raise LocalStoreError(
        f"local store did not answer within {settings.store_start_timeout:.0f}s; "
        "last log lines:\n" + tail_log(settings)
    )


def stop(settings: Settings, *, timeout: float = 30.0) -> bool:
    """Stop the local store (SIGTERM: the H2 file is committed and closed); False when it was not running."""
    pid = _read_pid(settings)
    if pid is None:
        _pid_file(settings).unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _is_alive(pid):
        time.sleep(0.05)
    if _is_alive(pid):
        os.kill(pid, signal.SIGKILL)
    _pid_file(settings).unlink(missing_ok=True)
    return True


def _is_alive(pid: int) -> bool:
    try:
        # Reap it if it is our child; otherwise just probe.
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
