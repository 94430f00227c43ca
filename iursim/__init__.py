"""iursim: agent-based simulation of industry-university-research (产学研) networks of SMEs."""

__version__ = "0.1.0"
