import { Job, Worker } from 'bullmq';
import { packedToken } from './packed-token';

/** msgpack of `{ token, x: 1 }` under `mapHeader` (fixmap, map16, map32), the token as fixstr, str8 or str16. */
function packed(token: string, header: 'fix' | 'str8' | 'str16', mapHeader = [0x82]): Buffer {
  const bytes = Buffer.from(token, 'latin1');
  const length =
    header === 'fix'
      ? [0xa0 | bytes.length]
      : header === 'str8'
        ? [0xd9, bytes.length]
        : [0xda, bytes.length >> 8, bytes.length & 0xff];
  // A second entry after the token, as BullMQ's options have: "x": 1.
  return Buffer.from([...mapHeader, 0xa5, ...Buffer.from('token'), ...length, ...bytes, 0xa1, 0x78, 0x01]);
}

describe('packedToken', () => {
  const WORKER_TOKEN = '3f1e9c2a-8d4b-4e8f-9a7c-1b2d3e4f5a6b:42';

  it("reads the token where BullMQ's fetches pack it, moveToActive's and moveToFinished's", async () => {
    // BullMQ's own argument builders, on a worker of the test Redis (127.0.0.1:6379) that sends nothing: its script
    // runner is replaced.
    const worker = new Worker('packed-token-spec', null, {
      autorun: false,
      connection: { host: '127.0.0.1', port: 6379, lazyConnect: true },
    });
    try {
      const backend = (worker as unknown as { backend: Record<string, (...args: unknown[]) => unknown> }).backend;
      let sent: unknown[] = [];
      backend.execCommand = (_client: unknown, _name: unknown, args: unknown) => {
        sent = args as unknown[];
        return Promise.resolve([]);
      };
      await backend.moveToActive(WORKER_TOKEN, 'name');
      // 11 keys, then the key prefix, the timestamp and the packed options.
      expect(packedToken(sent[13])).toBe(WORKER_TOKEN);
      const job = { id: '7', opts: {} } as unknown as Job;
      const args = backend.moveToFinishedArgs(job, '"done"', 'returnvalue', undefined, 'completed', WORKER_TOKEN, 1);
      // 14 keys, then job id, timestamp, property, value, target, fetch next, key prefix and the packed options.
      expect(packedToken((args as unknown[])[21])).toBe(WORKER_TOKEN);
    } finally {
      await worker.close();
    }
  });

  it('reads a token written as fixstr, str8 or str16, in a fixmap, map16 or map32', () => {
    expect(packedToken(packed('a:1', 'fix'))).toBe('a:1');
    expect(packedToken(packed('a:1', 'fix', [0xde, 0, 2]))).toBe('a:1');
    expect(packedToken(packed('a:1', 'str8', [0xdf, 0, 0, 0, 2]))).toBe('a:1');
    expect(packedToken(packed(WORKER_TOKEN, 'str8'))).toBe(WORKER_TOKEN);
    expect(packedToken(packed('t'.repeat(300), 'str16'))).toBe('t'.repeat(300));
  });

  it('answers "" for any other layout, leaving the options to the fetch script', () => {
    const good = packed(WORKER_TOKEN, 'str8');
    expect(packedToken(undefined)).toBe('');
    expect(packedToken('not a buffer')).toBe('');
    expect(packedToken(Buffer.alloc(0))).toBe('');
    // Not a map, another first key, a token that is not a string, an empty one, one cut short.
    expect(packedToken(packed(WORKER_TOKEN, 'str8', [0x92]))).toBe('');
    expect(packedToken(Buffer.concat([good.subarray(0, 2), Buffer.from('X'), good.subarray(3)]))).toBe('');
    expect(packedToken(Buffer.from([0x81, 0xa5, ...Buffer.from('token'), 0xc0]))).toBe('');
    expect(packedToken(Buffer.from([0x81, 0xa5, ...Buffer.from('token'), 0xa0]))).toBe('');
    expect(packedToken(good.subarray(0, good.length - 10))).toBe('');
    // Headers cut short: a str8 or str16 without its length, a map16 or map32 without its count.
    expect(packedToken(Buffer.from([0x81, 0xa5, ...Buffer.from('token'), 0xd9]))).toBe('');
    expect(packedToken(Buffer.from([0x81, 0xa5, ...Buffer.from('token'), 0xda, 0x01]))).toBe('');
    expect(packedToken(Buffer.from([0xde, 0x00]))).toBe('');
    expect(packedToken(Buffer.from([0xdf, 0x00, 0x00]))).toBe('');
  });

  it('answers "" for an empty map, whatever follows it', () => {
    const rest = [0xa5, ...Buffer.from('token'), 0xa3, ...Buffer.from('abc')];
    expect(packedToken(Buffer.from([0x80, ...rest]))).toBe('');
    expect(packedToken(Buffer.from([0xde, 0x00, 0x00, ...rest]))).toBe('');
    expect(packedToken(Buffer.from([0xdf, 0x00, 0x00, 0x00, 0x00, ...rest]))).toBe('');
  });

  it('answers "" for a token that is not printable ASCII', () => {
    expect(packedToken(packed('tok\nen', 'fix'))).toBe('');
    expect(packedToken(packed('tök', 'fix'))).toBe('');
  });
});
