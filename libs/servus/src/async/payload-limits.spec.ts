import { measuredPayloadProblem, payloadLimits, storedTextSize } from './payload-limits';

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
