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
});
