import { measureJson } from './json-measure';

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
