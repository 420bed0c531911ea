"""The bridge Lambda: S3 "Object Created" events in, pre-flighted and deduplicated objects out
as one manifest and one Glue workflow run per batch (or pending for a scheduled flush)."""
