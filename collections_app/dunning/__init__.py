"""Dunning's delivery side: safe message rendering, the SMS backend interface and the letter PDF batch."""
