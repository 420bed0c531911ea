"""The validate job's Glue script is job.py.

A package only so that type checkers tell the four job.py modules apart.
"""
