"""What people run beside the build: signing, the review queue, the audit report,
the periodic sweep, adoption (init) and the pre-commit hook."""
