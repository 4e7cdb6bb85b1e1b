"""Custom runtimes (provided*): the function's own bootstrap is the runtime."""
