"""The conversation engine's building blocks: turn-taking (``turns``), more to come.

Kept free of heavy imports: modules here are pure logic, engines are injected.
"""
