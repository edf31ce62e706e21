"""Rendering: the rich tables of every scenario kind, number formats and the sources table.

Every renderer takes a result (and its scenario) and prints it; nothing here computes a figure. A new output
format is one module here.
"""
