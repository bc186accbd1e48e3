"""The offline reader's parts: one module per concern of ``clarifier_offline.Reader``."""
