import {
  carryProblem,
  contextValueProblem,
  CORRELATION_ID,
  MAX_CARRIED_KEYS,
  MAX_CONTEXT_VALUE_LENGTH,
  restoredKeys,
} from './context-limits';

describe('context limits (docs/cancellation-and-context.md)', () => {
  it('the documented figures: 32 carried keys, 1024 characters a value, the correlation id key', () => {
    expect(MAX_CARRIED_KEYS).toBe(32);
    expect(MAX_CONTEXT_VALUE_LENGTH).toBe(1024);
    expect(CORRELATION_ID).toBe('correlationId');
  });
});

describe('carryProblem: context.carry checked at boot', () => {
  const keys = (n: number) => Array.from({ length: n }, (_, i) => `key${i}`);

  it.each<[string, unknown]>([
    ['absent', undefined],
    ['empty', []],
    ['32 keys', keys(32)],
    ['a key of 64 characters', ['k'.repeat(64)]],
    ['a one-character key', ['k']],
  ])('accepts %s', (_, carry) => {
    expect(carryProblem(carry)).toBeUndefined();
  });

  it.each<[string, unknown, string]>([
    ['a string', 'tenantId', 'context.carry must be an array of key names, got string'],
    ['null', null, 'context.carry must be an array of key names, got object'],
    ['an object', { 0: 'a' }, 'context.carry must be an array of key names, got object'],
    ['33 keys', keys(33), 'context.carry may list at most 32 keys, got 33'],
    ['an empty key', ['a', ''], 'context.carry[] must be a non-empty string of at most 64 characters, got ""'],
    [
      'a key of 65 characters',
      ['k'.repeat(65)],
      `context.carry[] must be a non-empty string of at most 64 characters, got "${'k'.repeat(65)}"`,
    ],
    [
      'a very long key (shown cut at 65 characters)',
      ['k'.repeat(500)],
      `context.carry[] must be a non-empty string of at most 64 characters, got "${'k'.repeat(65)}"`,
    ],
    ['a number', [7], 'context.carry[] must be a non-empty string of at most 64 characters, got number'],
    ['null in the list', [null], 'context.carry[] must be a non-empty string of at most 64 characters, got object'],
    ['__proto__', ['__proto__'], 'context.carry may not name "__proto__" (a prototype key)'],
    ['constructor', ['a', 'constructor'], 'context.carry may not name "constructor" (a prototype key)'],
    ['prototype', ['prototype'], 'context.carry may not name "prototype" (a prototype key)'],
    ['a key twice', ['tenantId', 'userId', 'tenantId'], 'context.carry lists "tenantId" twice'],
  ])('refuses %s', (_, carry, problem) => {
    expect(carryProblem(carry)).toBe(problem);
  });
});

describe('restoredKeys: what a worker restores', () => {
  it('the correlation id first, then the carried keys, each once, never a prototype key', () => {
    expect(restoredKeys(undefined)).toEqual(['correlationId']);
    expect(restoredKeys([])).toEqual(['correlationId']);
    expect(restoredKeys(['tenantId', 'userId'])).toEqual(['correlationId', 'tenantId', 'userId']);
    expect(restoredKeys(['tenantId', 'correlationId', 'tenantId'])).toEqual(['correlationId', 'tenantId']);
    expect(restoredKeys(['__proto__', 'a', 'constructor', 'prototype'])).toEqual(['correlationId', 'a']);
  });
});

describe('contextValueProblem: a value that travels in a job', () => {
  it.each<[string, unknown]>([
    ['a string', 'acme'],
    ['an empty string', ''],
    ['a string of 1024 characters', 'x'.repeat(1024)],
    ['a number', 7],
    ['zero', 0],
    ['a negative fraction', -1.5],
    ['true', true],
    ['false', false],
    ['null', null],
  ])('accepts %s', (_, value) => {
    expect(contextValueProblem(value)).toBeUndefined();
  });

  it.each<[string, unknown, string]>([
    ['a string of 1025 characters', 'x'.repeat(1025), 'is 1025 characters long, over the limit of 1024'],
    ['a string of 5000 characters', 'x'.repeat(5000), 'is 5000 characters long, over the limit of 1024'],
    ['NaN', NaN, 'must be a string, a number, a boolean or null, got NaN'],
    ['Infinity', Infinity, 'must be a string, a number, a boolean or null, got Infinity'],
    ['-Infinity', -Infinity, 'must be a string, a number, a boolean or null, got -Infinity'],
    ['undefined', undefined, 'must be a string, a number, a boolean or null, got a undefined'],
    ['an object', { a: 1 }, 'must be a string, a number, a boolean or null, got an object'],
    ['an array', ['a'], 'must be a string, a number, a boolean or null, got an array'],
    ['a bigint', 10n, 'must be a string, a number, a boolean or null, got a bigint'],
    ['a function', () => 1, 'must be a string, a number, a boolean or null, got a function'],
    ['a symbol', Symbol('s'), 'must be a string, a number, a boolean or null, got a symbol'],
  ])('refuses %s', (_, value, problem) => {
    expect(contextValueProblem(value)).toBe(problem);
  });
});
