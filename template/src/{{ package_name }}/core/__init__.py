"""The pipeline core, the same in the cloud and locally: it computes and holds no I/O.

The data flows one way: push (the envelope) -> documents (one tidy table) -> summary ->
newsletter. It imports no adapter, no flow and no edge; ../flow.py runs the steps as a Prefect
flow, with the adapters (../adapters/) for what comes from or goes to the outside.
"""
