"""Environment workers for STEP-HRL Studio.

Each worker process drives one environment instance (one ScienceWorld JVM, or one TextWorld game) and speaks
JSON lines over stdio with the TypeScript runtime. The message shapes are declared in
runtime/src/protocol/env-worker.ts; this package mirrors them.
"""
