"""The receptionist's brain: knowledge-base retrieval and (later) the conversation engine."""
