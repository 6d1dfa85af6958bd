"""The compliance API: the contact gate's question, and holds."""
