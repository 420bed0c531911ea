"""The text patterns of specs and environments, each with what it allows in words: an error
message says what is allowed, never a raw regex."""

from __future__ import annotations

NAME_PATTERN = r"^[a-z][a-z0-9-]*[a-z0-9]$"
# A leading '_' is the kit's: the curated table's lineage columns (_source_uri, _ingested_at, ...).
COLUMN_PATTERN = r"^[a-z][a-z0-9_]*$"
# Characters S3 does not URL-encode in event keys, so the arrival rule's prefix match sees the
# prefix as written in the spec.
PREFIX_PATTERN = r"^[A-Za-z0-9_.~-][A-Za-z0-9_.~/-]*/$"
PARAMETER_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"
ENVIRONMENT_PATTERN = r"^[a-z][a-z0-9]*$"
ACCOUNT_PATTERN = r"^\d{12}$"
REGION_PATTERN = r"^[a-z]{2}(-[a-z]+)+-\d$"

PATTERN_WORDS = {
    NAME_PATTERN: (
        "lowercase letters, digits and '-', starting with a letter and ending in a letter or digit"
    ),
    COLUMN_PATTERN: (
        "lowercase letters, digits and '_', starting with a letter ('_' names are the kit's "
        "lineage columns)"
    ),
    PREFIX_PATTERN: "letters, digits and _ . ~ - /, ending in '/' and not starting with '/'",
    PARAMETER_PATTERN: "letters, digits and '_', starting with a letter",
    ENVIRONMENT_PATTERN: "lowercase letters and digits, starting with a letter",
    ACCOUNT_PATTERN: "a 12-digit AWS account id",
    REGION_PATTERN: "an AWS region name such as eu-west-1",
}
