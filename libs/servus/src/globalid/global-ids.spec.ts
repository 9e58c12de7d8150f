import { GlobalIds } from './global-ids';
import { EntityNotFoundError } from './entity-not-found.error';
import { EntityLocator } from './entity-locator.interface';
import { UndecodablePayloadError } from '../execution/undecodable-payload.error';

class User {
  constructor(
    readonly id: number,
    readonly name: string,
  ) {}
}
class Admin extends User {}
class Unregistered {}

function setUp(rows: Map<number, User>, fail?: Error) {
  const locator: EntityLocator = {
    types: () => [{ name: 'User', type: User }],
    idOf: (entity) => (entity as User).id,
    locate: async (_type, id) => {
      if (fail) throw fail;
      return rows.get(Number(id)) ?? null;
    },
  };
  const ids = new GlobalIds();
  ids.register(locator);
  return ids;
}

describe('GlobalIds', () => {
  const ada = new User(1, 'Ada');
  const rows = new Map([[1, new User(1, 'Ada (reloaded)')]]);

  it('is off until a locator registers, and encode leaves unchanged args the same object', () => {
    expect(new GlobalIds().enabled).toBe(false);
    const ids = setUp(rows);
    expect(ids.enabled).toBe(true);
    const plain = { a: [1, { b: 'x' }] };
    expect(ids.encode(plain)).toBe(plain);
  });

  it('encodes registered instances (subclasses too) at any depth, leaves other instances for the JSON check', () => {
    const ids = setUp(rows);
    const other = new Unregistered();
    expect(ids.encode({ user: ada, list: [new Admin(2, 'Root')], other })).toEqual({
      user: 'gid://servus/User/1',
      list: ['gid://servus/User/2'],
      other,
    });
  });

  it('decodes back to the located instances, one lookup per id, escaped strings restored', async () => {
    const ids = setUp(rows);
    const encoded = JSON.parse(JSON.stringify(ids.encode({ user: ada, again: [ada], note: 'gid://servus/User/1' })));
    expect(encoded.note).toBe('gid://servus/!gid://servus/User/1');
    const decoded = (await ids.decode(encoded)) as { user: User; again: User[]; note: string };
    expect(decoded.user).toBe(rows.get(1));
    expect(decoded.again[0]).toBe(decoded.user);
    expect(decoded.note).toBe('gid://servus/User/1');
  });

  it('a missing row is an EntityNotFoundError naming type and id; a type without a locator is undecodable', async () => {
    const ids = setUp(rows);
    await expect(ids.decode({ user: 'gid://servus/User/9' })).rejects.toThrow(new EntityNotFoundError('User', '9'));
    await expect(ids.decode(['gid://servus/Planet/3'])).rejects.toThrow(
      'Undecodable job payload: no locator for the global id "gid://servus/Planet/3" in this worker',
    );
  });

  it("a locator's own error (a transient one) propagates as is, to be retried", async () => {
    const timeout = new Error('connection timeout');
    await expect(setUp(rows, timeout).decode('gid://servus/User/1')).rejects.toBe(timeout);
  });

  it("keeps a '__proto__' key a plain key when copying", async () => {
    const ids = setUp(rows);
    const input = JSON.parse('{"__proto__": {"polluted": true}, "user": {"id": 1}}') as Record<string, unknown>;
    // Registered instances, at the top and under '__proto__': encode has to copy both objects to replace them.
    input.admin = ada;
    const hidden = Object.getOwnPropertyDescriptor(input, '__proto__')?.value as Record<string, unknown>;
    hidden.owner = ada;
    const encoded = ids.encode(input) as Record<string, unknown>;
    expect(encoded).not.toBe(input);
    expect(encoded.admin).toBe('gid://servus/User/1');
    expect(Object.getPrototypeOf(encoded)).toBe(Object.prototype);
    expect(Object.keys(encoded)).toEqual(['__proto__', 'user', 'admin']);
    expect(Object.getOwnPropertyDescriptor(encoded, '__proto__')?.value).toEqual({
      polluted: true,
      owner: 'gid://servus/User/1',
    });
    expect(encoded.polluted).toBeUndefined();
    expect(encoded.user).toBe(input.user);
    // The input is left as it was.
    expect(input.admin).toBe(ada);
    expect(hidden).toEqual({ polluted: true, owner: ada });
    expect(Object.getPrototypeOf(input)).toBe(Object.prototype);
    const decoded = (await ids.decode(JSON.parse('{"__proto__": "gid://servus/User/1"}'))) as Record<string, unknown>;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(decoded, '__proto__')?.value).toBe(rows.get(1));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it.each([
    ['a truncated escape', 'gid://servus/User/%E0'],
    ['a lone percent sign', 'gid://servus/User/100%'],
    ['an escape of invalid UTF-8', 'gid://servus/User/%C3%28'],
  ])('a malformed id (%s) is undecodable, naming the global id, not a URIError to retry', async (_label, gid) => {
    const ids = setUp(rows);
    const decoding = ids.decode({ report: { owner: gid } });
    await expect(decoding).rejects.toBeInstanceOf(UndecodablePayloadError);
    await expect(decoding).rejects.toThrow(
      `Undecodable job payload: the global id ${JSON.stringify(gid)} has a malformed id escape (URI malformed)`,
    );
  });

  it('refuses a job with more global ids than the limit, before any lookup', async () => {
    let lookups = 0;
    const ids = new GlobalIds();
    ids.register({
      types: () => [{ name: 'User', type: User }],
      idOf: (entity) => (entity as User).id,
      locate: async (_type, id) => (lookups++, new User(Number(id), 'x')),
    });
    const args = { users: Array.from({ length: 101 }, (_, i) => `gid://servus/User/${i}`) };
    await expect(ids.decode(args, 100)).rejects.toThrow(
      new UndecodablePayloadError('the job holds 101 global ids, more than the limit of 100 (limits.maxGlobalIds)'),
    );
    expect(lookups).toBe(0);
  });

  it('locates at most 8 ids at a time', async () => {
    let running = 0;
    let most = 0;
    const ids = new GlobalIds();
    ids.register({
      types: () => [{ name: 'User', type: User }],
      idOf: (entity) => (entity as User).id,
      locate: async (_type, id) => {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        return new User(Number(id), 'x');
      },
    });
    const decoded = (await ids.decode({ users: Array.from({ length: 50 }, (_, i) => `gid://servus/User/${i}`) })) as {
      users: User[];
    };
    expect(decoded.users.map((user) => user.id)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(most).toBe(8);
  });

  it('refuses to walk deeper than 1000 levels instead of overflowing the stack', async () => {
    let deep: unknown = 'gid://servus/User/1';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const ids = setUp(rows);
    await expect(ids.decode(deep)).rejects.toThrow('Undecodable job payload: args is nested deeper than 1000 levels');
    expect(() => ids.encode(deep)).toThrow('Undecodable job payload: args is nested deeper than 1000 levels');
  });

  it('refuses two classes under one type name', () => {
    const ids = setUp(rows);
    expect(() =>
      ids.register({ types: () => [{ name: 'User', type: Admin }], idOf: () => 1, locate: async () => null }),
    ).toThrow('Two classes have the global id type "User": User and Admin');
  });
});
