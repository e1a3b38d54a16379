"""The throw-away PostgreSQL server of the tests (``tests/_postgres.py``, issue 10).

These prove the fixture itself: the backend that uses it comes later.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from _postgres import ENV_URL, PostgresServer

TESTS = Path(__file__).resolve().parent


def test_the_server_answers(postgres_server: PostgresServer) -> None:
    """A connection to the maintenance database runs a query on PostgreSQL 15 or later."""
    with postgres_server.connect() as conn:
        version = conn.execute("SHOW server_version_num").fetchone()
    assert version is not None and int(version[0]) >= 150000


def test_each_test_gets_its_own_empty_database(postgres_server: PostgresServer,
                                              postgres_db: str) -> None:
    """``postgres_db`` is a new database, named only by this test, holding no table."""
    import psycopg

    with psycopg.connect(postgres_db, autocommit=True) as conn:
        name = conn.execute("SELECT current_database()").fetchone()
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        assert tables.fetchone() == (0,)
        conn.execute("CREATE TABLE mine (n integer)")
    assert name is not None and name[0].startswith("mbp_test_")
    with postgres_server.connect() as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", name).fetchone()
    assert found == (1,)


def test_a_database_is_dropped_after_its_test(postgres_server: PostgresServer,
                                              postgres_db: str) -> None:
    """Earlier tests' databases are gone: only this one is left from ``postgres_db``."""
    with postgres_server.connect() as admin:
        names = [r[0] for r in admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'mbp\\_test\\_%' "
            "AND datname NOT LIKE 'mbp\\_test\\_schemas\\_%'")]
    assert names == [postgres_db.rsplit("/", 1)[1].split("?")[0]]


def test_each_test_gets_its_own_schema(postgres_schema: str) -> None:
    """``postgres_schema`` puts a new empty schema first: unqualified tables land there."""
    import psycopg

    with psycopg.connect(postgres_schema, autocommit=True) as conn:
        schema = conn.execute("SELECT current_schema()").fetchone()
        assert schema is not None and schema[0].startswith("t_")
        count = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s", schema)
        assert count.fetchone() == (0,)
        conn.execute("CREATE TABLE mine (n integer)")
        found = conn.execute("SELECT schemaname FROM pg_tables WHERE tablename = 'mine'")
        assert found.fetchall() == [schema]


# -- the server does not outlive its session -------------------------------------------

_CHILD_TEST = '''
import os, pathlib, time

def test_child(postgres_server):
    pathlib.Path(os.environ["REPORT"]).write_text(
        f"{postgres_server.pid} {postgres_server.folder}")
    if os.environ.get("HANG"):
        time.sleep(120)
    assert os.environ.get("FAIL") is None
'''


def _child_session(tmp_path: Path, **env: str) -> tuple[subprocess.Popen[bytes], Path]:
    (tmp_path / "test_child.py").write_text(textwrap.dedent(_CHILD_TEST))
    report = tmp_path / "report.txt"
    environment = {k: v for k, v in os.environ.items() if k != ENV_URL}
    environment.update(PYTHONPATH=str(TESTS), REPORT=str(report), **env)
    child = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "_postgres", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), str(tmp_path / "test_child.py")],
        cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return child, report


def _started(report: Path, child: subprocess.Popen[bytes]) -> tuple[int, Path]:
    deadline = time.monotonic() + 90
    while not report.exists() or not report.read_text():
        if child.poll() is not None or time.monotonic() > deadline:
            output = child.communicate()[0].decode(errors="replace")
            pytest.skip(f"the child session started no server: {output.strip()[-300:]}")
        time.sleep(0.05)
    pid, folder = report.read_text().split(" ", 1)
    return int(pid), Path(folder)


def _gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A zombie is gone for every purpose but still answers kill(0).
        try:
            if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                return True
        except (OSError, IndexError):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(bool(os.environ.get(ENV_URL)), reason=f"{ENV_URL} names an existing server")
def test_the_server_is_stopped_and_removed_after_a_failed_session(tmp_path: Path) -> None:
    """After a session whose test fails, the server process and its folder are gone.

    (A passing session ends the same way; the killed-session test below runs one.)
    """
    child, report = _child_session(tmp_path, FAIL="1")
    output = child.communicate(timeout=120)[0].decode(errors="replace")
    pid, folder = _started(report, child)
    assert child.returncode == 1, output
    assert _gone(pid), f"postgres {pid} still running after the session"
    assert not folder.exists()


@pytest.mark.skipif(bool(os.environ.get(ENV_URL)), reason=f"{ENV_URL} names an existing server")
def test_an_interrupted_session_stops_its_server(tmp_path: Path) -> None:
    """Ctrl-C in the middle of a test still stops the server and removes its folder."""
    child, report = _child_session(tmp_path, HANG="1")
    pid, folder = _started(report, child)
    child.send_signal(signal.SIGINT)
    child.communicate(timeout=60)
    assert _gone(pid), f"postgres {pid} still running after Ctrl-C"
    assert not folder.exists()


@pytest.mark.skipif(bool(os.environ.get(ENV_URL)), reason=f"{ENV_URL} names an existing server")
def test_a_killed_session_takes_its_server_along(tmp_path: Path) -> None:
    """kill -9 of the test process: the server exits with it; the next session sweeps the folder."""
    child, report = _child_session(tmp_path, HANG="1")
    pid, folder = _started(report, child)
    child.kill()
    child.communicate(timeout=60)
    assert _gone(pid), f"postgres {pid} outlived its killed session"
    assert folder.exists()  # nobody was left to remove it ...
    report.unlink()
    again, report = _child_session(tmp_path)
    output = again.communicate(timeout=120)[0].decode(errors="replace")
    next_pid, next_folder = _started(report, again)
    assert again.returncode == 0, output
    assert not folder.exists()  # ... until the next session started,
    assert _gone(next_pid) and not next_folder.exists()  # which passed and cleaned up


def test_without_server_binaries_the_tests_skip_saying_why(tmp_path: Path) -> None:
    """No initdb anywhere: the test using the server is skipped with a one-line reason."""
    (tmp_path / "conftest.py").write_text(
        "import _postgres\n_postgres.SERVER_BIN_GLOB = '/nonexistent/*/bin'\n")
    (tmp_path / "test_child.py").write_text("def test_child(postgres_server):\n    pass\n")
    environment = {k: v for k, v in os.environ.items() if k != ENV_URL}
    environment.update(PYTHONPATH=str(TESTS), PATH=str(Path(sys.executable).parent))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "_postgres", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), str(tmp_path / "test_child.py")],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    (reason,) = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert "no PostgreSQL server binaries (initdb, postgres)" in reason
    assert f"set {ENV_URL}=postgresql://" in reason


def test_an_existing_server_named_in_the_environment_is_used_and_left_running(
        tmp_path: Path, postgres_server: PostgresServer) -> None:
    """With $MBP_BILLING_TEST_POSTGRES the tests start nothing, use it, and leave it up."""
    (tmp_path / "test_child.py").write_text(
        "import os, pathlib\n"
        "def test_child(postgres_server, postgres_db):\n"
        "    assert postgres_server.folder is None and postgres_server.pid is None\n"
        "    pathlib.Path(os.environ['REPORT']).write_text(postgres_db)\n")
    report = tmp_path / "report.txt"
    environment = {**os.environ, "PYTHONPATH": str(TESTS), "REPORT": str(report),
                   ENV_URL: postgres_server.url}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "_postgres", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), str(tmp_path / "test_child.py")],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    name = report.read_text().rsplit("/", 1)[1].split("?")[0]
    assert name.startswith("mbp_test_")
    with postgres_server.connect() as admin:  # still up, and the test's database is gone
        left = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    assert left is None
