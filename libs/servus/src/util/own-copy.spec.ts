import { ownCopy } from './own-copy';

describe('ownCopy: what { ...a, ...b } gives, as an object that takes more keys cheaply', () => {
  it('copies own enumerable keys, later sources winning, and skips null and undefined sources', () => {
    const symbol = Symbol('s');
    const first = { a: 1, b: 2, [symbol]: 's' };
    Object.defineProperty(first, 'hidden', { value: 'h', enumerable: false });
    const copy = ownCopy<Record<PropertyKey, unknown>>(first, undefined, null, { b: 3, c: 4 });
    expect(copy).toEqual({ ...first, ...{ b: 3, c: 4 } });
    expect(copy[symbol]).toBe('s');
    expect(Object.keys(copy)).toEqual(['a', 'b', 'c']);
    expect(copy).not.toBe(first);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
  });

  it('keeps an own __proto__ key (as JSON.parse makes it) a key, never the prototype', () => {
    const parsed = JSON.parse('{"a": 1, "__proto__": {"polluted": true}}') as object;
    const copy = ownCopy<Record<string, unknown>>(parsed, { b: 2 });
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.keys(copy)).toEqual(['a', '__proto__', 'b']);
    expect(Object.getOwnPropertyDescriptor(copy, '__proto__')).toEqual({
      value: { polluted: true },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    expect(copy).toEqual({ ...parsed, b: 2 });
  });

  it('an object that takes keys after the copy keeps them as its own, the sources unchanged', () => {
    const base = Object.freeze({ attempts: 3 });
    const copy = ownCopy<Record<string, unknown>>(base);
    copy.jobId = 'x';
    expect(copy).toEqual({ attempts: 3, jobId: 'x' });
    expect(base).toEqual({ attempts: 3 });
  });

  it('defines keys Object.prototype has (read-only once frozen, or a setter planted there) as spread does', () => {
    // Frozen (a hardening against prototype pollution), Object.prototype's keys are read-only: assigning
    // `constructor` to a fresh object throws. A setter planted there would run and keep the key off the copy.
    const planted: unknown[] = [];
    Object.defineProperty(Object.prototype, 'readOnlyHere', { value: 1, writable: false, configurable: true });
    Object.defineProperty(Object.prototype, 'plantedHere', {
      set: (value: unknown) => void planted.push(value),
      configurable: true,
    });
    try {
      const parsed = JSON.parse('{"readOnlyHere": 2, "plantedHere": 3, "toString": 4, "a": 5}') as object;
      const copy = ownCopy<Record<string, unknown>>(parsed, { b: 6 });
      expect(copy).toEqual({ ...parsed, b: 6 });
      expect(Object.keys(copy)).toEqual(['readOnlyHere', 'plantedHere', 'toString', 'a', 'b']);
      expect(planted).toEqual([]);
    } finally {
      delete (Object.prototype as Record<string, unknown>).readOnlyHere;
      delete (Object.prototype as Record<string, unknown>).plantedHere;
    }
  });

  it('defines a symbol key as spread does, a setter planted under that symbol never running', () => {
    const symbol = Symbol('planted');
    const planted: unknown[] = [];
    Object.defineProperty(Object.prototype, symbol, {
      set: (value: unknown) => void planted.push(value),
      configurable: true,
    });
    try {
      const copy = ownCopy<Record<PropertyKey, unknown>>({ a: 1, [symbol]: 2 });
      expect(Object.getOwnPropertyDescriptor(copy, symbol)?.value).toBe(2);
      expect(planted).toEqual([]);
    } finally {
      delete (Object.prototype as Record<PropertyKey, unknown>)[symbol];
    }
  });
});
