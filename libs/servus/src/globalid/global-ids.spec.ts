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

  describe('registerProvider (a discovered @Locator() class)', () => {
    class ReportsLocator {}
    const valid = (): EntityLocator => ({
      types: () => [{ name: 'User', type: User }],
      idOf: (entity) => (entity as User).id,
      locate: async () => null,
    });

    it('registers an instance that implements EntityLocator', () => {
      const ids = new GlobalIds();
      ids.registerProvider(ReportsLocator, valid());
      expect(ids.enabled).toBe(true);
      expect(ids.encode(ada)).toBe('gid://servus/User/1');
    });

    it.each<[string, unknown]>([
      ['no instance', undefined],
      ['null', null],
      ['no types', { ...valid(), types: undefined }],
      ['no idOf', { ...valid(), idOf: 'id' }],
      ['no locate', { ...valid(), locate: undefined }],
    ])('refuses %s, naming the class and the three methods', (_label, instance) => {
      const ids = new GlobalIds();
      expect(() => ids.registerProvider(ReportsLocator, instance)).toThrow(
        new Error(
          'ReportsLocator is decorated with @Locator() but does not implement EntityLocator (types, idOf, locate).',
        ),
      );
      expect(ids.enabled).toBe(false);
    });
  });

  it.each([
    ['a slash', 'Users/Admins'],
    ['a leading escape mark', '!User'],
  ])("refuses a type name with %s (the global id's separators)", (_label, name) => {
    const ids = new GlobalIds();
    expect(() =>
      ids.register({ types: () => [{ name, type: User }], idOf: () => 1, locate: async () => null }),
    ).toThrow(new Error(`Global id type name "${name}" may not be empty, contain '/' or start with '!'`));
    expect(ids.enabled).toBe(false);
  });

  it('accepts a type name with the escape mark inside, and one class registered twice under its name', () => {
    const ids = setUp(rows);
    const locator: EntityLocator = {
      types: () => [{ name: 'Us!er', type: Admin }],
      idOf: () => 5,
      locate: async () => null,
    };
    ids.register(locator);
    ids.register({ types: () => [{ name: 'User', type: User }], idOf: () => 1, locate: async () => null });
    expect(ids.encode(new Admin(5, 'Root'))).toBe('gid://servus/Us!er/5');
  });

  it('escapes the id into the global id and decodes it back', async () => {
    const located: string[] = [];
    const ids = new GlobalIds();
    ids.register({
      types: () => [{ name: 'User', type: User }],
      idOf: (entity) => (entity as User).name,
      locate: async (_type, id) => (located.push(id), new User(0, id)),
    });
    const gid = ids.encode(new User(0, 'a/b c%'));
    expect(gid).toBe('gid://servus/User/a%2Fb%20c%25');
    await ids.decode(gid);
    expect(located).toEqual(['a/b c%']);
  });

  it('leaves null, numbers, booleans and strings without the tag as they are', () => {
    const ids = setUp(rows);
    const values = { a: null, b: 1, c: true, d: 'gid:/servus/User/1', e: 'x gid://servus/User/1' };
    expect(ids.encode(values)).toBe(values);
    expect(ids.encode(null)).toBeNull();
    expect(ids.encode('plain')).toBe('plain');
    expect(ids.encode(3)).toBe(3);
  });

  it("leaves an unregistered instance's own fields alone, registered instances among them (the JSON check names it)", () => {
    const ids = setUp(rows);
    const other = Object.assign(new Unregistered(), { owner: ada, note: 'gid://servus/User/1' });
    const encoded = ids.encode({ other }) as { other: Unregistered };
    expect(encoded.other).toBe(other);
    expect(other).toEqual({ owner: ada, note: 'gid://servus/User/1' });
  });

  it('copies an array only when a child changes, and leaves the input array as it was', () => {
    const ids = setUp(rows);
    const list = [1, ada, 'x'];
    const encoded = ids.encode(list) as unknown[];
    expect(encoded).toEqual([1, 'gid://servus/User/1', 'x']);
    expect(list[1]).toBe(ada);
    const same = [1, 'x', [2]];
    expect(ids.encode(same)).toBe(same);
  });

  it('gives a copied object its replaced keys as ordinary properties (enumerable, writable, configurable)', () => {
    const ids = setUp(rows);
    const encoded = ids.encode({ user: ada, n: 1 }) as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(encoded, 'user')).toEqual({
      value: 'gid://servus/User/1',
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });

  it('decodes without any lookup when there is no global id, and leaves values without the tag as they are', async () => {
    let lookups = 0;
    const ids = new GlobalIds();
    ids.register({ types: () => [{ name: 'User', type: User }], idOf: () => 1, locate: async () => (lookups++, null) });
    const plain = { a: [1, null, 'x', { b: true }] };
    expect(await ids.decode(plain)).toBe(plain);
    expect(await ids.decode('gid://servus/!plain')).toBe('plain');
    expect(lookups).toBe(0);
  });

  it('decodes a job holding exactly the limit of global ids', async () => {
    const ids = setUp(
      new Map([
        [1, ada],
        [2, ada],
      ]),
    );
    await expect(ids.decode(['gid://servus/User/1', 'gid://servus/User/2', 'gid://servus/User/1'], 2)).resolves.toEqual(
      [ada, ada, ada],
    );
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
  ])('a locator answering %s is an EntityNotFoundError without retry, naming type and id', async (_label, answer) => {
    const ids = new GlobalIds();
    ids.register({ types: () => [{ name: 'User', type: User }], idOf: () => 1, locate: async () => answer as null });
    const error = await ids.decode({ user: 'gid://servus/User/9' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EntityNotFoundError);
    expect((error as EntityNotFoundError).name).toBe('EntityNotFoundError');
    expect((error as Error).message).toBe('User 9 no longer exists (global id gid://servus/User/9)');
    expect(error).toMatchObject({ typeName: 'User', id: '9' });
  });

  it.each([
    ['no id part', 'gid://servus/User'],
    ['an empty type name', 'gid://servus//1'],
    ['an unknown type', 'gid://servus/Planet/3'],
  ])('a global id with %s is undecodable, naming it', async (_label, gid) => {
    const ids = setUp(rows);
    await expect(ids.decode([gid])).rejects.toThrow(
      new UndecodablePayloadError(`no locator for the global id ${JSON.stringify(gid)} in this worker`),
    );
  });

  it('names at most 200 characters of an unknown global id', async () => {
    const gid = `gid://servus/Planet/${'9'.repeat(300)}`;
    await expect(setUp(rows).decode(gid)).rejects.toThrow(
      new UndecodablePayloadError(`no locator for the global id ${JSON.stringify(gid.slice(0, 200))} in this worker`),
    );
  });

  it.each([
    ['encode', 1001, true],
    ['encode', 1002, false],
    ['decode', 1001, true],
    ['decode', 1002, false],
  ] as const)('%s walks %i levels of arrays: %s', async (walk, levels, fits) => {
    const ids = setUp(rows);
    let deep: unknown = walk === 'encode' ? ada : 'gid://servus/User/1';
    for (let i = 0; i < levels; i++) deep = [deep];
    const run = async () => (walk === 'encode' ? ids.encode(deep) : ids.decode(deep));
    if (fits) {
      let out = await run();
      for (let i = 0; i < levels; i++) out = (out as unknown[])[0];
      expect(out).toEqual(walk === 'encode' ? 'gid://servus/User/1' : rows.get(1));
    } else {
      await expect(run()).rejects.toThrow('Undecodable job payload: args is nested deeper than 1000 levels');
    }
  });

  it('walks into an object without a prototype, and never turns a plain object into a global id', () => {
    const ids = setUp(rows);
    ids.register({ types: () => [{ name: 'Anything', type: Object }], idOf: () => 1, locate: async () => null });
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { user: ada });
    expect(ids.encode({ bare, plain: { n: 1 } })).toEqual({ bare: { user: 'gid://servus/User/1' }, plain: { n: 1 } });
  });

  it('a global id without a type part is undecodable as such, before its id is read', async () => {
    await expect(setUp(rows).decode('gid://servus/%E0')).rejects.toThrow(
      new UndecodablePayloadError('no locator for the global id "gid://servus/%E0" in this worker'),
    );
  });

  it.each([
    ['a malformed id after an empty type name', 'gid://servus//%E0'],
    ['an empty type name', 'gid://servus//7'],
  ])('a global id with %s is undecodable as having no locator', async (_label, gid) => {
    await expect(setUp(rows).decode(gid)).rejects.toThrow(
      new UndecodablePayloadError(`no locator for the global id ${JSON.stringify(gid)} in this worker`),
    );
  });

  it('names at most 200 characters of a global id with a malformed id escape', async () => {
    const gid = `gid://servus/User/${'1'.repeat(300)}%E0`;
    await expect(setUp(rows).decode(gid)).rejects.toThrow(
      new UndecodablePayloadError(
        `the global id ${JSON.stringify(gid.slice(0, 200))} has a malformed id escape (URI malformed)`,
      ),
    );
  });

  it('leaves undefined as it is in both walks (the JSON check names it)', async () => {
    const ids = setUp(rows);
    const args = { a: undefined, list: [undefined, 1] };
    expect(ids.encode(args)).toBe(args);
    expect(await ids.decode(args)).toBe(args);
  });

  it('counts only objects and arrays as levels: values inside the deepest allowed array pass both walks', async () => {
    const ids = setUp(rows);
    let deep: unknown = [null, 5, true, undefined, 'x'];
    for (let i = 0; i < 1000; i++) deep = [deep];
    expect(ids.encode(deep)).toBe(deep);
    expect(await ids.decode(deep)).toBe(deep);
  });

  it('refuses an empty type name: its global ids could never be decoded', () => {
    const ids = new GlobalIds();
    expect(() =>
      ids.register({ types: () => [{ name: '', type: User }], idOf: () => 1, locate: async () => null }),
    ).toThrow(new Error(`Global id type name "" may not be empty, contain '/' or start with '!'`));
    expect(ids.enabled).toBe(false);
  });
});
