"""Finding the notes for a question: encoders, indexes (FAISS and FTS5), rankings and query planning."""
