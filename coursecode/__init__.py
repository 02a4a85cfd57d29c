"""coursecode: the optimizers, problems and tools behind the book."""
