import { isLike, ServusMatcherContext } from './matcher-context';

/** The runner's deep equality (jest's here), as a matcher's `this.equals` gives it. */
const context: ServusMatcherContext = {
  equals: (a, b) => {
    try {
      expect(a).toEqual(b);
      return true;
    } catch {
      return false;
    }
  },
  utils: { matcherHint: (name) => name, printReceived: String, printExpected: String },
};

describe('isLike (partial args, payloads and options of the matchers)', () => {
  it('compares plain objects on the expected keys only, recursively', () => {
    const actual = { reportId: 7, user: { id: 1, name: 'Ada' }, extra: true };
    expect(isLike(context, actual, { reportId: 7 })).toBe(true);
    expect(isLike(context, actual, { user: { id: 1 } })).toBe(true);
    expect(isLike(context, actual, { user: { id: 2 } })).toBe(false);
    expect(isLike(context, actual, { missing: undefined })).toBe(false);
    expect(isLike(context, 'text', { reportId: 7 })).toBe(false);
  });

  it('compares arrays element by element, with the same length', () => {
    expect(isLike(context, [{ id: 1, x: 1 }, { id: 2 }], [{ id: 1 }, { id: 2 }])).toBe(true);
    expect(isLike(context, [{ id: 1 }, { id: 2 }], [{ id: 1 }])).toBe(false);
  });

  it("leaves dates, class instances and asymmetric matchers to the runner's equals", () => {
    expect(isLike(context, { at: new Date(0) }, { at: new Date(0) })).toBe(true);
    expect(isLike(context, { at: new Date(0) }, { at: new Date(1) })).toBe(false);
    expect(isLike(context, { n: 3 }, { n: expect.any(Number) as unknown })).toBe(true);
    expect(isLike(context, { n: 'three' }, { n: expect.any(Number) as unknown })).toBe(false);
  });
});
