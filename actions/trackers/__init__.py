"""Keeping action items in step with issue trackers (README, "Trackers").

Each tracker has a client module that speaks its REST API and reads its webhooks into an
`Issue`; `services` decides what changes on which side.
"""
