"""The Pulumi program (run by `pulumi` through __main__.py); a package so that tests import it."""
