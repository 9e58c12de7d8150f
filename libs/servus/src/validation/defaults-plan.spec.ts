import { ContractCompiler } from 'nestjs-servus/validation/contract-compiler';
import { defaultsPlan } from 'nestjs-servus/validation/defaults-plan';

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
