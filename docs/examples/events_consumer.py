"""A small consumer of mbp_billing events: hand every new fact to another system once.

Run it beside the billing service, e.g.::

    python events_consumer.py postgresql://feeder@db.example/billing cursor.txt

It keeps its cursor (the last event sequence it handled) in a file, asks the
register for the events after it, hands each to ``handle`` and saves the
cursor after each one: a crash between handling and saving hands that event
over again (at least once), never skips one.  On PostgreSQL it waits for a
``NOTIFY`` on the ``mbp_billing_events`` channel instead of polling; on
SQLite it polls.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from mbp_billing import Event, Register
from mbp_billing.register_backends import EVENTS_CHANNEL


def consume(register: str | Path, cursor: int, handle: Callable[[Event], None], *,
            wait_seconds: float = 30.0, save: Callable[[int], None] | None = None) -> int:
    """Hand the events after ``cursor`` to ``handle``, waiting up to ``wait_seconds`` for one.

    Returns the new cursor: the sequence of the last event handled.
    """
    listener = None
    if str(register).startswith(("postgresql://", "postgres://")) and wait_seconds > 0:
        import psycopg  # the postgres extra

        listener = psycopg.connect(str(register), autocommit=True)
        listener.execute(f"LISTEN {EVENTS_CHANNEL}")  # before reading: no wake-up is lost
    try:
        with Register.open(register, create=False) as reg:
            events = reg.events(since=cursor)
            if not events and wait_seconds > 0:
                if listener is not None:
                    for _ in listener.notifies(timeout=wait_seconds, stop_after=1):
                        pass
                else:
                    time.sleep(wait_seconds)
                events = reg.events(since=cursor)
            for event in events:
                handle(event)
                cursor = event.sequence
                if save is not None:
                    save(cursor)
    finally:
        if listener is not None:
            listener.close()
    return cursor


def main(register: str, cursor_file: str) -> None:
    """Print each event as one JSON line, forever, resuming from ``cursor_file``."""
    path = Path(cursor_file)
    cursor = int(path.read_text()) if path.exists() else 0
    while True:
        cursor = consume(register, cursor,
                         lambda e: print(json.dumps(e.to_record()), flush=True),
                         save=lambda c: path.write_text(str(c)))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
