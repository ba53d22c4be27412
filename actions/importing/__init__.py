"""Bringing history in: postmortems in Markdown, action items from CSV and from Jira.

Each import has a preview (`*_preview`) that reads, matches and checks everything and writes
nothing, and a confirm (`*_import`) that creates what the preview showed in one transaction.
"""
