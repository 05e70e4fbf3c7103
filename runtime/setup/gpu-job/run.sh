#!/usr/bin/env bash
# On the GPU machine, in the repository root: keeps each model part pack.sh wrote that has arrived (a folder that
# outlives the transfer), and once all have, joins and checks the model and runs the trainer on the packed dataset.
#
#   runtime/setup/gpu-job/run.sh [--dir D] [--stash S] [-- TRAINER ARGS...]
#
# D: where the packed folder arrived (default .stephrl/gpu-job); S: where parts wait between transfers (default
# /tmp/stephrl-gpu-job). TRAINER ARGS go to `python3 -m stephrl_train`, with --db and --model added for bc, rl and
# bench and --model for export and merge: e.g. `-- bc --out $OUT/bc --preset paper --steps 400 --no-export`, then
# `-- export --adapter $OUT/bc/final/adapter --out $OUT/adapter.gguf --dtype f16` (half the size of f32). Without
# them it only keeps the parts and says how many are there.
set -euo pipefail
cd "$(dirname "$0")/../../.."
dir=.stephrl/gpu-job
stash=/tmp/stephrl-gpu-job
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --stash) stash=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "run.sh: unknown argument $1 (see the comment at the top of this file)" >&2; exit 2 ;;
  esac
done
mkdir -p "$stash"
for piece in "$dir"/part-*/piece-*; do [ -f "$piece" ] && cp "$piece" "$stash/"; done
[ -f "$dir/model.sha256" ] && cp "$dir/model.sha256" "$stash/"
[ -f "$dir/dataset.db.gz" ] && gunzip -c "$dir/dataset.db.gz" > "$stash/dataset.db"
[ -d "$dir/site" ] && rm -rf "$stash/site" && cp -r "$dir/site" "$stash/site"
echo "run.sh: $(ls "$stash"/piece-* 2>/dev/null | wc -l) model parts kept in $stash"
[ $# -gt 0 ] || exit 0

for need in model.sha256 dataset.db site; do
  [ -e "$stash/$need" ] || { echo "run.sh: $need has not arrived (send it, or its .gz, with the last part)" >&2; exit 2; }
done
name=$(awk '{print $2}' "$stash/model.sha256")
if ! (cd "$stash" && [ -f "$name" ] && sha256sum --quiet -c model.sha256 2>/dev/null); then
  cat "$stash"/piece-* > "$stash/$name"
  (cd "$stash" && sha256sum --quiet -c model.sha256) || {
    echo "run.sh: the joined model does not match model.sha256: a part is missing or damaged" >&2; rm -f "$stash/$name"; exit 2; }
fi
command=$1; shift
paths=()
case "$command" in
  bc|rl|bench) paths=(--db "$stash/dataset.db" --model "$stash/$name") ;;
  export|merge) paths=(--model "$stash/$name") ;;
esac
export PYTHONPATH="$PWD/runtime/python:$stash/site${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
exec python3 -m stephrl_train "$command" "$@" "${paths[@]}"
