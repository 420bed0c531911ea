"""CDK stacks (wiring only) and constructs (one per file) of the gluekit app."""
