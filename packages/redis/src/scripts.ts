/**
 * The Lua scripts that make each topic operation atomic. Redis runs a script as one step, so no
 * other command interleaves: the offset, the history entry and the live message of a publish
 * happen together, and the order in which scripts run is the order of the offsets, of the
 * history, and of the live messages each subscriber connection receives.
 *
 * Every script takes only keys of one topic (one hash tag), so it runs on a Redis Cluster too.
 * Live messages go out on the topic's channel with PUBLISH, or SPUBLISH for sharded pub/sub.
 */
import { createHash } from 'node:crypto';

export interface Script {
  readonly source: string;
  readonly sha1: string;
}

function script(source: string): Script {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

// A topic whose metadata is gone (never written, expired, or lost with a restarted Redis)
// starts a new epoch: any history left behind belongs to the old one and is dropped, so that
// offsets restarting at 1 can never be mistaken for the old ones.
const META = `
local epoch = redis.call('HGET', KEYS[1], 'e')
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'e', epoch, 'o', 0)
end
`;

/**
 * KEYS: meta, stream. ARGV: new epoch, data, binary (1|0), publishedAt, maxMessages, history
 * TTL ms, meta TTL ms, channel, PUBLISH|SPUBLISH. Returns { offset, epoch }.
 * The live message is `m:<offset>:<epoch>:<binary>:<publishedAt>:<data>`.
 */
export const publishScript = script(`${META}
local offset = redis.call('HINCRBY', KEYS[1], 'o', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[5], offset .. '-0', 'd', ARGV[2], 'b', ARGV[3], 't', ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
redis.call(ARGV[9], ARGV[8], 'm:' .. offset .. ':' .. epoch .. ':' .. ARGV[3] .. ':' .. ARGV[4] .. ':' .. ARGV[2])
return { offset, epoch }
`);

/**
 * KEYS: meta, stream. ARGV: new epoch, meta TTL ms, since offset ('' for the position only),
 * since epoch. Returns { offset, epoch, entries after since (same epoch only) }: the position
 * and the history are read in one step, so no publish falls between them.
 */
export const historyScript = script(`${META}
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local offset = tonumber(redis.call('HGET', KEYS[1], 'o'))
local entries = {}
if ARGV[3] ~= '' and ARGV[4] == epoch and tonumber(ARGV[3]) < offset then
  entries = redis.call('XRANGE', KEYS[2], (tonumber(ARGV[3]) + 1) .. '-0', offset .. '-0')
end
return { offset, epoch, entries }
`);

// Presence: KEYS[1] hash client ID -> data JSON, KEYS[2] sorted set client ID -> expiry (ms,
// by the Redis server's clock, so that nodes with skewed clocks agree). Members whose node
// stopped refreshing them are swept, with a leave event, by whichever script runs next.
// Events: `j:<byte length of id>:<id><data JSON>` and `l:...` alike.
const PRESENCE_PRELUDE = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local function announce(action, id, data)
  redis.call(ARGV[2], ARGV[1], action .. ':' .. string.len(id) .. ':' .. id .. data)
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  local data = redis.call('HGET', KEYS[1], id)
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
  if data then announce('l', id, data) end
end
`;

/**
 * KEYS: members, expiries. ARGV: channel, PUBLISH|SPUBLISH, TTL ms, announce (1: always, as a
 * join; 0: only members that were missing, as after a Redis restart), then client ID and data
 * JSON pairs. Adds or refreshes the members.
 */
export const refreshMembersScript = script(`${PRESENCE_PRELUDE}
local ttl = tonumber(ARGV[3])
for i = 5, #ARGV, 2 do
  local id = ARGV[i]
  local missing = redis.call('HEXISTS', KEYS[1], id) == 0
  redis.call('HSET', KEYS[1], id, ARGV[i + 1])
  redis.call('ZADD', KEYS[2], now + ttl, id)
  if missing or ARGV[4] == '1' then announce('j', id, ARGV[i + 1]) end
end
if #ARGV >= 5 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return 1
`);

/** KEYS: members, expiries. ARGV: channel, PUBLISH|SPUBLISH, client ID. */
export const leaveScript = script(`${PRESENCE_PRELUDE}
local data = redis.call('HGET', KEYS[1], ARGV[3])
if not data then return 0 end
redis.call('HDEL', KEYS[1], ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[3])
announce('l', ARGV[3], data)
return 1
`);

/** KEYS: members, expiries. ARGV: channel, PUBLISH|SPUBLISH. Returns client ID, data JSON, ... */
export const membersScript = script(`${PRESENCE_PRELUDE}
return redis.call('HGETALL', KEYS[1])
`);
