"""The run folder: its layout, and the only code that reads or writes the files in it."""
