"""Runs a pipeline end to end on this machine: moto for AWS, local Spark for Glue."""
