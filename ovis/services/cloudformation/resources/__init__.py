"""Resource handlers, one module per resource family; ``registry.providers`` lists them all."""
