"""The values of the pipeline's job parameters for one run, as the steps receive them.

Three places give a value, the later winning:

1. the spec's ``job.parameters``: the declared parameters and their defaults;
2. the job run's arguments ``--KEY value``: the job's default arguments (the same defaults, set at
   deploy), replaced for one run by the console's "Run with parameters", StartJobRun's
   ``Arguments``, or ``gluekit local run --args KEY=value``;
3. the workflow run's properties ``KEY=value``: StartWorkflowRun's ``RunProperties``, or
   PutWorkflowRunProperties before the transform job starts. A job a workflow starts always
   gets its default arguments, so a per-run value of a workflow run comes from here.

Only declared parameters are read: Glue passes arguments of its own, and the bridge and the jobs
write run properties of their own (``manifest``, ``batch_id``, ...), which the spec reserves.
"""

from __future__ import annotations

from collections.abc import Mapping


def resolve_parameters(
    declared: Mapping[str, str],
    job_arguments: Mapping[str, str],
    run_properties: Mapping[str, str],
) -> dict[str, str]:
    values = dict(declared)
    for source in (job_arguments, run_properties):
        values.update({key: value for key, value in source.items() if key in declared})
    return values
