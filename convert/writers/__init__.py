"""Stage 5, write: rendered documents → files. Each format has its own module (``pdf``,
``pdf_finish``, ``pdf_tags``, ``pdf_unicode``, ``epub``, ``html``); every one writes through
``files.atomic_output``, so an output is whole or absent.
"""
