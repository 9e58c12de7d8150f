import { escapeLog, escapeStack } from './escape-log';

describe('escapeLog', () => {
  it('writes control characters, ESC and line separators as escapes: one value, one line', () => {
    expect(escapeLog('a\nb\r\tc\u001b[2Kd\u0000\u007f\u009b\u2028\u2029')).toBe(
      'a\\nb\\r\\tc\\x1b[2Kd\\x00\\x7f\\x9b\\u2028\\u2029',
    );
  });

  it('keeps ordinary text, unicode included, as it is', () => {
    expect(escapeLog('reports.generate [correlationId=ab-12] é ü 日本')).toBe(
      'reports.generate [correlationId=ab-12] é ü 日本',
    );
  });

  it('cuts a long value, saying how much was left out', () => {
    expect(escapeLog('x'.repeat(30), 10)).toBe('xxxxxxxxxx...(20 more characters)');
  });

  it("escapes an error's message in its stack, keeping the frames one per line", () => {
    const error = new Error('bad property "x\n[Nest] FORGED"');
    const stack = escapeStack(error)!;
    expect(stack.split('\n')[0]).toBe('Error: bad property "x\\n[Nest] FORGED"');
    expect(
      stack
        .split('\n')
        .slice(1)
        .every((line) => line.trimStart().startsWith('at ')),
    ).toBe(true);
  });
});
