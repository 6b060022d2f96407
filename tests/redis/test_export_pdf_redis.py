"""export.pdf again with the Redis store."""

from tests.server.test_export_pdf import *  # noqa: F403
