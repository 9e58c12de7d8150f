import { Redis } from 'ioredis';
import { deletePrefix } from '../../../../test/support/redis-test-kit';
import { fetchScript } from './fetch-script';

/** Real Redis (127.0.0.1:6379), under a prefix of its own. */
const prefix = `fetchscript-spec-${process.pid}`;
const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });

/** BullMQ's part, stubbed: it hands over job 7 of service `svc`, started once, with ARGV[1] as its data. */
const BULLMQ = `return {{'name', 'svc', 'data', ARGV[1], 'ats', '1'}, '7', 0, 0}`;
/** Its packed options are ARGV[2]; then the step's own: the queue's name, the token, and s (the queue's index). */
const script = fetchScript(BULLMQ, 2, prefix, new Map([['svc', [1, 5000, 0, 0, 0, 0]]]));

/** The script's answer to one fetch of a job whose concurrency key is `key`. */
async function fetch(key: string, packedOpts: string | Buffer, token: string): Promise<unknown[]> {
  const data = JSON.stringify({ service: 'svc', args: {}, metadata: { v: 1, flow: { c: key } } });
  return (await redis.eval(script, 0, data, packedOpts, 'q', token, 3)) as unknown[];
}

describe("fetchScript: the lock token of a fetch's grant", () => {
  beforeAll(() => redis.connect());
  afterAll(async () => {
    await deletePrefix(redis, `${prefix}:`);
    await redis.quit();
  });

  it('takes the token the worker sends, without unpacking the options', async () => {
    const [, grant] = await fetch('sent', 'not msgpack', 'tok');
    expect(grant).toEqual(['tok:1', 'sent', '', '', 'svc']);
    expect(await redis.zrange(`${prefix}:flow:svc:c:sent`, '0', '-1')).toEqual(['q:7:tok:1']);
  });

  it("unpacks the options when the worker sends no token ('')", async () => {
    // msgpack of { token: 'w:3' }.
    const packed = Buffer.from([0x81, 0xa5, ...Buffer.from('token'), 0xa3, ...Buffer.from('w:3')]);
    const [, grant] = await fetch('unpacked', packed, '');
    expect(grant).toEqual(['w:3:1', 'unpacked', '', '', 'svc']);
  });
});
