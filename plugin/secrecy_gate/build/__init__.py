"""The MkDocs glue and what surrounds a build: the approved-only view, the catalogue,
the build log and the leak scan of the output."""
