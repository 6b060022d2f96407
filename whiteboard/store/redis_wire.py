"""How the Redis store lays a board's log out in Redis: the Lua scripts that append, create and
claim atomically, and a row's form as a stream entry and as a pub/sub message.

Apart from ``store/redis.py`` because the cluster (``cluster/redis.py``) reads the same
layout: it follows the stream and the ``rows`` channel that the scripts write.
"""

from __future__ import annotations

from whiteboard.store.base import LogRow

COMMIT = """
local head = tonumber(redis.call('GET', KEYS[1]) or '0')
if head ~= tonumber(ARGV[1]) then
  if head == tonumber(ARGV[3]) then
    local mine = redis.call('XRANGE', KEYS[2], ARGV[3] .. '-0', ARGV[3] .. '-0')
    if #mine == 1 and mine[1][2][8] == ARGV[7] then
      return -1
    end
  end
  if redis.call('GET', KEYS[3]) == ARGV[6] then
    redis.call('DEL', KEYS[3])
  end
  return head
end
redis.call('XADD', KEYS[2], ARGV[3] .. '-0', 'f', ARGV[2], 't', ARGV[4], 'o', ARGV[5],
  'n', ARGV[7])
redis.call('SET', KEYS[1], ARGV[3])
redis.call('INCRBY', KEYS[5], string.len(ARGV[5]))
if redis.call('GET', KEYS[3]) == ARGV[6] then
  redis.call('DEL', KEYS[3])
end
redis.call('PUBLISH', KEYS[4], ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. ARGV[4] .. ' ' .. ARGV[5])
return -1
"""

CREATE = """
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then
  return 0
end
if redis.call('HSETNX', KEYS[2], 'created', ARGV[1]) == 0 then
  return 0
end
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[2], 'key_hash', ARGV[2])
end
return 1
"""

RESERVE = """
if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1
"""

CLAIM = """
if redis.call('EXISTS', KEYS[1], KEYS[2], KEYS[3]) > 0 then
  return 0
end
redis.call('SET', KEYS[1], '0')
return 1
"""


def stream_row(entry_id: bytes, fields: dict[bytes, bytes] | list[bytes]) -> LogRow:
    """A stream entry as a LogRow: its id is ``<last seq>-0``. Lua answers give the fields as
    a flat list, redis-py's XRANGE as a dict."""
    if isinstance(fields, list):
        fields = dict(zip(fields[::2], fields[1::2], strict=True))
    last = int(entry_id.split(b"-", 1)[0])
    return LogRow(int(fields[b"f"]), last, int(fields[b"t"]), bytes(fields[b"o"]))


def published_row(data: bytes) -> LogRow:
    """A row as the append script publishes it on the board's ``rows`` channel."""
    first, last, ts, ops = data.split(b" ", 3)
    return LogRow(int(first), int(last), int(ts), ops)
