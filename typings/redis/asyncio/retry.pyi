from redis.backoff import AbstractBackoff
from redis.exceptions import RedisError

class Retry:
    def __init__(
        self,
        backoff: AbstractBackoff,
        retries: int,
        supported_errors: tuple[type[RedisError], ...] = ...,
    ) -> None: ...
