"""Layout of the bridge's claims table; lambdas/bridge uses the same names (a test checks)."""

CLAIMS_PARTITION_KEY = "pk"
CLAIMS_TTL_ATTRIBUTE = "expires_at"
CLAIMS_PENDING_INDEX = "pending"
CLAIMS_PENDING_KEY = "pending_pipeline"
