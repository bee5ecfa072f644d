"""Helpers the tests share: the repository's root, the chapters' seed-0 runs (made once
per session, chapter_runs), bugs planted to show a check fails (plants)."""
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
