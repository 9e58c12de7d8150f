import { measureJson, parsedJsonDeeperThan } from './json-measure';

describe('measureJson', () => {
  it('counts the characters of the JSON text of plain ASCII data exactly', () => {
    for (const value of [{ a: 1, b: [true, null, 'x'], c: { d: -2.5 } }, [], {}, 'text', 12, [[], [{}]]])
      expect(measureJson(value, 64).chars).toBe(JSON.stringify(value).length);
  });

  it('reports depth past the limit without recursion (200,000 levels)', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(measureJson(deep, 64).tooDeep).toBe(true);
    expect(measureJson([[[1]]], 3).tooDeep).toBe(false);
    expect(measureJson([[[[1]]]], 3).tooDeep).toBe(true);
  });

  it('walks a shared or circular object once, and treats instances as leaves', () => {
    const shared: Record<string, unknown> = { x: 1 };
    shared.self = shared;
    expect(measureJson({ a: shared, b: shared, when: new Date(0) }, 64).tooDeep).toBe(false);
  });

  it('stops counting once past stopAt', () => {
    expect(measureJson(['x'.repeat(100), 'y'.repeat(100)], 64, 50).chars).toBeLessThan(150);
  });
});

describe('parsedJsonDeeperThan', () => {
  const nested = (levels: number, leaf: unknown = 1): unknown => {
    let value = leaf;
    for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { v: value };
    return value;
  };

  it('is true from exactly maxDepth + 1 levels of objects and arrays, as measureJson', () => {
    for (const maxDepth of [1, 3, 64, 65]) {
      const atLimit = JSON.parse(JSON.stringify(nested(maxDepth))) as unknown;
      const pastLimit = JSON.parse(JSON.stringify(nested(maxDepth + 1))) as unknown;
      expect(parsedJsonDeeperThan(atLimit, maxDepth)).toBe(false);
      expect(parsedJsonDeeperThan(pastLimit, maxDepth)).toBe(true);
      expect(measureJson(atLimit, maxDepth).tooDeep).toBe(false);
      expect(measureJson(pastLimit, maxDepth).tooDeep).toBe(true);
    }
  });

  it('counts only objects and arrays as levels: primitives, null and empty containers are leaves', () => {
    expect(parsedJsonDeeperThan(1, 0)).toBe(false);
    expect(parsedJsonDeeperThan(null, 0)).toBe(false);
    expect(parsedJsonDeeperThan('text', 0)).toBe(false);
    expect(parsedJsonDeeperThan({}, 0)).toBe(true);
    expect(parsedJsonDeeperThan({}, 1)).toBe(false);
    expect(parsedJsonDeeperThan({ a: [1, 'x', null, true], b: { c: [] } }, 3)).toBe(false);
    expect(parsedJsonDeeperThan({ a: [1, 'x', null, true], b: { c: [{}] } }, 3)).toBe(true);
  });

  it('finds the deepest branch among wide siblings, in an array or an object', () => {
    const wide = JSON.parse(JSON.stringify({ items: [...Array.from({ length: 1000 }, (_, id) => ({ id })), [[[1]]]] }));
    expect(parsedJsonDeeperThan(wide, 5)).toBe(false);
    expect(parsedJsonDeeperThan(wide, 4)).toBe(true);
    expect(parsedJsonDeeperThan(JSON.parse('{"a":1,"b":2,"z":{"y":{"x":{}}}}'), 3)).toBe(true);
  });

  it('walks a __proto__ key of parsed JSON as an own property', () => {
    const parsed = JSON.parse('{"__proto__":{"a":{"b":[1]}}}') as unknown;
    expect(parsedJsonDeeperThan(parsed, 4)).toBe(false);
    expect(parsedJsonDeeperThan(parsed, 3)).toBe(true);
  });

  it('follows own properties only, when some code has put an enumerable property on Object.prototype', () => {
    const prototype = Object.prototype as Record<string, unknown>;
    prototype.polluted = { a: { b: {} } };
    try {
      expect(parsedJsonDeeperThan(JSON.parse('{"a":1}'), 1)).toBe(false);
      expect(parsedJsonDeeperThan(JSON.parse('[{"a":{}}]'), 3)).toBe(false);
    } finally {
      delete prototype.polluted;
    }
  });

  it('stops at the first level past the limit of a 200,000-deep value (at most maxDepth + 1 frames)', () => {
    const text = '['.repeat(200_000) + '1' + ']'.repeat(200_000);
    expect(parsedJsonDeeperThan(JSON.parse(text), 64)).toBe(true);
  });
});
