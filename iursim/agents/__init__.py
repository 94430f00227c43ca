"""Agent types of the model: one module per type."""
