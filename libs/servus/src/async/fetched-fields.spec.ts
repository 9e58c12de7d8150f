import Redis from 'ioredis';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../../../../test/support/redis-test-kit';
import { boundFetchedFields, FetchingBackend } from './fetched-fields';

describe('boundFetchedFields (real Redis)', () => {
  let redis: Redis;
  let prefix: string;

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  beforeEach(() => {
    prefix = `${uniquePrefix('fetched-fields')}:q:`;
  });
  afterEach(async () => {
    await deletePrefix(redis, prefix);
  });
  afterAll(() => {
    redis.disconnect();
  });

  /** A backend whose scripts all answer `reply`, bounded at 10 characters; the refusals it reports. */
  const bounded = (reply: unknown, maxChars = 10) => {
    const refused: Array<[string, string]> = [];
    const backend: FetchingBackend = { execCommand: () => Promise.resolve(reply) };
    boundFetchedFields(backend, prefix, maxChars, (id, reason) => refused.push([id, reason]));
    return { backend, refused };
  };

  it('resets JSON fields of a fetched job over the bound, in the reply and in Redis, and says why', async () => {
    const overTheLimit = 'over the limit of 10 bytes (limits.maxPayloadBytes)';
    await redis.hset(`${prefix}7`, {
      opts: 'o'.repeat(11),
      progress: '1',
      parent: 'p'.repeat(20),
      data: 'd'.repeat(50),
    });
    const hash = ['data', 'd'.repeat(50), 'opts', 'o'.repeat(11), 'progress', '1', 'parent', 'p'.repeat(20)];
    const { backend, refused } = bounded([hash, '7', 0, 0]);
    const reply = await backend.execCommand(redis, 'moveToActive', []);
    // data is MeasuredJob's to measure: left as it is.
    expect(reply).toEqual([
      ['data', 'd'.repeat(50), 'opts', '{"attempts":1}', 'progress', '1', 'parent', ''],
      '7',
      0,
      0,
    ]);
    expect(refused).toEqual([
      ['7', `the job's stored opts is at least 11 and its parent is at least 20 bytes, ${overTheLimit}`],
    ]);
    expect(await redis.hgetall(`${prefix}7`)).toEqual({
      opts: '{"attempts":1}',
      progress: '1',
      data: 'd'.repeat(50),
    });
  });

  it("refuses a parentKey BullMQ's scripts cannot split into a queue and an id, and says both reasons at once", async () => {
    await redis.hset(`${prefix}k`, { opts: 'o'.repeat(11), parentKey: 'nocolon' });
    const { backend, refused } = bounded([['opts', 'o'.repeat(11), 'parentKey', 'nocolon'], 'k', 0, 0]);
    expect(await backend.execCommand(redis, 'moveToFinished', [])).toEqual([
      ['opts', '{"attempts":1}', 'parentKey', ''],
      'k',
      0,
      0,
    ]);
    expect(refused).toEqual([
      [
        'k',
        `the job's stored opts is at least 11 bytes, over the limit of 10 bytes (limits.maxPayloadBytes); ` +
          `its parentKey is not a job key BullMQ can use (no ":" before its id)`,
      ],
    ]);
    expect(await redis.hgetall(`${prefix}k`)).toEqual({ opts: '{"attempts":1}' });
    const fine = bounded([['parentKey', 'bull:q:1'], 'k2', 0, 0], 1000);
    expect(await fine.backend.execCommand(redis, 'moveToActive', [])).toEqual([['parentKey', 'bull:q:1'], 'k2', 0, 0]);
    expect(fine.refused).toEqual([]);
  });

  it("refuses a parent that is JSON but not one BullMQ's scripts can use, resetting it in the reply and in Redis", async () => {
    // Their Lua indexes the parent and joins its queueKey and id: a number, true, null or '' stops the script after it
    // removed the job's lock (the job then stays active), a string or an object without queueKey after it took the
    // job off the active list (the job is in no list at all).
    const unusable = 'not one BullMQ can use (an object with a string queueKey and an id)';
    const cases: Array<[string, string | undefined]> = [
      ['5', unusable],
      ['true', unusable],
      ['null', unusable],
      ['""', unusable],
      ['"x"', unusable],
      ['[]', unusable],
      ['{"id":"1"}', unusable],
      ['{"queueKey":"bull:q"}', unusable],
      ['{"id":{"x":1},"queueKey":"bull:q"}', unusable],
      // Redis's cjson refuses what JSON.parse takes: an escaped lone surrogate, nesting deeper than 1000.
      ['{"id":"\\udc00","queueKey":"bull:q"}', unusable],
      [`{"id":"1","queueKey":"bull:q","x":${'['.repeat(1001)}${']'.repeat(1001)}}`, unusable],
      ['', unusable],
      ['{"id":"1","queueKey":"bull:q"}', undefined],
      ['{"id":7,"queueKey":"bull:q","fpof":true}', undefined],
      // Not JSON: BullMQ throws reading it, and recoverUnreadableFetch fails the job.
      ['{"id":', undefined],
    ];
    for (const [index, [parent, reason]] of cases.entries()) {
      const id = `p${index}`;
      await redis.hset(`${prefix}${id}`, { opts: '{}', parent });
      const check = bounded([['opts', '{}', 'parent', parent], id, 0, 0], 10_000);
      const reply = await check.backend.execCommand(redis, 'moveToActive', []);
      const stored = await redis.hget(`${prefix}${id}`, 'parent');
      if (reason) {
        expect({ parent, reply, stored, refused: check.refused }).toEqual({
          parent,
          reply: [['opts', '{}', 'parent', ''], id, 0, 0],
          stored: null,
          refused: [[id, `the job's stored parent is ${reason}`]],
        });
      } else {
        expect({ parent, reply, stored, refused: check.refused }).toEqual({
          parent,
          reply: [['opts', '{}', 'parent', parent], id, 0, 0],
          stored: parent,
          refused: [],
        });
      }
    }
  });

  it('refuses counters that HINCRBY cannot take, resetting them to 0; integers pass', async () => {
    await redis.hset(`${prefix}c`, { atm: 'x', ats: '3', stc: '1.5' });
    const { backend, refused } = bounded([['atm', 'x', 'ats', '3', 'stc', '1.5'], 'c', 0, 0], 1000);
    expect(await backend.execCommand(redis, 'moveToActive', [])).toEqual([
      ['atm', '0', 'ats', '3', 'stc', '0'],
      'c',
      0,
      0,
    ]);
    expect(refused).toEqual([
      [
        'c',
        "the job's stored atm is not a count BullMQ can use (an integer); its stc is not a count BullMQ can use (an integer)",
      ],
    ]);
    expect(await redis.hgetall(`${prefix}c`)).toEqual({ atm: '0', ats: '3', stc: '0' });
    // HINCRBY refuses these forms too.
    for (const form of ['007', '00', '-0', '+1', ' 1', '1.0', '1e3', '']) {
      const odd = bounded([['atm', form], 'e', 0, 0], 1000);
      expect({ form, reply: await odd.backend.execCommand(redis, 'moveToActive', []) }).toEqual({
        form,
        reply: [['atm', '0'], 'e', 0, 0],
      });
    }
    const fine = bounded([['atm', '-2', 'ats', '0', 'stc', '17'], 'd', 0, 0], 1000);
    expect(await fine.backend.execCommand(redis, 'moveToActive', [])).toEqual([
      ['atm', '-2', 'ats', '0', 'stc', '17'],
      'd',
      0,
      0,
    ]);
    expect(fine.refused).toEqual([]);
  });

  it('drops a stack trace over the bound (it grows with each failed attempt) without refusing the job', async () => {
    await redis.hset(`${prefix}5`, { stacktrace: JSON.stringify(['Error: x'.repeat(3)]), opts: '{}' });
    const hash = ['opts', '{}', 'stacktrace', JSON.stringify(['Error: x'.repeat(3)])];
    const { backend, refused } = bounded([hash, '5', 0, 0]);
    expect(await backend.execCommand(redis, 'moveToDelayed', [])).toEqual([
      ['opts', '{}', 'stacktrace', '[]'],
      '5',
      0,
      0,
    ]);
    expect(refused).toEqual([]);
    expect(await redis.hget(`${prefix}5`, 'stacktrace')).toBe('[]');
  });

  it('hands BullMQ the reset reply even when resetting Redis fails', async () => {
    const { backend, refused } = bounded([['opts', 'o'.repeat(11)], '6', 0, 0]);
    const broken = { eval: () => Promise.reject(new Error('Connection is closed.')) };
    expect(await backend.execCommand(broken, 'moveToActive', [])).toEqual([['opts', '{"attempts":1}'], '6', 0, 0]);
    expect(refused).toHaveLength(1);
  });

  it('leaves replies alone that carry no job, fields within the bound, and scripts that fetch nothing', async () => {
    const within = [['opts', '{}', 'progress', '0123456789'], '8', 0, 0];
    for (const [command, reply] of [
      ['moveToFinished', within],
      ['moveToDelayed', 0],
      ['moveToActive', []],
      ['extendLock', [['opts', 'o'.repeat(11)], '9']],
    ] as Array<[string, unknown]>) {
      const { backend, refused } = bounded(structuredClone(reply));
      expect(await backend.execCommand(redis, command, [])).toEqual(reply);
      expect(refused).toEqual([]);
    }
  });
});
