"""The examples shown under each command's ``--help`` (click keeps lines after ``\\b``)."""

from __future__ import annotations


def _examples(*lines: str) -> str:
    # "\b" stops click from re-wrapping the paragraph, so each example keeps its own line.
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


APP = _examples(
    "tutopanda-providers models --kind video",
    "tutopanda-providers models show replicate/google/veo-3-fast",
    "tutopanda-providers run lesson.toml --dry-run",
    "tutopanda-providers doctor --live --plan lesson.toml",
)
MODELS = _examples(
    "tutopanda-providers models",
    "tutopanda-providers models --kind image",
    "tutopanda-providers models show openai/gpt-5",
    "tutopanda-providers models --json",
)
MODELS_SHOW = _examples(
    "tutopanda-providers models show replicate/google/veo-3-fast",
    "tutopanda-providers models show openai/gpt-5 --json",
)
PLUGINS = _examples(
    "tutopanda-providers plugins",
    "TUTOPANDA_DISABLE_PLUGINS=replicate tutopanda-providers plugins --json",
)
INVOKE = _examples(
    "tutopanda-providers invoke replicate/google/nano-banana -i prompt='A purring cat'",
    "tutopanda-providers invoke openai/gpt-5 --inputs-file script.toml --json",
    "tutopanda-providers invoke replicate/google/veo-3-fast -i prompt='Waves' -i duration=4 --live",
)
RUN = _examples(
    "tutopanda-providers run lesson.toml",
    "tutopanda-providers run lesson.toml --dry-run",
    "tutopanda-providers run lesson.toml --live --max-cost 5 --use-mock TextToMusicProducer",
    "tutopanda-providers run lesson.toml --override TextToImageProducer=replicate/google/imagen-4",
)
ESTIMATE = _examples(
    "tutopanda-providers estimate lesson.toml",
    "tutopanda-providers estimate lesson.toml --movie out/lesson --json",
)
DOCTOR = _examples(
    "tutopanda-providers doctor",
    "tutopanda-providers doctor --live --plan lesson.toml",
    "tutopanda-providers doctor --live --json",
)
INIT = _examples(
    "tutopanda-providers init",
    "tutopanda-providers init my-lesson --force",
)
STATUS = _examples(
    "tutopanda-providers status out/lesson",
    "tutopanda-providers status out/lesson --plan lesson.toml --json",
)
PRUNE = _examples(
    "tutopanda-providers prune out/lesson          # lists, removes nothing",
    "tutopanda-providers prune out/lesson --yes",
)
