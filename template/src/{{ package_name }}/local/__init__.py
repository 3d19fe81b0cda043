"""The local edge: the whole event-driven loop on one machine, no cloud account.

stack (supervises it all) -> servers (Prefect, SMTP), receiver (the HTTP host that stands in
for the Cloud webhook), inbox (what it keeps); config (ports and folders); demo (one push).
"""
