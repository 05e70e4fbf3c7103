"""The STEP-HRL trainer: behaviour cloning and step-level offline RL on the store's transitions (PyTorch,
transformers, peft; accelerate for more processes), and GGUF export of the adapter for llama.cpp."""
