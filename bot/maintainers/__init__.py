"""The maintainers' tools: report, note drafts, evaluation and the benchmark."""
