# The names aaf calls in redis-py, typed precisely: redis-py's own annotations leave return
# types partly unknown (Awaitable[Any] | Any), which pyright strict refuses.
