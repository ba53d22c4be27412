"""Alert intake: monitoring and paging systems post alerts, which open draft postmortems with
their timeline already there. One module per sender's format; `services.alerts_receive` records."""
