import { ServusContext } from './servus-context';

describe('ServusContext (no module)', () => {
  it('run / get / current, kept across awaits, separate per run', async () => {
    expect(ServusContext.current()).toBeUndefined();
    expect(ServusContext.get('tenantId')).toBeUndefined();
    const seen = await Promise.all(
      ['a', 'b'].map((tenantId) =>
        ServusContext.run({ tenantId, n: 1 }, async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          return [ServusContext.get('tenantId'), ServusContext.current()];
        }),
      ),
    );
    expect(seen).toEqual([
      ['a', { tenantId: 'a', n: 1 }],
      ['b', { tenantId: 'b', n: 1 }],
    ]);
    expect(ServusContext.current()).toBeUndefined();
  });

  it("run answers what fn answers, and keeps a copy: the caller's object changing later does not change the context", () => {
    const values: Record<string, string> = { tenantId: 'a' };
    const answer = ServusContext.run(values, () => {
      values.tenantId = 'changed';
      values.added = 'x';
      return ServusContext.current();
    });
    expect(answer).toEqual({ tenantId: 'a' });
    expect(answer).not.toBe(values);
  });

  it('get answers undefined for a key the context lacks', () => {
    expect(ServusContext.run({ a: 1 }, () => ServusContext.get('b'))).toBeUndefined();
  });

  it('carried(): the correlation id and the listed keys present in the context, nothing else', () => {
    expect(
      ServusContext.run({ correlationId: 'c-1', tenantId: 't', secret: 's', zero: 0, none: null }, () =>
        ServusContext.carried(['tenantId', 'missing', 'zero', 'none']),
      ),
    ).toEqual({ correlationId: 'c-1', tenantId: 't', zero: 0, none: null });
  });

  it('carried(): a new UUID for the correlation id outside any context, or in one without it', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const outside = ServusContext.carried(['tenantId']);
    expect(outside).toEqual({ correlationId: expect.stringMatching(uuid) });
    const inside = ServusContext.run({ tenantId: 't' }, () => ServusContext.carried(['tenantId']));
    expect(inside).toEqual({ correlationId: expect.stringMatching(uuid), tenantId: 't' });
    expect(inside.correlationId).not.toBe(outside.correlationId);
  });

  it('carried(): only own keys of the context, never what its prototype has', () => {
    expect(ServusContext.run({ correlationId: 'c' }, () => ServusContext.carried(['toString', 'constructor']))).toEqual(
      { correlationId: 'c' },
    );
  });
});
