"""The core's ports to the outside: SMTP delivery, the ENTSO-E REST API, the kept body.

Each adapter does one kind of I/O and imports the core at most, never another adapter; the flow
composes them.
"""
