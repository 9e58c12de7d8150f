import { ServusContext } from '../execution/servus-context';
import { servusContextMiddleware } from './servus-context.middleware';

describe('servusContextMiddleware', () => {
  const run = (headers: Record<string, string>, values?: (request: any) => Record<string, string | null>) => {
    const set: Record<string, string> = {};
    let seen: unknown;
    servusContextMiddleware({ values })(
      { headers } as never,
      { setHeader: (name: string, value: string) => (set[name] = value) } as never,
      () => (seen = ServusContext.current()),
    );
    return { seen: seen as Record<string, unknown>, set };
  };

  it("keeps the caller's correlation id, echoes it, and adds the values read from the request", () => {
    const { seen, set } = run({ 'x-correlation-id': 'req-7f3a', 'x-tenant-id': 'acme' }, (request) => ({
      tenantId: request.headers['x-tenant-id'] ?? null,
    }));
    expect(seen).toEqual({ correlationId: 'req-7f3a', tenantId: 'acme' });
    expect(set).toEqual({ 'x-correlation-id': 'req-7f3a' });
  });

  it('replaces a missing or unsafe correlation id (a line break would forge log lines) with a new one', () => {
    const cases: Record<string, string>[] = [
      {},
      { 'x-correlation-id': 'a\nFAKE LOG LINE' },
      { 'x-correlation-id': 'x'.repeat(200) },
    ];
    for (const headers of cases) {
      const { seen, set } = run(headers);
      expect(seen.correlationId).toMatch(/^[0-9a-f-]{36}$/);
      expect(set['x-correlation-id']).toBe(seen.correlationId);
    }
  });
});
