"""The review record and the registers it is judged against: front matter, record schema,
roster, digest, findings, working days.  No git, no MkDocs; imports nothing above it."""
