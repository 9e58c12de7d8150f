import { JobJson } from 'bullmq';
import Redis from 'ioredis';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../../../../test/support/redis-test-kit';
import {
  mayBeUnreadableFetch,
  recoverUnreadableFetch,
  UnreadableFetchQueue,
  unreadableFields,
} from './unreadable-fetch';

describe('unreadableFields', () => {
  it('names the fields BullMQ cannot read as it reads them, missing ones standing for their defaults', () => {
    expect(unreadableFields(null, null, null)).toEqual([]);
    expect(unreadableFields('', '', '')).toEqual([]);
    expect(unreadableFields('{"attempts":3}', '42', '{"id":"1","queueKey":"bull:q"}')).toEqual([]);
    expect(unreadableFields('[]', '{"step":1}', null)).toEqual([]);
    expect(unreadableFields('{attempts:3}', '42', null)).toEqual(['opts']);
    // Valid JSON, but Object.entries(null) throws while the options are read; Object.entries(7) does not.
    expect(unreadableFields('null', null, null)).toEqual(['opts']);
    expect(unreadableFields('7', null, null)).toEqual([]);
    expect(unreadableFields('{}', 'half', null)).toEqual(['progress']);
    expect(unreadableFields('{}', '0', '{"id":')).toEqual(['parent']);
    expect(unreadableFields('x', 'y', 'z')).toEqual(['opts', 'progress', 'parent']);
  });
});

describe('mayBeUnreadableFetch', () => {
  it("is true for JSON.parse's and Object.entries' errors and a non-integer counter's, not other Redis or connection errors", () => {
    expect(mayBeUnreadableFetch(new SyntaxError('Unexpected token'))).toBe(true);
    expect(mayBeUnreadableFetch(new TypeError('Cannot convert undefined or null to object'))).toBe(true);
    expect(mayBeUnreadableFetch(new Error('Connection is closed.'))).toBe(false);
    expect(mayBeUnreadableFetch('SyntaxError')).toBe(false);
    // ioredis's ReplyError of a script's HINCRBY on a text.
    const notAnInteger = Object.assign(new Error('ERR user_script:1: hash value is not an integer'), {
      name: 'ReplyError',
    });
    expect(mayBeUnreadableFetch(notAnInteger)).toBe(true);
    expect(mayBeUnreadableFetch(Object.assign(new Error('NOSCRIPT'), { name: 'ReplyError' }))).toBe(false);
  });
});

describe('recoverUnreadableFetch (real Redis)', () => {
  let redis: Redis;
  let prefix: string;
  let queue: UnreadableFetchQueue;

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  beforeEach(() => {
    prefix = `${uniquePrefix('unreadable-fetch')}:q:`;
    queue = {
      client: Promise.resolve(redis),
      activeKey: `${prefix}active`,
      jobKeyPrefix: prefix,
      getJobData: async (id) => ({ id, ...(await redis.hgetall(prefix + id)) }) as unknown as JobJson,
    };
  });
  afterEach(async () => {
    await deletePrefix(redis, prefix);
  });
  afterAll(() => {
    redis.disconnect();
  });

  /** An active job locked by `token`, with the given stored fields. */
  const activeJob = async (id: string, token: string, fields: Record<string, string>) => {
    await redis.lpush(queue.activeKey, id);
    await redis.set(`${prefix}${id}:lock`, token);
    await redis.hset(prefix + id, { name: 'svc', data: '{}', ...fields });
  };

  it('finds the job locked by the fetch token, resets what cannot be read, and reads it again', async () => {
    await activeJob('1', 'other', { opts: '{bad', progress: 'bad' });
    await activeJob('2', 'mine', { opts: '{bad', progress: 'bad', parent: '{"id":' });
    await activeJob('3', 'third', { opts: '{}' });
    const recovered = await recoverUnreadableFetch(queue, 'mine');
    expect(recovered).toEqual({
      id: '2',
      reason: "the job's stored opts and progress and parent are not JSON that BullMQ can read",
      next: [expect.objectContaining({ id: '2', opts: '{"attempts":1}', progress: '0' }), '2', 0, 0],
    });
    expect(await redis.hget(`${prefix}2`, 'parent')).toBeNull();
    // The job of another fetch is left as it is.
    expect(await redis.hmget(`${prefix}1`, 'opts', 'progress')).toEqual(['{bad', 'bad']);
  });

  it('resets counters its script could not HINCRBY (it stopped after locking the job), named with the fields', async () => {
    await activeJob('4', 'mine', { opts: '{bad', atm: '2', ats: 'x', stc: '99999999999999999999' });
    expect(await recoverUnreadableFetch(queue, 'mine')).toEqual({
      id: '4',
      reason:
        "the job's stored opts is not JSON that BullMQ can read; its ats is not a count BullMQ can use (an integer); " +
        'its stc is not a count BullMQ can use (an integer)',
      next: [expect.objectContaining({ id: '4', opts: '{"attempts":1}', atm: '2', ats: '0', stc: '0' }), '4', 0, 0],
    });
  });

  it('gives nothing when no active job holds the token, or when the job it holds can be read', async () => {
    await activeJob('1', 'other', { opts: '{bad' });
    await activeJob('2', 'mine', { opts: '{"attempts":1}', progress: '3' });
    expect(await recoverUnreadableFetch(queue, 'nobody')).toBeUndefined();
    expect(await recoverUnreadableFetch(queue, 'mine')).toBeUndefined();
    expect(await redis.hget(`${prefix}1`, 'opts')).toBe('{bad');
    expect(await redis.hget(`${prefix}2`, 'opts')).toBe('{"attempts":1}');
  });
});
