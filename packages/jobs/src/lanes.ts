import type { Redis } from 'ioredis';

/*
 * Ordered lanes on Redis, next to BullMQ (whose open-source edition has no groups).
 * A lane is a sorted set of job ids scored by registration time in microseconds (Redis clock,
 * forced strictly increasing per queue), so the score gives both the order and the age of an
 * entry. Only the lane head may run; finished heads are removed by the worker that finished them,
 * and any reader removes a head it finds finished (a worker may die between finishing a job and
 * removing it) or missing for longer than the grace period (an enqueuer died between registering
 * the lane entry and adding the job).
 *
 * Numbers go back to Redis through string.format('%.0f'): Lua would print them with 14 digits.
 */
const REGISTER = `
local force = ARGV[1] == '1'
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for i = 2, #KEYS, 2 do
  local id = ARGV[i / 2 + 1]
  if force or (redis.call('EXISTS', KEYS[i]) == 0 and not redis.call('ZSCORE', KEYS[i + 1], id)) then
    last = math.max(last + 1, now)
    redis.call('ZADD', KEYS[i + 1], string.format('%.0f', last), id)
  end
end
redis.call('SET', KEYS[1], string.format('%.0f', last))
return 0`;

/** Returns {1} when the job may run, else {0, its rank in the lane}. */
const TURN = `
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {1, 0} end
local now = tonumber(ARGV[3])
local grace = tonumber(ARGV[4])
while true do
  local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local id = head[1]
  if id == ARGV[1] then return {1, 0} end
  local finished = redis.call('ZSCORE', KEYS[2], id) or redis.call('ZSCORE', KEYS[3], id)
  local orphan = redis.call('EXISTS', ARGV[2] .. id) == 0 and now - tonumber(head[2]) / 1000 > grace
  if not (finished or orphan) then
    return {0, redis.call('ZRANK', KEYS[1], ARGV[1])}
  end
  redis.call('ZREM', KEYS[1], id)
end`;

interface LaneCommands {
  idstreamLaneRegister(numKeys: number, ...args: string[]): Promise<number>;
  idstreamLaneTurn(...args: string[]): Promise<[number, number]>;
}

export interface LaneKeys {
  /** Key of the BullMQ job hash for an id (`<prefix>:<queue>:<id>`). */
  jobKey(id: string): string;
  completedKey: string;
  failedKey: string;
}

/** Lane bookkeeping of one queue; keys live under `<prefix>-lane…`, outside BullMQ's own `<prefix>:` space. */
export class Lanes {
  private readonly redis: Redis & LaneCommands;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly queue: string,
    private readonly keys: LaneKeys,
    private readonly orphanGraceMs: number,
  ) {
    if (!('idstreamLaneRegister' in redis)) {
      redis.defineCommand('idstreamLaneRegister', { lua: REGISTER });
      redis.defineCommand('idstreamLaneTurn', { numberOfKeys: 3, lua: TURN });
    }
    this.redis = redis as Redis & LaneCommands;
  }

  laneKey(lane: string): string {
    return `${this.prefix}-lane:${encodeURIComponent(this.queue)}:${lane}`;
  }

  /**
   * Appends new jobs to their lanes in the given order. Ids whose job already exists or that are
   * already in their lane are skipped (duplicates collapse), unless `force` (a manual retry).
   */
  async register(entries: { id: string; lane: string }[], force = false): Promise<void> {
    if (entries.length === 0) return;
    const keys = [`${this.prefix}-laneseq:${encodeURIComponent(this.queue)}`];
    for (const e of entries) keys.push(this.keys.jobKey(e.id), this.laneKey(e.lane));
    await this.redis.idstreamLaneRegister(keys.length, ...keys, force ? '1' : '0', ...entries.map((e) => e.id));
  }

  /** Whether `id` is its lane's head; if not, how many jobs are ahead of it. */
  async turn(lane: string, id: string): Promise<{ mayRun: boolean; ahead: number }> {
    const [mayRun, rank] = await this.redis.idstreamLaneTurn(
      this.laneKey(lane),
      this.keys.completedKey,
      this.keys.failedKey,
      id,
      this.keys.jobKey(''),
      String(Date.now()),
      String(this.orphanGraceMs),
    );
    return { mayRun: mayRun === 1, ahead: rank };
  }

  /** Removes a finished job from its lane and returns the new head, if any. */
  async finish(lane: string, id: string): Promise<string | undefined> {
    const key = this.laneKey(lane);
    const result = await this.redis.multi().zrem(key, id).zrange(key, 0, 0).exec();
    const head = result?.[1]?.[1] as string[] | undefined;
    return head?.[0];
  }
}
