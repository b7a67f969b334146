from redis.asyncio.client import PubSub as PubSub
from redis.asyncio.client import Redis as Redis
