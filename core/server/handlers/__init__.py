"""One module per Kafka API key. Each declares API_KEY, MIN_VERSION, MAX_VERSION and
`async def handle(ctx: RequestContext, request) -> response`; core.server.dispatch lists them
in HANDLER_TABLE (key -> module and versions), each imported at the first request of its key."""
