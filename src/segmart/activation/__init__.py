"""Activation: destination files for ad platforms and e-mail tools (docs/activation.md)."""
