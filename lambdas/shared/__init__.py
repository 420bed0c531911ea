"""Code shared by the kit's Lambda functions."""
