"""Foundations every layer may use: errors, paths, whole-file writes, where a command may write, and
work started on a thread of its own.

Imports nothing of the workbook's other layers.
"""
