"""Checkouts that don't collide (issue 11, defect 2): scripts/localdb.sh gives each checkout a free port the first
time, keeps it in .pg/port and reuses it; LOCALDB_PORT still overrides. Two copies of the script stand for two
clones (the script finds its checkout from its own path); no cluster is started, only ports chosen."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def clone(root: Path) -> Path:
    """The scripts a clone needs to choose its port: localdb.sh and what it sources."""
    (root / "scripts").mkdir(parents=True)
    for name in ("localdb.sh", "server_user.sh"):
        shutil.copy2(SCRIPTS / name, root / "scripts" / name)
    return root


def port_of(checkout: Path, **env: str) -> int:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("LOCALDB_", "PG"))}
    # Clones of one test share a registry of their own: the machine's must not keep ports for these throwaway clones.
    environ["LOCALDB_PORT_REGISTRY"] = str(checkout.parent / "ports.registry")
    environ.update(env)
    out = subprocess.run(
        [str(checkout / "scripts" / "localdb.sh"), "port"], env=environ, capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip())


@pytest.fixture
def listeners() -> Iterator[list[socket.socket]]:
    sockets: list[socket.socket] = []
    yield sockets
    for s in sockets:
        s.close()


def listen_on(port: int, sockets: list[socket.socket]) -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen()
    sockets.append(s)


def test_two_checkouts_get_different_free_ports_and_keep_them(tmp_path: Path, listeners: list[socket.socket]) -> None:
    first, second = clone(tmp_path / "first"), clone(tmp_path / "second")

    a = port_of(first)
    assert 54329 <= a < 54829
    assert (first / ".pg" / "port").read_text().strip() == str(a), "kept in .pg/port"
    listen_on(a, listeners)  # the first checkout's cluster now runs there

    b = port_of(second)
    assert b != a, "the second checkout does not take the first one's port"
    assert (second / ".pg" / "port").read_text().strip() == str(b)
    assert port_of(first) == a, "reused, even though the port is busy now (its own cluster)"

    assert port_of(second, LOCALDB_PORT="55999") == 55999, "LOCALDB_PORT overrides"
    assert (second / ".pg" / "port").read_text().strip() == str(b), "an override is not kept"


def test_a_stopped_checkouts_port_is_not_given_away(tmp_path: Path) -> None:
    first, second = clone(tmp_path / "first"), clone(tmp_path / "second")
    a = port_of(first)  # nothing listens on it: the first checkout's cluster is stopped
    assert port_of(second) != a


def test_a_checkout_whose_cluster_predates_the_port_file_keeps_its_port(tmp_path: Path) -> None:
    old = clone(tmp_path / "old")
    (old / ".pg" / "data").mkdir(parents=True)
    (old / ".pg" / "data" / "localdb.conf").write_text("port = 54330\nlisten_addresses = '127.0.0.1'\n")
    assert port_of(old) == 54330
    assert (old / ".pg" / "port").read_text().strip() == "54330"
    assert port_of(clone(tmp_path / "new")) != 54330, "nor given to a new checkout while that cluster is stopped"


def test_a_bad_port_is_refused(tmp_path: Path) -> None:
    checkout = clone(tmp_path / "c")
    with pytest.raises(subprocess.CalledProcessError) as caught:
        port_of(checkout, LOCALDB_PORT="54x")
    assert "LOCALDB_PORT must be a port number" in str(caught.value.stderr)
