"""Foundations every layer may use: errors, paths, whole-file writes and where a command may write.

Imports nothing of the workbook's other layers.
"""
