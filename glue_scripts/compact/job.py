"""Glue script of the compact job.

The work is in gluekit_glue.jobs.compact; the package reaches Glue as --extra-py-files.
"""

import sys

from gluekit_glue.jobs import main

if __name__ == "__main__":
    main(sys.argv, "compact")
