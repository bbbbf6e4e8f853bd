"""Tests of the lecture-notes deck parser, its Markdown rendering and card identity."""
