"""The build: each source's unit of work, the cache, and the assembly of the release."""
