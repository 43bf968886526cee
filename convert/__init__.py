"""Pressroom: Markdown articles with frontmatter → repaired, print-ready PDF and EPUB 3.

The package is named ``convert``; the command is ``pressroom``.
"""

__version__ = "0.1.0"
