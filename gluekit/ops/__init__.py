"""Operating deployed pipelines from one command: `gluekit status`, `runs`, `start`, `replay`,
`resume`, `redrive`, `rollback`, `cost` and `describe`.

Each command acts on the account and region of the caller's AWS credentials (`--profile`,
`--region`, an environment pinned in environments.yaml), names every resource through
`gluekit.naming` exactly as the CDK app names it, prints a table for people or JSON for scripts
(`--json`), and turns any AWS error into one line that says what to do.
"""
