"""The pipeline core, the same in the cloud and locally; it imports no edge.

The data flows one way: push (the envelope) -> documents (one tidy table) -> summary ->
newsletter -> delivery, and flow.py runs those steps as a Prefect flow.
"""
