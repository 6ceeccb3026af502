"""Publishing as linked data: the static site, content negotiation, the server and its deployment
configurations.
"""
