"""gluekit: event-driven AWS Glue pipelines from one YAML file each."""

__version__ = "0.1.0"
