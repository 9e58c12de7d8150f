import { parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1500', 1500],
    ['1.5s', 1500],
    [' 10 s ', 10_000],
    ['0', 0],
    ['1.25s', 1250],
    ['12s', 12_000],
    ['0.5m', 30_000],
    ['100ms', 100],
    ['1.5', 2],
    ['0.4', 0],
    ['  5s', 5000],
    ['5  s', 5000],
    ['5s  ', 5000],
    ['\t7m\n', 420_000],
  ])('reads %p as %p ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('takes a number as milliseconds', () => {
    expect(parseDuration(0)).toBe(0);
    expect(parseDuration(1500)).toBe(1500);
    // A number is taken as it is, not read as text (which would round it).
    expect(parseDuration(1.5)).toBe(1.5);
    expect(parseDuration(1e21)).toBe(1e21);
  });

  it.each<[unknown]>([
    ['5 minutes'],
    ['5min'],
    ['abc'],
    [''],
    ['-5s'],
    ['5w'],
    ['s'],
    ['x5s'],
    ['5sx'],
    ['5 s x'],
    ['1.s'],
    ['.5s'],
    ['1.2.3'],
    ['1,5s'],
    ['5S'],
    [-1],
    [-0.5],
    [NaN],
    [Infinity],
    [-Infinity],
  ])('refuses %p with a TypeError naming the value', (value) => {
    expect(() => parseDuration(value as string)).toThrow(TypeError);
    expect(() => parseDuration(value as string)).toThrow(`${JSON.stringify(value)} is not a duration`);
  });

  it('says which formats it accepts', () => {
    expect(() => parseDuration('soon')).toThrow(
      /use milliseconds or a string such as '500ms', '30s', '5m', '2h', '1d'/,
    );
  });
});
