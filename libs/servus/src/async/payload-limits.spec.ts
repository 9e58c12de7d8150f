import { measuredPayloadProblem, payloadLimits, storedPayloadProblem, storedTextSize } from './payload-limits';

describe('storedTextSize', () => {
  it("decides from the text's length alone when it is over the limit or within a third of it", () => {
    // 'é' is 2 bytes of UTF-8: the length is then a lower bound, not the byte count.
    expect(storedTextSize('é'.repeat(101), 100)).toEqual({ bytes: 101, exact: false });
    expect(storedTextSize('é'.repeat(33), 100)).toEqual({ bytes: 33, exact: false });
    expect(storedTextSize('', 100)).toEqual({ bytes: 0, exact: false });
  });

  it('counts the UTF-8 bytes of a text between a third of the limit and the limit', () => {
    expect(storedTextSize('x'.repeat(34), 100)).toEqual({ bytes: 34, exact: true });
    expect(storedTextSize('é'.repeat(50), 100)).toEqual({ bytes: 100, exact: true });
    expect(storedTextSize('é'.repeat(50) + 'x', 100)).toEqual({ bytes: 101, exact: true });
    // Three-byte characters (one UTF-16 unit each) and four-byte ones (two units each).
    expect(storedTextSize('€'.repeat(34), 100)).toEqual({ bytes: 102, exact: true });
    expect(storedTextSize('😀'.repeat(25), 100)).toEqual({ bytes: 100, exact: true });
    expect(storedTextSize('😀'.repeat(25) + 'x', 100)).toEqual({ bytes: 101, exact: true });
  });
});

describe('measuredPayloadProblem', () => {
  const limits = payloadLimits({ maxPayloadBytes: 100, maxDepth: 3 });
  const nestedArgs = (levels: number): unknown => {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = [value];
    return { service: 's', args: value, metadata: {} };
  };

  it('names the exact size and the limit when the bytes were counted, a lower bound otherwise', () => {
    const text = JSON.stringify({ service: 's', args: 'é'.repeat(40), metadata: {} });
    const exact = storedTextSize(text, limits.maxPayloadBytes);
    expect(exact).toEqual({ bytes: 119, exact: true });
    expect(measuredPayloadProblem(JSON.parse(text), exact, limits)).toBe(
      "the job's payload is 119 bytes of JSON, over the limit of 100 bytes (limits.maxPayloadBytes)",
    );
    expect(measuredPayloadProblem({}, { bytes: 5000, exact: false }, limits)).toBe(
      "the job's payload is at least 5000 bytes of JSON, over the limit of 100 bytes (limits.maxPayloadBytes)",
    );
  });

  it('passes a payload of exactly the limit', () => {
    expect(measuredPayloadProblem({}, { bytes: 100, exact: true }, limits)).toBeUndefined();
  });

  it('refuses args nested maxDepth + 1 levels, not maxDepth (the data is one level above them)', () => {
    const size = { bytes: 40, exact: false };
    expect(measuredPayloadProblem(nestedArgs(3), size, limits)).toBeUndefined();
    expect(measuredPayloadProblem(nestedArgs(4), size, limits)).toBe(
      'args is nested deeper than 3 levels (limits.maxDepth)',
    );
  });

  it('checks the size before walking the data', () => {
    expect(measuredPayloadProblem(nestedArgs(4), { bytes: 101, exact: true }, limits)).toBe(
      "the job's payload is 101 bytes of JSON, over the limit of 100 bytes (limits.maxPayloadBytes)",
    );
  });
});

describe('storedPayloadProblem (data handed over without its text: the testing queue, other callers)', () => {
  const limits = payloadLimits({ maxPayloadBytes: 100, maxDepth: 2 });
  const over = (size: string) =>
    `the job's payload is ${size} bytes of JSON, over the limit of 100 bytes (limits.maxPayloadBytes)`;

  it('refuses data past the limit by the walk alone, a lower bound of its size', () => {
    expect(storedPayloadProblem({ args: 'x'.repeat(200) }, limits)).toMatch(/^the job's payload is at least \d+ bytes/);
  });

  it('counts the UTF-8 bytes of data near the limit: one byte over is refused, the limit itself passes', () => {
    // {"args":"…"} is 11 characters around the string; 'é' is 2 bytes of UTF-8 (45 characters, 101 bytes).
    expect(storedPayloadProblem({ args: `${'é'.repeat(44)}xx` }, limits)).toBe(over('101'));
    expect(storedPayloadProblem({ args: `${'é'.repeat(44)}x` }, limits)).toBeUndefined();
    expect(storedPayloadProblem({ args: 'x'.repeat(89) }, limits)).toBeUndefined();
  });

  it('refuses args nested deeper than maxDepth, one level below the data', () => {
    expect(storedPayloadProblem({ args: [[1]] }, limits)).toBeUndefined();
    expect(storedPayloadProblem({ args: [[[1]]] }, limits)).toBe(
      'args is nested deeper than 2 levels (limits.maxDepth)',
    );
  });
});
