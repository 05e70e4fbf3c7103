"""Read access to STEP-HRL Studio datasets (the SQLite file the runtime writes) with Python's standard sqlite3."""
from .dataset import SCHEMA_VERSION, DatasetVersionError, Transition, open_dataset, transition_sets, transitions

__all__ = ["SCHEMA_VERSION", "DatasetVersionError", "Transition", "open_dataset", "transition_sets", "transitions"]
