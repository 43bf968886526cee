"""``python -m convert`` runs the ``pressroom`` command; ``run`` is also the console script's
entry point."""

import gc
import sys


def run() -> int:
    """``cli.main`` on the command line's arguments, started cold as fast as it can be.

    A cold start allocates several hundred thousand objects while importing (modules,
    classes, compiled patterns), none of them garbage, and the cyclic collector would walk
    them again and again: a twentieth of an EPUB run. So nothing is collected while the
    command's modules are imported, and what the imports made is then frozen (``gc.freeze``:
    later collections, the one at exit included, skip it; forked batch workers share it).
    The dynamic libraries WeasyPrint opens are found from what an earlier run found
    (``startup.py``).
    """
    gc.disable()
    try:
        from .startup import remember_library_lookups

        remember_library_lookups()
        from .cli import main
    finally:
        gc.enable()
    gc.freeze()
    return main()


if __name__ == "__main__":
    sys.exit(run())
