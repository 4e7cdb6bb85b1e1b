"""Code that runs inside a sandbox. Nothing here imports the rest of Ovis."""
