"""Errors that mean "the user gave us something wrong": the CLI prints one line and exits 2."""


class InputError(Exception):
    """Bad task file, config, dataset row, predictions file or model output.

    The message is one line that names the file, field or row at fault.
    """
