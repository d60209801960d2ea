"""Run tutopanda lessons on Temporal workers, with artefacts in object storage.

Adds three commands to ``tutopanda-providers`` (see ``docs/distributed.md``)::

    tutopanda-providers worker --live --task-queue lessons          # on each worker machine
    tutopanda-providers submit examples/lesson.toml --live \\
        --movie s3://bucket/movies/sky --max-cost 5                 # from anywhere
    tutopanda-providers cancel sky

Modules: :mod:`.models` (what the workflow and activities exchange), :mod:`.workflow` (the
lesson workflow: deterministic, no import side effects), :mod:`.activities` (one job, the
movie's records), :mod:`.records` (a movie in a folder or object storage), :mod:`.worker`,
:mod:`.submit` and :mod:`.cli`. Importing this package imports nothing heavy.
"""

from __future__ import annotations

from tutopanda_providers_temporal.models import DEFAULT_TASK_QUEUE, LESSON_WORKFLOW

__all__ = ["DEFAULT_TASK_QUEUE", "LESSON_WORKFLOW"]
