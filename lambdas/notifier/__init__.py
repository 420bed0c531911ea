"""The notifier: turns Glue failures and bridge quarantines into alerts a person can act on.

handler (Powertools, thin) → service (classify, look up, build, publish) → lookups (Glue, S3) and
publisher (SNS); `events`, `facts`, `message` and `runbook` are pure and unit-tested.
"""
