"""The trainer's view of a dataset: the transition sets the runtime derived (runtime/src/store/transitions.ts).

The schema is documented in runtime/src/store/schema.ts. The trainer only reads: prompts are built by the runtime,
so training text is exactly what the agent sees at inference.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

# Must equal SCHEMA_VERSION in runtime/src/store/schema.ts (a test checks it).
SCHEMA_VERSION = 2
ROLES = ("high", "low", "progress")


class DatasetVersionError(RuntimeError):
    pass


@dataclass(frozen=True)
class Transition:
    role: str
    episode_id: int
    subtask_ordinal: int
    step_idx: Optional[int]
    state: str
    target: str
    next_state: str
    reward: float
    done: bool


def open_dataset(path: str) -> sqlite3.Connection:
    """Opens a dataset read-only (the runtime may be writing it: WAL lets both go on)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version != SCHEMA_VERSION:
        conn.close()
        raise DatasetVersionError(
            f"{path} has dataset schema version {version}; this trainer reads version {SCHEMA_VERSION}"
            + (" (open it once with the runtime to migrate it)" if version < SCHEMA_VERSION else " (update the trainer)"))
    return conn


def transition_sets(conn: sqlite3.Connection) -> List[dict]:
    rows = conn.execute("SELECT id, name, counts, created_at FROM transition_sets ORDER BY id").fetchall()
    import json
    return [{"id": r[0], "name": r[1], "counts": json.loads(r[2]), "created_at": r[3]} for r in rows]


def transitions(conn: sqlite3.Connection, set_id: int, role: Optional[str] = None) -> Iterator[Transition]:
    """The transitions of a set, in derivation order (per role)."""
    if role is not None and role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    query = ("SELECT role, episode_id, subtask_ordinal, step_idx, state, target, next_state, reward, done "
             "FROM transitions WHERE set_id = ?")
    params: tuple = (set_id,)
    if role is not None:
        query += " AND role = ?"
        params += (role,)
    query += " ORDER BY role, ordinal"
    for row in conn.execute(query, params):
        yield Transition(row[0], row[1], row[2], row[3], row[4], row[5], row[6], float(row[7]), bool(row[8]))


def episode_origins(conn: sqlite3.Connection, ids: Iterable[int]) -> Dict[int, Tuple[str, bool]]:
    """episode id -> its source ('expert', 'policy' or 'human') and whether it was won."""
    wanted = sorted(set(ids))
    found: Dict[int, Tuple[str, bool]] = {}
    for k in range(0, len(wanted), 500):  # SQLite's bound-parameter limit
        part = wanted[k:k + 500]
        query = f"SELECT id, source, won FROM episodes WHERE id IN ({','.join('?' * len(part))})"
        found.update({int(r[0]): (str(r[1]), bool(r[2])) for r in conn.execute(query, part)})
    return found
