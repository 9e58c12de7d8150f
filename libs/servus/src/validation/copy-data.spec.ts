import { isMarkedJsonExact } from '../util/json-exact';
import { copyData } from './copy-data';

describe('copyData (the copy a schema with defaults is filled into)', () => {
  it('copies plain data deeply: nothing of the original is shared, and it is marked JSON-exact', () => {
    const original = { user: { id: 1, tags: ['a', 'b'] }, list: [{ x: 1 }], flag: false, none: null };
    const copy = copyData(original);
    expect(copy).toEqual(original);
    expect(copy).not.toBe(original);
    expect(copy.user).not.toBe(original.user);
    expect(copy.user.tags).not.toBe(original.user.tags);
    expect(copy.list[0]).not.toBe(original.list[0]);
    expect(isMarkedJsonExact(copy)).toBe(true);
    expect(isMarkedJsonExact(original)).toBe(false);
  });

  it('keeps a __proto__ key a key (as JSON.parse made it), never the prototype', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const copy = copyData(parsed);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // A key like any other: ajv may fill defaults under it.
    expect(Object.getOwnPropertyDescriptor(copy, '__proto__')).toEqual({
      value: { polluted: true },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });

  it('passes on an error met while reading the value, reading it once (no second try by structuredClone)', () => {
    let reads = 0;
    const value = {
      get broken(): number {
        reads += 1;
        throw new Error('broken getter');
      },
    };
    expect(() => copyData(value)).toThrow('broken getter');
    expect(reads).toBe(1);
  });

  it("keeps an array's length when it ends in a hole", () => {
    // eslint-disable-next-line no-sparse-arrays
    const copy = copyData({ list: [1, ,] });
    expect(copy.list).toHaveLength(2);
    expect(1 in copy.list).toBe(false);
  });

  it('anything that does not survive JSON leaves the copy unmarked, so the enqueue check still walks it', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    const dated = copyData({ range: { from: at } });
    expect(dated.range.from).toEqual(at);
    expect(dated.range.from).not.toBe(at);
    expect(isMarkedJsonExact(dated)).toBe(false);

    const nan = copyData({ a: { b: NaN } });
    expect(isMarkedJsonExact(nan)).toBe(false);

    // eslint-disable-next-line no-sparse-arrays
    const holed = copyData({ list: [1, , 3] });
    expect(1 in holed.list).toBe(false);
  });

  it('a cycle is copied by structuredClone (cycle kept) and left unmarked', () => {
    const node: Record<string, unknown> = { name: 'root' };
    node.self = node;
    const copy = copyData(node);
    expect(copy.self).toBe(copy);
    expect(isMarkedJsonExact(copy)).toBe(false);
  });

  /** `levels` objects nested in one another, `{ a: { a: ... { a: 1 } } }`. */
  const nested = (levels: number): unknown => {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = { a: value };
    return value;
  };
  class Point {
    x = 1;
  }
  const named = Object.assign([1, 2], { extra: true });
  // eslint-disable-next-line no-sparse-arrays
  const holedAndNamed = Object.assign([1, , 3], { extra: true });
  /** `levels` arrays nested in one another, `[[...[1]]]`. */
  const nestedArrays = (levels: number): unknown => {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = [value];
    return value;
  };
  class List extends Array<number> {}

  it.each<[string, () => unknown, boolean]>([
    ['strings, booleans, null, integers and fractions', () => ({ s: 'x', b: true, n: null, i: 1, f: 0.5 }), true],
    ['an empty object and an empty array', () => ({ o: {}, a: [] }), true],
    ['an object without a prototype', () => ({ bare: Object.assign(Object.create(null) as object, { a: 1 }) }), true],
    ['257 objects deep (copied in JavaScript)', () => nested(257), true],
    ['258 objects deep (handed to structuredClone)', () => nested(258), false],
    ['257 arrays deep (copied in JavaScript)', () => nestedArrays(257), true],
    ['258 arrays deep (handed to structuredClone)', () => nestedArrays(258), false],
    ['Infinity', () => ({ n: Infinity }), false],
    ['-Infinity', () => ({ n: -Infinity }), false],
    ['-0', () => ({ n: -0 }), false],
    ['undefined', () => ({ u: undefined }), false],
    ['a function', () => ({ f: () => 1 }), false],
    ['a bigint', () => ({ big: BigInt(1) }), false],
    ['a symbol', () => ({ sym: Symbol('s') }), false],
    ['a symbol key', () => ({ inner: { [Symbol('k')]: 1, a: 1 } }), false],
    ['a class instance', () => ({ p: new Point() }), false],
    ['a Map', () => ({ m: new Map([[1, 2]]) }), false],
    ['an array with a named property', () => ({ list: named }), false],
    ['an array with a hole and a named property (as many keys as items)', () => ({ list: holedAndNamed }), false],
    ['an Array subclass', () => ({ list: List.from([1]) }), false],
    // eslint-disable-next-line no-sparse-arrays
    ['a hole in an array', () => ({ list: [1, , 3] }), false],
  ])('marks the copy JSON-exact only when all of it survives JSON: %s', (_label, make, exact) => {
    expect(isMarkedJsonExact(copyData(make()))).toBe(exact);
  });

  it('keeps numbers, strings and booleans as they are, and an array of them as a new array', () => {
    expect(copyData(5)).toBe(5);
    expect(copyData('x')).toBe('x');
    expect(copyData(null)).toBeNull();
    const list = [1, 'a', true, null];
    const copy = copyData(list);
    expect(copy).toEqual(list);
    expect(copy).not.toBe(list);
    expect(isMarkedJsonExact(copy)).toBe(true);
  });

  it('copies a deep value all the same, past the depth where structuredClone takes over', () => {
    const deep = nested(300);
    expect(copyData(deep)).toEqual(deep);
    expect(copyData(deep)).not.toBe(deep);
  });
});
