import { decodePayload, encodePayload, findNonJson, measureExactJson, survivesJson } from './job-payload.codec';
import { MAX_DEPTH_CEILING } from './payload-limits';
import { UndecodablePayloadError } from '../execution/undecodable-payload.error';
import { copyData } from '../validation/copy-data';

describe('findNonJson', () => {
  it('trusts a validation copy whose own walk found only JSON, and still names what another copy holds', () => {
    expect(findNonJson(copyData({ a: [1, { b: 'c' }] }))).toBeUndefined();
    expect(findNonJson(copyData({ a: { b: NaN } }))).toBe('args.a.b is NaN: JSON has no NaN or Infinity');
    // eslint-disable-next-line no-sparse-arrays
    expect(findNonJson(copyData({ list: [1, , 3] }))).toBe('args.list[1] is an empty array slot');
    const node: Record<string, unknown> = {};
    node.self = node;
    expect(findNonJson(copyData(node))).toBe('args.self is a circular reference');
  });

  describe('accepts what survives JSON exactly', () => {
    it.each<[string, unknown]>([
      ['a plain object', { userId: 1, reportType: 'monthly' }],
      ['nested JSON', { a: { b: [1, 'two', true, null, { c: -1.5 }] }, empty: {}, list: [] }],
      ['an array', [1, 2, 3]],
      ['null', null],
      ['a string', 'x'],
      ['a number', 0],
      ['a boolean', false],
      ['an object with a null prototype', Object.assign(Object.create(null), { a: 1 })],
      ['keys that are not identifiers', { 'a-b': 1, '': 2, '0': 3 }],
    ])('%s', (_label, value) => {
      expect(findNonJson(value)).toBeUndefined();
      // The fast check must pass it too: otherwise every enqueue walks the arguments twice.
      expect(survivesJson(value, [])).toBe(true);
      // Sanity: these really do round-trip.
      expect(JSON.parse(JSON.stringify(value))).toEqual(value);
    });

    it('an object reached twice without a cycle', () => {
      const shared = { id: 1 };
      expect(findNonJson({ a: shared, b: shared, list: [shared, shared] })).toBeUndefined();
      expect(survivesJson({ a: shared, b: shared, list: [shared, shared] }, [])).toBe(true);
    });
  });

  describe('names the first value that does not survive JSON', () => {
    class Money {
      constructor(readonly cents: number) {}
    }

    it.each<[string, unknown, string]>([
      ['a function', { fn: () => 1 }, 'args.fn is a function: pass data, not code'],
      ['a symbol', { s: Symbol('x') }, 'args.s is a symbol: pass a string'],
      ['negative zero', { n: -0 }, 'args.n is -0: JSON turns it into 0'],
      [
        'a hole in an array that also has a named property',
        // eslint-disable-next-line no-sparse-arrays -- the hole is the input under test
        { list: Object.assign([1, , 3], { x: 1 }) },
        'args.list[1] is an empty array slot',
      ],
      [
        'an array with a named property',
        { list: Object.assign([1, 2], { total: 3 }) },
        'args.list is an array with named properties: JSON keeps only its items',
      ],
      ['a BigInt', { n: BigInt(10) }, 'args.n is a BigInt: pass a string or a number'],
      ['NaN', { n: NaN }, 'args.n is NaN: JSON has no NaN or Infinity'],
      ['Infinity', { n: Infinity }, 'args.n is Infinity: JSON has no NaN or Infinity'],
      ['-Infinity', { n: -Infinity }, 'args.n is -Infinity: JSON has no NaN or Infinity'],
      ['an undefined value', { maybe: undefined }, 'args.maybe is undefined: omit the key or pass null'],
      ['a Date', { at: new Date() }, 'args.at is a Date: pass an ISO string (toISOString())'],
      ['a Map', { m: new Map() }, 'args.m is a Map: pass a plain object or an array of entries'],
      ['a Set', { s: new Set([1]) }, 'args.s is a Set: pass an array'],
      [
        'a class instance',
        { price: new Money(100) },
        'args.price is an instance of Money: pass a plain object (or declare a DTO that rebuilds it)',
      ],
      // eslint-disable-next-line no-sparse-arrays -- the hole is the input under test
      ['a sparse array slot', { list: [1, , 3] }, 'args.list[1] is an empty array slot'],
      ['symbol keys', { tagged: { [Symbol('k')]: 1 } }, 'args.tagged has symbol keys: JSON drops them'],
      ['symbol keys on the arguments themselves', { [Symbol('k')]: 1 }, 'args has symbol keys: JSON drops them'],
      ['undefined as the whole arguments', undefined, 'args is undefined: omit the key or pass null'],
      ['a Date as the whole arguments', new Date(), 'args is a Date: pass an ISO string (toISOString())'],
    ])('%s', (_label, value, message) => {
      expect(findNonJson(value)).toBe(message);
      expect(survivesJson(value, [])).toBe(false);
    });

    it('a cycle', () => {
      const node: Record<string, unknown> = { id: 1 };
      node.parent = { child: node };
      expect(findNonJson({ node })).toBe('args.node.parent.child is a circular reference');
    });

    it('a cycle through an array', () => {
      const list: unknown[] = [];
      list.push(list);
      expect(findNonJson({ list })).toBe('args.list[0] is a circular reference');
    });

    it('with the path of a nested Date', () => {
      expect(findNonJson({ range: { from: new Date(), to: '2026-01-01' } })).toBe(
        'args.range.from is a Date: pass an ISO string (toISOString())',
      );
    });

    it('with the path through an array', () => {
      const items = [{ at: '2026-01-01' }, { at: '2026-01-02' }, { at: new Date() }];
      expect(findNonJson({ items })).toMatch(/^args\.items\[2\]\.at is a Date: pass an ISO string/);
    });

    it('printing keys that are not identifiers in brackets', () => {
      expect(findNonJson({ 'a-b': undefined })).toBe('args["a-b"] is undefined: omit the key or pass null');
      expect(findNonJson({ outer: { 'has space': { '0': NaN } } })).toBe(
        'args.outer["has space"]["0"] is NaN: JSON has no NaN or Infinity',
      );
    });

    it('from the given root path', () => {
      expect(findNonJson({ x: undefined }, 'payload')).toBe('payload.x is undefined: omit the key or pass null');
    });

    it('the first problem in key order', () => {
      expect(findNonJson({ ok: 1, first: NaN, second: undefined })).toBe(
        'args.first is NaN: JSON has no NaN or Infinity',
      );
    });

    it.each<[string, unknown, string]>([
      // After a value that passes (null, a nested array/object), the walk must go on to the next key.
      ['undefined after null', { a: null, b: undefined }, 'args.b is undefined: omit the key or pass null'],
      ['undefined after an array', { a: [1], b: undefined }, 'args.b is undefined: omit the key or pass null'],
      ['undefined after an object', { a: { c: 1 }, b: undefined }, 'args.b is undefined: omit the key or pass null'],
      [
        'undefined after a string and a boolean',
        { a: 'x', t: true, b: undefined },
        'args.b is undefined: omit the key or pass null',
      ],
      ['undefined after a finite number', { a: 1.5, b: undefined }, 'args.b is undefined: omit the key or pass null'],
      ['undefined after null in an array', [null, undefined], 'args[1] is undefined: omit the key or pass null'],
      ['undefined after an array in an array', [[1], undefined], 'args[1] is undefined: omit the key or pass null'],
      [
        'a Date after a shared object',
        [{ id: 1 }, new Date()],
        'args[1] is a Date: pass an ISO string (toISOString())',
      ],
      [
        'a prototype without a constructor',
        { p: Object.create(Object.create(null) as object) as unknown },
        'args.p is an instance of an object with a custom prototype: pass a plain object (or declare a DTO that rebuilds it)',
      ],
      ['a key starting with a digit', { '1a': NaN }, 'args["1a"] is NaN: JSON has no NaN or Infinity'],
      ['a key with a trailing dash', { 'a-': NaN }, 'args["a-"] is NaN: JSON has no NaN or Infinity'],
      ['a key with a leading space', { ' a': NaN }, 'args[" a"] is NaN: JSON has no NaN or Infinity'],
      ['an empty key', { '': NaN }, 'args[""] is NaN: JSON has no NaN or Infinity'],
      [
        'identifier keys with $, _ and digits',
        { $a: { _b: { c9: { Z: NaN } } } },
        'args.$a._b.c9.Z is NaN: JSON has no NaN or Infinity',
      ],
      ['a key with a quote', { 'say "hi"': NaN }, 'args["say \\"hi\\""] is NaN: JSON has no NaN or Infinity'],
    ])('%s', (_label, value, message) => {
      expect(findNonJson(value)).toBe(message);
      expect(survivesJson(value, [])).toBe(false);
    });

    it('a class instance even when it is otherwise JSON-like', () => {
      class Plainish {
        a = 1;
      }
      expect(findNonJson({ p: new Plainish() })).toBe(
        'args.p is an instance of Plainish: pass a plain object (or declare a DTO that rebuilds it)',
      );
    });
  });
});

describe('encodePayload', () => {
  it('carries the service name, the arguments and a versioned metadata (the context only when given)', () => {
    expect(encodePayload('reports.generate', { userId: 1 })).toEqual({
      service: 'reports.generate',
      args: { userId: 1 },
      metadata: { v: 1 },
    });
    expect(encodePayload('reports.generate', {}, { correlationId: 'c' }).metadata).toEqual({
      v: 1,
      context: { correlationId: 'c' },
    });
  });

  it('decodes of a job context only the keys asked for, each a JSON primitive', () => {
    const keys = ['correlationId', 'tenant', 'flag', 'none'];
    const decode = (context: unknown, asked: readonly string[] = keys) =>
      decodePayload({ service: 's', args: {}, metadata: { v: 1, context } }, asked).context;
    expect(decode({ correlationId: 'c', tenant: 3, flag: true, none: null })).toEqual({
      correlationId: 'c',
      tenant: 3,
      flag: true,
      none: null,
    });
    // Keys not asked for are not read, whatever they hold.
    expect(decode({ correlationId: 'c', nested: { a: 1 }, list: [1] })).toEqual({ correlationId: 'c' });
    // By default, the correlation id alone.
    expect(
      decodePayload({ service: 's', args: {}, metadata: { v: 1, context: { correlationId: 'c', tenant: 3 } } }).context,
    ).toEqual({ correlationId: 'c' });
    expect(decode('not an object')).toBeUndefined();
  });

  it('refuses a job whose asked-for context value is not a JSON primitive or is too long', () => {
    const decode = (context: unknown) =>
      decodePayload({ service: 's', args: {}, metadata: { v: 1, context } }, ['correlationId', 'tenant']);
    expect(() => decode({ correlationId: { $ne: 1 } })).toThrow(
      new UndecodablePayloadError(
        '"metadata.context.correlationId" must be a string, a number, a boolean or null, got an object',
      ),
    );
    expect(() => decode({ tenant: [1] })).toThrow(
      '"metadata.context.tenant" must be a string, a number, a boolean or null, got an array',
    );
    expect(decode({ tenant: 't'.repeat(1024) }).context).toEqual({ tenant: 't'.repeat(1024) });
    expect(() => decode({ tenant: 't'.repeat(1025) })).toThrow(
      '"metadata.context.tenant" is 1025 characters long, over the limit of 1024',
    );
  });

  it('reads 2 keys of a context with 10,000 and prototype keys, polluting nothing', () => {
    const context: Record<string, unknown> = JSON.parse(
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"prototype":1,"correlationId":"c"}',
    );
    for (let i = 0; i < 10_000; i++) context[`k${i}`] = i;
    const decoded = decodePayload({ service: 's', args: {}, metadata: { v: 1, context } }, [
      'correlationId',
      'k9999',
    ]).context!;
    expect(Object.keys(decoded)).toEqual(['correlationId', 'k9999']);
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('marks global ids and carries the trace context only when given', () => {
    expect(encodePayload('s', {}, undefined, true).metadata).toEqual({ v: 1, gids: true });
    expect(encodePayload('s', {}, undefined, false, { traceparent: 't' }).metadata).toEqual({
      v: 1,
      trace: { traceparent: 't' },
    });
    expect(encodePayload('s', {}, undefined, false, undefined).metadata).toEqual({ v: 1 });
  });

  it('decodes a trace context only as a flat object of strings', () => {
    const decode = (trace: unknown) => decodePayload({ service: 's', args: {}, metadata: { v: 1, trace } }).trace;
    expect(decode({ traceparent: '00-a-b-01', tracestate: 'x=y', n: 1, o: {} })).toEqual({
      traceparent: '00-a-b-01',
      tracestate: 'x=y',
    });
    expect(decode('00-a-b-01')).toBeUndefined();
    expect(decode(undefined)).toBeUndefined();
  });

  it('is read back by decodePayload after JSON', () => {
    const payload = JSON.parse(JSON.stringify(encodePayload('reports.generate', { userId: 1, nested: [null] })));
    expect(decodePayload(payload)).toEqual({
      service: 'reports.generate',
      args: { userId: 1, nested: [null] },
      context: undefined,
      gids: false,
    });
  });
});

describe('decodePayload', () => {
  it('returns the service and its arguments', () => {
    expect(decodePayload({ service: 'reports.generate', args: { userId: 1 }, metadata: {} })).toEqual({
      service: 'reports.generate',
      args: { userId: 1 },
      context: undefined,
      gids: false,
    });
  });

  it('accepts null as arguments', () => {
    expect(decodePayload({ service: 'x', args: null })).toEqual({
      service: 'x',
      args: null,
      context: undefined,
      gids: false,
    });
    expect(decodePayload({ service: 'x', args: 'gid://servus/Report/1', metadata: { v: 1, gids: true } }).gids).toBe(
      true,
    );
  });

  it.each<[string, unknown, RegExp]>([
    ['null', null, /expected an object \{ service, args \}, got null/],
    ['a string', 'reports.generate', /expected an object \{ service, args \}, got "reports\.generate"/],
    ['a number', 42, /expected an object \{ service, args \}, got number/],
    ['long text, cut at 100 characters', 'x'.repeat(300), new RegExp(`got "${'x'.repeat(100)}"$`)],
    ['an array', ['reports.generate', {}], /expected an object \{ service, args \}, got an array/],
    ['no service', { args: {} }, /"service" must be a registered service name, got undefined/],
    ['an empty service', { service: '', args: {} }, /"service" must be a registered service name, got ""/],
    ['a non-string service', { service: 7, args: {} }, /"service" must be a registered service name, got number/],
    ['no args', { service: 'reports.generate' }, /no "args" for reports\.generate/],
  ])('refuses %s with an UndecodablePayloadError that gives the reason', (_label, data, reason) => {
    let error: unknown;
    try {
      decodePayload(data);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UndecodablePayloadError);
    expect((error as Error).message).toMatch(/^Undecodable job payload: /);
    expect((error as Error).message).toMatch(reason);
  });

  it('does not take "args" from the prototype chain', () => {
    const data = Object.create({ args: { inherited: true } });
    data.service = 'reports.generate';
    expect(() => decodePayload(data)).toThrow(UndecodablePayloadError);
  });
});

describe('flow keys in the job metadata', () => {
  it('encodePayload stores the flow keys when given, and no flow entry otherwise', () => {
    expect(encodePayload('svc', {}, undefined, false, undefined, { c: 'u-7' }).metadata).toEqual({
      v: 1,
      flow: { c: 'u-7' },
    });
    expect('flow' in encodePayload('svc', {}).metadata).toBe(false);
  });

  it.each<[string, unknown, unknown]>([
    ['no flow', undefined, undefined],
    ['a concurrency key', { c: 'u-7' }, { c: 'u-7' }],
    ['a rate key', { r: 'tenant-1' }, { r: 'tenant-1' }],
    ['both, extra keys dropped', { c: 'a', r: 'b', x: 'ignored' }, { c: 'a', r: 'b' }],
    ['none of them', {}, {}],
  ])('decodePayload reads %s', (_, flow, expected) => {
    expect(decodePayload({ service: 'svc', args: {}, metadata: { v: 1, flow } }).flow).toEqual(expected);
  });

  it.each<[unknown, string]>([
    ['u-7', '"metadata.flow" must be an object'],
    [null, '"metadata.flow" must be an object'],
    [['u-7'], '"metadata.flow" must be an object'],
    [{ c: 5 }, '"metadata.flow.c" must be a string, got number'],
    [{ c: 'ok', r: null }, '"metadata.flow.r" must be a string, got null'],
    [{ r: 'a\nb' }, '"metadata.flow.r" contains a control character'],
  ])('decodePayload refuses the flow %p: %s', (flow, message) => {
    expect(() => decodePayload({ service: 'svc', args: {}, metadata: { v: 1, flow } })).toThrow(
      new UndecodablePayloadError(message),
    );
  });
});

describe('nesting deeper than the ceiling', () => {
  it('is named at the first level past it, for arrays and objects alike', () => {
    const arrays: unknown[] = [];
    let inner = arrays;
    for (let level = 0; level < MAX_DEPTH_CEILING; level++) inner.push((inner = []));
    expect(findNonJson(arrays)).toBe(
      `args${'[0]'.repeat(MAX_DEPTH_CEILING)} is nested deeper than ${MAX_DEPTH_CEILING} levels`,
    );
    const objects: Record<string, unknown> = {};
    let node = objects;
    for (let level = 0; level < MAX_DEPTH_CEILING; level++) node = node.a = {};
    expect(findNonJson(objects)).toBe(
      `args${'.a'.repeat(MAX_DEPTH_CEILING)} is nested deeper than ${MAX_DEPTH_CEILING} levels`,
    );
  });

  it('accepts nesting up to the ceiling', () => {
    const arrays: unknown[] = [];
    let inner = arrays;
    for (let level = 1; level < MAX_DEPTH_CEILING; level++) inner.push((inner = []));
    expect(findNonJson(arrays)).toBeUndefined();
  });
});

describe('measureExactJson (the size bounds callAsync checks its payload by, from the exactness walk)', () => {
  /** `levels` objects nested in one another, `{ a: { a: ... 1 } }`. */
  const nested = (levels: number): unknown => {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = { a: value };
    return value;
  };

  // chars: the JSON text's length with every literal counted as 4 and every number as 1 (a lower bound of its
  // UTF-8 bytes); numbers: how many numbers (each at most 19 bytes more than counted).
  it.each<[string, unknown, number, number]>([
    ['a string: its characters and 2 quotes', 'ab', 4, 0],
    ['true', true, 4, 0],
    ['false (counted as 4)', false, 4, 0],
    ['null', null, 4, 0],
    ['a number (counted as 1)', 12345, 1, 1],
    ['an empty array (counted as 1)', [], 1, 0],
    ['an array: its items, brackets and commas', [1, 2], 5, 2],
    ['an empty object (counted as 1)', {}, 1, 0],
    ['an object: quoted keys, colons and commas', { ab: 'x' }, 10, 0],
    ['two keys', { a: 1, b: 'cd' }, 16, 1],
    ['nested arrays and objects', { a: [null, true] }, 17, 0],
    ['a shared object, once per place', { a: { n: 1 }, b: { n: 1 } }, 1 + 2 * (5 + 7), 2],
  ])('%s', (_label, value, chars, numbers) => {
    expect(measureExactJson(value, 10)).toEqual({ chars, numbers });
    const json = JSON.stringify(value);
    expect(chars).toBeLessThanOrEqual(Buffer.byteLength(json));
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(6 * chars + 18 * numbers);
  });

  it('counts an object reached twice in two places (no cycle) in both', () => {
    const shared = { n: 1 };
    expect(measureExactJson({ a: shared, b: shared }, 10)).toEqual({ chars: 25, numbers: 2 });
  });

  it.each<[string, unknown]>([
    ['NaN', { n: NaN }],
    ['Infinity', [Infinity]],
    ['-0', { n: -0 }],
    ['undefined', { u: undefined }],
    ['a function', { f: () => 1 }],
    ['a bigint', { b: BigInt(1) }],
    ['a symbol', { s: Symbol('s') }],
    ['a symbol key', { [Symbol('k')]: 1 }],
    ['a Date', { at: new Date(0) }],
    ['a class instance', { m: new Map() }],
    ['a hole', [1, , 3]], // eslint-disable-line no-sparse-arrays
    ['an array with a named property', Object.assign([1], { x: 1 })],
    ['a failure after a good key', { ok: 1, bad: NaN }],
    ['a failure after a good item', [1, NaN]],
  ])('is undefined for what does not survive JSON: %s', (_label, value) => {
    expect(measureExactJson(value, 10)).toBeUndefined();
  });

  it('is undefined for a cycle', () => {
    const node: Record<string, unknown> = {};
    node.self = node;
    expect(measureExactJson(node, 10)).toBeUndefined();
  });

  it('is undefined past maxDepth levels of objects and arrays, and measures up to it', () => {
    expect(measureExactJson(nested(3), 3)).toEqual({ chars: 19, numbers: 1 });
    expect(measureExactJson(nested(4), 3)).toBeUndefined();
    expect(measureExactJson([[[1]]], 3)).toEqual({ chars: 7, numbers: 1 });
    expect(measureExactJson([[[[1]]]], 3)).toBeUndefined();
  });

  it('goes no deeper than the ceiling, whatever maxDepth says', () => {
    expect(measureExactJson(nested(MAX_DEPTH_CEILING), MAX_DEPTH_CEILING * 2)).toBeDefined();
    expect(measureExactJson(nested(MAX_DEPTH_CEILING + 1), MAX_DEPTH_CEILING * 2)).toBeUndefined();
  });

  it('skips inherited keys, as JSON does', () => {
    const proto = { inherited: 1 };
    const value = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    expect(measureExactJson(value, 10)).toEqual({ chars: 7, numbers: 1 });
    expect(measureExactJson(Object.create(proto) as object, 10)).toBeUndefined();
  });
});
