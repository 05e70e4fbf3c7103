#!/usr/bin/env bash
# Packs what the trainer needs on a GPU machine that has Python, PyTorch, transformers, peft and accelerate but not
# this project's set-up (an offline cluster node, a rented box): a copy of the dataset, the base model cut into parts
# small enough for transfers with a size limit, and the gguf module the trainer reads GGUF models with. The trainer's
# own code is runtime/python, which travels with the repository. run.sh, there, joins the parts and trains.
#
#   runtime/setup/gpu-job/pack.sh [--db F] [--model F.gguf] [--dir D] [--part-size 36M]
#
# Writes D (default .stephrl/gpu-job): dataset.db.gz, model.sha256, part-00, part-01, ... (each holding one piece of
# the model) and site/gguf. Send D/part-NN in as many transfers as the limit needs, the rest with the last one.
set -euo pipefail
cd "$(dirname "$0")/../../.."
db=${STEPHRL_DB:-.stephrl/stephrl.db}
model=${STEPHRL_MODEL:-.stephrl/models/SmolLM2-135M-Instruct.Q4_1.gguf}
dir=.stephrl/gpu-job
part_size=36M
while [ $# -gt 0 ]; do
  case "$1" in
    --db) db=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --part-size) part_size=$2; shift 2 ;;
    *) echo "pack.sh: unknown argument $1 (see the comment at the top of this file)" >&2; exit 2 ;;
  esac
done
[ -f "$db" ] || { echo "pack.sh: no dataset at $db (--db)" >&2; exit 2; }
[ -f "$model" ] || { echo "pack.sh: no model at $model (--model)" >&2; exit 2; }
site=$(ls -d .stephrl/venv/lib/python3*/site-packages/gguf 2>/dev/null | head -1)
[ -n "$site" ] || { echo "pack.sh: the gguf module is not in .stephrl/venv: run npm run setup first" >&2; exit 2; }

# The trainer there reads one schema version: refuse here, in seconds, a dataset it would refuse there.
PYTHONPATH=runtime/python python3 -c '
import sys
from stephrl_data import DatasetVersionError, open_dataset
try:
    open_dataset(sys.argv[1]).close()
except DatasetVersionError as error:
    sys.exit(f"pack.sh: {error}")' "$db" ||
  { echo "pack.sh: open $db once with this runtime (npx stephrl dataset stats --db $db) to bring it to the trainer's schema" >&2; exit 2; }

rm -rf "$dir" && mkdir -p "$dir/site"
# A consistent copy of a database another process may be writing (WAL included), without free pages.
python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("VACUUM INTO ?", (sys.argv[2],))' "$db" "$dir/dataset.db"
gzip -9 "$dir/dataset.db"  # its texts shrink about fivefold: room in the last transfer
(cd "$(dirname "$model")" && sha256sum "$(basename "$model")") > "$dir/model.sha256"
split -b "$part_size" -d -a 2 "$model" "$dir/part.tmp-"
for piece in "$dir"/part.tmp-*; do
  n=${piece##*-}; mkdir -p "$dir/part-$n"; mv "$piece" "$dir/part-$n/piece-$n"
done
cp -r "$site" "$dir/site/gguf"
find "$dir/site" -name __pycache__ -prune -exec rm -rf {} +
du -sh "$dir"/* | sed 's/^/  /'
