"""ScienceWorld evaluation splits of the STEP-HRL protocol (shared/design/STEP-HRL.md).

A split takes, for each task, the first N variations of the engine's own train/dev/test list for that task.
Tasks with no entry here (the inclined-plane, unknown-substance melting point and Mendelian genetics tasks) are
not used. Totals: train 1 404, test 211, dev 195.
"""
from typing import Dict, Tuple

# task name -> (train, test, dev)
SPLIT_SIZES: Dict[str, Tuple[int, int, int]] = {
    "boil": (14, 9, 7),
    "change-the-state-of-matter-of": (14, 9, 7),
    "chemistry-mix": (16, 8, 8),
    "chemistry-mix-paint-secondary-color": (18, 9, 9),
    "chemistry-mix-paint-tertiary-color": (18, 9, 9),
    "find-animal": (120, 10, 10),
    "find-living-thing": (120, 10, 10),
    "find-non-living-thing": (120, 10, 10),
    "find-plant": (120, 10, 10),
    "freeze": (14, 9, 7),
    "grow-fruit": (62, 10, 10),
    "grow-plant": (62, 10, 10),
    "identify-life-stages-1": (6, 5, 3),
    "identify-life-stages-2": (4, 4, 2),
    "lifespan-longest-lived": (62, 10, 10),
    "lifespan-longest-lived-then-shortest-lived": (62, 10, 10),
    "lifespan-shortest-lived": (62, 10, 10),
    "measure-melting-point-known-substance": (120, 10, 10),
    "melt": (14, 9, 7),
    "power-component": (8, 5, 3),
    "power-component-renewable-vs-nonrenewable-energy": (8, 5, 3),
    "test-conductivity": (120, 10, 10),
    "test-conductivity-of-unknown-substances": (120, 10, 10),
    "use-thermometer": (120, 10, 10),
}

SPLITS = ("train", "test", "dev")


def split_size(task: str, split: str) -> int:
    return SPLIT_SIZES.get(task, (0, 0, 0))[SPLITS.index(split)]
