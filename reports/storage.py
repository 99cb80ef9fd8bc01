"""Where the portal's files live: Django's storage (local disk by default, S3-compatible object
storage when configured), and reading a stored file as a local one."""
