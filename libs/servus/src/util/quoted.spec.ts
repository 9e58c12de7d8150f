import { quoted } from './quoted';

describe('quoted', () => {
  it('JSON-quotes a foreign string (a line break cannot start a new line), cut at max characters', () => {
    expect(quoted('a\nb"c')).toBe('"a\\nb\\"c"');
    expect(quoted('x'.repeat(300))).toBe(`"${'x'.repeat(200)}"`);
    expect(quoted('abcdef', 3)).toBe('"abc"');
    expect(quoted(42)).toBe('"42"');
  });
});
