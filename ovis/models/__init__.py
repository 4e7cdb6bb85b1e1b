"""Values shared by every layer: frozen dataclasses and ARN parsing. Imports nothing of Ovis."""
