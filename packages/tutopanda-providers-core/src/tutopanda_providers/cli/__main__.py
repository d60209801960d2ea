"""``python -m tutopanda_providers.cli``: the same as the ``tutopanda-providers`` command."""

from __future__ import annotations

from tutopanda_providers.cli import main

if __name__ == "__main__":
    main()
