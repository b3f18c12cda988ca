"""One module per Kafka API key. Each declares API_KEY, MIN_VERSION, MAX_VERSION and
`async def handle(ctx, request)`; core.server.dispatch discovers them."""
