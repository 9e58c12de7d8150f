import { ServiceDefinition } from '../service/service-definition';
import { limitsOf } from './flow-limits';

const rated = (per: string, max = 10) =>
  ({ name: `rated-${per}`, options: { async: { rateLimit: { max, per } } } }) as ServiceDefinition;

describe('limitsOf: the rate window is per plus a guard of 2 % of per, at least 50 ms', () => {
  it.each([
    ['100ms', 150],
    ['1s', 1050],
    ['2500ms', 2550],
    ['5s', 5100],
    ['1m', 61_200],
  ])('per %s: window %d ms, postponed starts spaced a tenth of it (max 10)', (per, windowMs) => {
    expect(limitsOf(rated(per))?.rate).toEqual({
      max: 10,
      perMs: expect.any(Number),
      windowMs,
      spacingMs: windowMs / 10,
    });
  });
});
