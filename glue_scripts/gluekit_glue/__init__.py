"""gluekit's Glue side: the code of the transform, validate, publish and compact jobs.

Shipped to Glue as a zip of this package (``--extra-py-files``); each job's Glue script
(``glue_scripts/<job>/job.py``) only calls ``gluekit_glue.jobs.main(sys.argv, "<job>")``.
Imports only the standard library, PySpark, boto3 and (on Glue) awsglue — never ``gluekit``.

- ``arguments``: job arguments and how to pass them; ``config``: the ``--gluekit_config`` JSON.
- ``session``: GlueContext on Glue, the shared local SparkSession with ``--gluekit_local_root``.
- ``storage``: S3 objects via boto3, datasets via Spark paths; ``aws``: clients, metrics, run
  properties; ``manifest``: the bridge's batch manifest; ``summary``: the per-step summary JSON.
- Pure logic: ``preflight`` (whole-file checks on bytes), ``contract`` (Spark schemas),
  ``transform``, ``rules``, ``datasets``, ``publish``, ``compact`` (DataFrame steps).
- ``jobs``: each job's ``run(spark, options)`` — load, transform, save — and ``main``.
"""
