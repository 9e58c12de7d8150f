import { ContractCompiler } from 'nestjs-servus/validation/contract-compiler';
import { copyAlong, DefaultsPlan, defaultsPlan, lacksDefault } from 'nestjs-servus/validation/defaults-plan';

const compiler = () => new ContractCompiler({ schemasDir: '/nonexistent-servus-schemas' });
const contract = (schema: Record<string, unknown>) =>
  compiler().compile('s.defaults', { name: 's.defaults', arguments: schema }).arguments!;

const schema = {
  type: 'object',
  properties: {
    items: { type: 'array', items: { type: 'object', properties: { qty: { type: 'integer', default: 1 } } } },
    note: { type: 'string', default: 'none' },
    meta: { type: 'object', properties: { tags: { type: 'array' } } },
    pair: { type: 'array', items: [{ type: 'string' }, { type: 'integer', default: 0 }] },
  },
};

describe('schema defaults: filled into a copy only when one is missing, copying only the way to it', () => {
  it('hands the caller its own object when no default is missing (no copy)', () => {
    const args = { items: [{ qty: 2 }], note: 'n', meta: { tags: [] } };
    expect(contract(schema).validate(args, 'arguments')).toBe(args);
  });

  it('copies the objects on the way to a missing default and shares the rest; the caller keeps its object', () => {
    const args = { items: [{ qty: 2 }], meta: { tags: ['a'] } };
    const filled = contract(schema).validate(args, 'arguments') as typeof args & { note: string };
    expect(filled).toEqual({ items: [{ qty: 2 }], meta: { tags: ['a'] }, note: 'none' });
    expect(filled).not.toBe(args);
    expect(args).toEqual({ items: [{ qty: 2 }], meta: { tags: ['a'] } });
    // No default below `meta`: shared, not copied. `items` has defaults below: copied.
    expect(filled.meta).toBe(args.meta);
    expect(filled.items).not.toBe(args.items);
  });

  it('fills defaults inside array items and tuples on copies', () => {
    const args = { note: 'n', items: [{ qty: 2 }, {}], pair: ['a'] };
    const filled = contract(schema).validate(args, 'arguments');
    expect(filled).toEqual({ note: 'n', items: [{ qty: 2 }, { qty: 1 }], pair: ['a', 0] });
    expect(args).toEqual({ note: 'n', items: [{ qty: 2 }, {}], pair: ['a'] });
  });

  it('keeps a __proto__ key a key on the copy', () => {
    const args = JSON.parse('{"__proto__": {"x": 1}, "items": []}') as object;
    const filled = contract(schema).validate(args, 'arguments') as Record<string, unknown>;
    expect(Object.getPrototypeOf(filled)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(filled, '__proto__')).toBe(true);
    expect(filled.note).toBe('none');
  });

  it('copies the whole value when a default sits where the plan does not follow (allOf, $ref, a property named default)', () => {
    const allOf = { type: 'object', allOf: [{ properties: { n: { type: 'integer', default: 3 } } }] };
    expect(defaultsPlan(allOf)).toBeUndefined();
    expect(defaultsPlan({ type: 'object', properties: { default: { type: 'string' } } })).toBeUndefined();
    const args = { deep: { x: 1 } };
    const filled = contract(allOf).validate(args, 'arguments') as typeof args;
    expect(filled).toEqual({ deep: { x: 1 }, n: 3 });
    expect(filled.deep).not.toBe(args.deep);
    expect(args).toEqual({ deep: { x: 1 } });
  });

  it('agrees with filling a whole copy, on random values, and never changes the caller', () => {
    const checked = contract(schema);
    const whole = contract({ ...schema, allOf: [{ properties: { zz: { default: 'whole' } } }] });
    for (let i = 0; i < 300; i++) {
      const args = {
        ...(Math.random() < 0.5 ? { note: 'x' } : {}),
        items: Array.from({ length: Math.floor(Math.random() * 3) }, () => (Math.random() < 0.5 ? {} : { qty: 5 })),
        ...(Math.random() < 0.5 ? { meta: { tags: ['t'] } } : {}),
        ...(Math.random() < 0.5 ? { pair: Math.random() < 0.5 ? ['a'] : ['a', 9] } : {}),
      };
      const before = structuredClone(args);
      const filled = checked.validate(args, 'arguments');
      const { zz: _zz, ...reference } = whole.validate(structuredClone(args), 'arguments') as Record<string, unknown>;
      expect(filled).toEqual(reference);
      expect(args).toEqual(before);
    }
  });
});

describe('defaultsPlan (where the defaults sit)', () => {
  const leaf = { default: true, below: undefined };
  it.each<[string, Record<string, unknown>, DefaultsPlan | undefined]>([
    ['none without defaults', { type: 'object', properties: { a: { type: 'string' } }, items: [{}] }, undefined],
    [
      'a property default',
      { properties: { a: { default: 1 }, b: { type: 'string' } } },
      { properties: new Map([['a', leaf]]) },
    ],
    [
      'a default below a property',
      { properties: { a: { properties: { b: { default: 1 } } }, c: true } },
      { properties: new Map([['a', { default: false, below: { properties: new Map([['b', leaf]]) } }]]) },
    ],
    [
      'a default that has defaults below it',
      { properties: { a: { default: {}, properties: { b: { default: 1 } } } } },
      { properties: new Map([['a', { default: true, below: { properties: new Map([['b', leaf]]) } }]]) },
    ],
    [
      'defaults of every item (items as one schema)',
      { items: { properties: { q: { default: 1 } } } },
      { items: { properties: new Map([['q', leaf]]) } },
    ],
    [
      'tuple positions (items as a list)',
      { items: [{ type: 'string' }, { default: 0 }, true] },
      { tuple: [{ default: false }, leaf, { default: false }] },
    ],
    [
      'tuple positions (prefixItems, before items)',
      { prefixItems: [{ default: 'a' }], items: [{ default: 'ignored' }] },
      undefined,
    ],
    [
      'prefixItems alone',
      { prefixItems: [{ properties: { x: { default: 1 } } }] },
      {
        tuple: [{ default: false, below: { properties: new Map([['x', leaf]]) } }],
      },
    ],
    [
      'a null default, and null among the values of an enum',
      { properties: { a: { default: null }, b: { enum: [null, 1] } } },
      { properties: new Map([['a', leaf]]) },
    ],
    ['none for a default under allOf', { allOf: [{ properties: { a: { default: 1 } } }] }, undefined],
    ['none for a default of the items schema itself', { items: { default: 1 } }, undefined],
    ['none for a property named default', { properties: { default: { type: 'string' } } }, undefined],
    ['none for a default inside an array of subschemas', { properties: { a: { anyOf: [{ default: 1 }] } } }, undefined],
  ])('%s', (_label, schema, plan) => {
    expect(defaultsPlan(schema)).toEqual(plan);
  });
});

describe('lacksDefault (whether ajv would fill something)', () => {
  // Made in each test, not while the file loads: a fault in defaultsPlan fails the tests.
  const plan = () =>
    defaultsPlan({
      properties: {
        a: { default: 1 },
        nested: { properties: { b: { default: 2 } } },
        list: { items: { properties: { c: { default: 3 } } } },
        pair: { items: [{ type: 'string' }, { default: 4 }] },
        deepPair: { items: [{ properties: { d: { default: 5 } } }] },
      },
    })!;
  const full = { a: 0, nested: { b: 0 }, list: [{ c: 0 }], pair: ['x', 0], deepPair: [{ d: 0 }] };

  it.each<[string, unknown, boolean]>([
    ['nothing missing', full, false],
    ['a missing property', { ...full, a: undefined }, true],
    ['a property absent', (({ a: _a, ...rest }) => rest)(full), true],
    ['a property that is null (not filled)', { ...full, a: null }, false],
    ['a missing property below', { ...full, nested: {} }, true],
    ['a missing parent (ajv fills nothing below it)', { ...full, nested: undefined }, false],
    ['an item lacking its default', { ...full, list: [{ c: 0 }, {}] }, true],
    ['no items', { ...full, list: [] }, false],
    ['a missing tuple position', { ...full, pair: ['x'] }, true],
    ['a tuple position that is undefined', { ...full, pair: ['x', undefined] }, true],
    ['a tuple item lacking a default below', { ...full, deepPair: [{}] }, true],
    ['a tuple shorter than its plan, no default at that position', { ...full, deepPair: [] }, false],
    ['a string', 'x', false],
    ['null', null, false],
  ])('%s: %p', (_label, value, lacks) => {
    expect(lacksDefault(value, plan())).toBe(lacks);
  });

  it('reads an array against an items plan, and an object against it as nothing to fill', () => {
    const items = defaultsPlan({ items: { properties: { c: { default: 3 } } } })!;
    expect(lacksDefault([{ c: 1 }, {}], items)).toBe(true);
    expect(lacksDefault([{ c: 1 }], items)).toBe(false);
    expect(lacksDefault({ c: undefined }, items)).toBe(false);
    const tuple = defaultsPlan({ items: [{ default: 1 }] })!;
    expect(lacksDefault([], tuple)).toBe(true);
    expect(lacksDefault([1], tuple)).toBe(false);
    expect(lacksDefault([], defaultsPlan({ properties: { a: { default: 1 } } })!)).toBe(false);
  });
});

describe('copyAlong (the copy ajv fills)', () => {
  it('copies the objects and arrays on the way to defaults and shares everything else', () => {
    const plan = defaultsPlan({
      properties: {
        nested: { properties: { b: { default: 2 } } },
        list: { items: { properties: { c: { default: 3 } } } },
        pair: { items: [{ properties: { d: { default: 4 } } }, { type: 'object' }] },
      },
    })!;
    const value = {
      nested: { b: 1 },
      other: { x: 1 },
      list: [{ c: 1 }, { c: 2 }],
      pair: [{ d: 1 }, { e: 1 }],
    };
    const copy = copyAlong(value, plan) as typeof value;
    expect(copy).toEqual(value);
    expect(copy).not.toBe(value);
    expect(copy.nested).not.toBe(value.nested);
    expect(copy.other).toBe(value.other);
    expect(copy.list).not.toBe(value.list);
    expect(copy.list[0]).not.toBe(value.list[0]);
    expect(copy.list[1]).not.toBe(value.list[1]);
    expect(copy.pair).not.toBe(value.pair);
    expect(copy.pair[0]).not.toBe(value.pair[0]);
    expect(copy.pair[1]).toBe(value.pair[1]);
  });

  it('keeps a short tuple short, and copies own keys only', () => {
    const plan = defaultsPlan({ items: [{ type: 'string' }, { properties: { d: { default: 4 } } }] })!;
    const copy = copyAlong(['x'], plan) as unknown[];
    expect(copy).toEqual(['x']);
    expect(copy).toHaveLength(1);
    const inherited = Object.create({ nested: { b: 1 } }) as Record<string, unknown>;
    const objectPlan = defaultsPlan({ properties: { nested: { properties: { b: { default: 2 } } } } })!;
    const own = copyAlong(inherited, objectPlan) as Record<string, unknown>;
    expect(Object.prototype.hasOwnProperty.call(own, 'nested')).toBe(false);
  });

  it('writes a copied property as a plain own property, and a __proto__ key as a key', () => {
    const schema = JSON.parse('{"properties": {"__proto__": {"properties": {"b": {"default": 2}}}}}') as object;
    const plan = defaultsPlan(schema as Record<string, unknown>);
    const value = JSON.parse('{"__proto__": {"b": 1}}') as Record<string, unknown>;
    const copy = copyAlong(value, plan!) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(copy, '__proto__')).toEqual({
      value: { b: 1 },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    expect(Object.getOwnPropertyDescriptor(copy, '__proto__')!.value).not.toBe(value['__proto__']);
  });

  it('copies an object met where the plan expects an array (ajv then refuses its type)', () => {
    const items = defaultsPlan({ items: { properties: { c: { default: 3 } } } })!;
    const value = { c: 1 };
    expect(copyAlong(value, items)).toEqual(value);
    expect(copyAlong(value, items)).not.toBe(value);
    const schema = {
      type: 'object',
      properties: {
        a: { type: 'integer', default: 1 },
        list: { type: 'array', items: { type: 'object', properties: { c: { type: 'integer', default: 3 } } } },
      },
    };
    expect(() => contract(schema).validate({ list: { c: 1 } }, 'arguments for s.defaults')).toThrow(
      'Invalid arguments for s.defaults: list must be array (type)',
    );
  });

  it('hands back what is not an object as it is', () => {
    const plan = defaultsPlan({ properties: { a: { default: 1 } } })!;
    expect(copyAlong('x', plan)).toBe('x');
    expect(copyAlong(null, plan)).toBeNull();
  });
});
