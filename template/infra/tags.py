"""The tags every taggable resource carries, so that a bill or a console list shows its owner."""

import pulumi


def tags(name: str) -> dict[str, str]:
    """Project and stack tags, plus the `Name` the AWS console lists the resource by."""
    return {"project": pulumi.get_project(), "stack": pulumi.get_stack(), "Name": name}
