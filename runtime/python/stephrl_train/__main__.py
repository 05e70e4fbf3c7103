"""Command line of the trainer (the runtime starts it; `accelerate launch -m stephrl_train ...` scales it out).

  python -m stephrl_train bc|rl --db D --model M --out DIR [--preset P] [--set K] [--steps N] [--config JSON]
                                [--init-adapter DIR] [--cpu] [--no-export]
  python -m stephrl_train export --adapter DIR --model M --out FILE
  python -m stephrl_train import --adapter FILE.gguf --model M --out DIR
  python -m stephrl_train greedy --model M [--adapter DIR] --texts FILE.json
  python -m stephrl_train merge --model M.gguf --adapter A.gguf --out FILE [--type auto|q8_0|f16|f32]
  python -m stephrl_train score --model M --critics critics.pt --transitions FILE.json [--cpu]

Events go to stdout as JSON lines (events.py); logs to stderr. Exit code 2: bad input (the error event says why).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import warnings

from .events import Events, exit_with_runtime

# Library notices that say nothing to a user of this trainer.
warnings.filterwarnings("ignore", category=FutureWarning)
warnings.filterwarnings("ignore", message="Could not find a config file")


def parse(argv):
    p = argparse.ArgumentParser(prog="stephrl_train")
    sub = p.add_subparsers(dest="command", required=True)
    for kind in ("bc", "rl"):
        t = sub.add_parser(kind)
        t.add_argument("--db", required=True)
        t.add_argument("--model", required=True)
        t.add_argument("--out", required=True)
        t.add_argument("--preset", default="cpu-small")
        t.add_argument("--set", type=int, help="transition set id (default: the newest)")
        t.add_argument("--steps", type=int, help="optimizer steps (overrides the epochs)")
        t.add_argument("--config", default="{}", help="JSON object of settings over the preset")
        t.add_argument("--init-adapter", help="start from this adapter (e.g. the BC result for rl)")
        t.add_argument("--cpu", action="store_true", help="train on the CPU even where a GPU is present")
        t.add_argument("--no-export", action="store_true", help="skip writing adapter.gguf for llama.cpp")
        t.add_argument("--stop-after", type=int, help=argparse.SUPPRESS)  # tests: end as a kill would, after N steps
    e = sub.add_parser("export")
    e.add_argument("--adapter", required=True)
    e.add_argument("--model", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--dtype", default="f32", choices=["f32", "f16"])
    i = sub.add_parser("import", help="a GGUF LoRA adapter as a peft adapter folder (export's inverse)")
    i.add_argument("--adapter", required=True)
    i.add_argument("--model", required=True)
    i.add_argument("--out", required=True)
    m = sub.add_parser("merge")
    m.add_argument("--model", required=True)
    m.add_argument("--adapter", required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--type", default="auto", help="auto: float matrices keep their type, quantised ones become q8_0")
    g = sub.add_parser("greedy")
    g.add_argument("--model", required=True)
    g.add_argument("--adapter")
    g.add_argument("--texts", required=True)
    c = sub.add_parser("score")
    c.add_argument("--model", required=True)
    c.add_argument("--critics", required=True)
    c.add_argument("--transitions", required=True)
    c.add_argument("--cpu", action="store_true")
    b = sub.add_parser("bench")
    b.add_argument("--db", required=True)
    b.add_argument("--model", required=True)
    b.add_argument("--preset", default="cpu-small")
    b.add_argument("--steps", type=int, default=8)
    b.add_argument("--config", default="{}")
    b.add_argument("--kinds", default="bc,rl")
    b.add_argument("--cpu", action="store_true")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv if argv is not None else sys.argv[1:])
    exit_with_runtime()  # before the heavy imports: a runtime killed while torch loads stops us too
    events = Events(enabled=int(os.environ.get("RANK", "0")) == 0)
    if args.command == "merge":  # numpy and gguf only: no torch to load
        from .merge_gguf import MergeError, merge_adapter
        try:
            events.emit("merged", **merge_adapter(args.model, args.adapter, args.out, args.type))
            return 0
        except (MergeError, ValueError, FileNotFoundError) as error:
            events.emit("error", message=str(error))
            print(f"error: {error}", file=sys.stderr)
            return 2
    from .backbone import BackboneError
    from .export_gguf import ExportError, check_exportable, export_adapter
    from .import_gguf import import_from_file
    from stephrl_data.dataset import DatasetVersionError
    try:
        if args.command == "export":
            events.emit("exported", **export_adapter(args.adapter, args.model, args.out, args.dtype))
            return 0
        if args.command == "import":
            events.emit("imported", **import_from_file(args.adapter, args.model, args.out))
            return 0
        if args.command == "bench":
            from .bench import main as bench
            bench(args)
            return 0
        if args.command == "score":
            from .score import main as score
            score(args, events)
            return 0
        if args.command == "greedy":
            from .parity import main as greedy
            greedy(args)
            return 0
        if not args.no_export:
            check_exportable(args.model)  # before training, not after it: an adapter llama.cpp could not load
        from .config import preset
        from .session import install_stop_handler
        install_stop_handler()
        overrides = json.loads(args.config)
        if args.set is not None:
            overrides["transition_set"] = args.set
        if args.steps is not None:
            overrides["max_steps"] = args.steps
        cfg = preset(args.preset, overrides)
        if args.command == "bc":
            from .bc import train_bc as train
        else:
            from .offline_rl import train_rl as train
        final = train(cfg, args.db, args.model, args.out, args.init_adapter, args.cpu, args.stop_after, requested=overrides)
        if not final:
            return 143 if args.stop_after is None else 0
        if final and not args.no_export and events.enabled:
            out = os.path.join(final, "adapter.gguf")
            events.emit("exported", **export_adapter(os.path.join(final, "adapter"), args.model, out))
        return 0
    except (BackboneError, ExportError, DatasetVersionError, ValueError, FileNotFoundError) as error:
        events.emit("error", message=str(error))
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
