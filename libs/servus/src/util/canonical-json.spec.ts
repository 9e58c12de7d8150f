import { CANONICAL_MAX_DEPTH, canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it('writes one text whatever the key order, sorted at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
    expect(canonicalJson({ a: { c: null, d: [2, { e: 0, f: 1 }] }, b: 1 })).toBe(
      canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } }),
    );
  });

  it.each([
    ['unicode and escapes', { é: 'ünï\u2028\n"quoted"', '': 'empty key' }],
    ['numbers JSON writes differently than they are typed', { big: 1e21, small: 1e-7, third: 1 / 3, neg: -5 }],
    ['a __proto__ key from JSON.parse', JSON.parse('{"__proto__": {"x": 1}, "a": 2}') as unknown],
    ['nested arrays and nulls', [[null, [true, false]], []]],
  ])('gives the same text before and after a JSON round trip: %s', (_, value) => {
    expect(canonicalJson(JSON.parse(JSON.stringify(value)))).toBe(canonicalJson(value));
  });

  it('refuses a value nested deeper than the limit instead of overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(() => canonicalJson(deep)).toThrow(new RangeError(`nested deeper than ${CANONICAL_MAX_DEPTH} levels`));
  });
});
