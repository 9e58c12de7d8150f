import { Logger } from '@nestjs/common';
import { createRedactor, DEFAULT_REDACT_KEYS, REDACT_MAX_DEPTH, REDACTED } from './redact';
import { Redactor } from './redactor';
import { ServiceLogger } from './service-logger';

describe('createRedactor', () => {
  const redact = createRedactor(DEFAULT_REDACT_KEYS);

  it('ignores separators in the configured keys as in the key names', () => {
    const custom = createRedactor(['x-api-key', 'session id', 'pin_code']);
    expect(custom({ xApiKey: 1, SessionId: 2, 'pin-code': 3, keep: 4 })).toEqual({
      xApiKey: REDACTED,
      SessionId: REDACTED,
      'pin-code': REDACTED,
      keep: 4,
    });
  });

  it('masks with the documented marker "[REDACTED]" (the dashboard refuses writes that carry it back)', () => {
    expect(REDACTED).toBe('[REDACTED]');
    expect(JSON.stringify(redact({ password: 'hunter2' }))).toBe('{"password":"[REDACTED]"}');
  });

  describe('with the default keys', () => {
    it.each([
      'password',
      'Password',
      'userPassword',
      'passwd',
      'secret',
      'clientSecret',
      'token',
      'accessToken',
      'refresh_token',
      'authorization',
      'Authorization',
      'apiKey',
      'api_key',
      'cookie',
      'Set-Cookie',
      'creditCard',
      'credit_card',
      'cardNumber',
      'card_number',
      'cvv',
      'CVC',
      'iban',
      'accountNumber',
      'routing_number',
      'privateKey',
      'accessKey',
      'AWS_SECRET_ACCESS_KEY',
      'clientSecret',
      'securityCode',
      'pan',
      'PAN',
      'cardPan',
      'card_pan',
      'ssn',
      'customerSsn',
      'pin',
      'otp',
    ])('masks the value of "%s" (case-insensitive substring)', (key) => {
      expect(redact({ [key]: 'hunter2', keep: 'me' })).toEqual({ [key]: REDACTED, keep: 'me' });
    });

    it('keeps values under keys that are not secret', () => {
      const args = {
        userId: 1,
        email: 'ada@example.com',
        reportType: 'monthly',
        active: true,
        note: null,
        tags: ['a', 'b'],
        company: 'Acme',
        panel: 'left',
        className: 'x',
        spinner: true,
        span: 2,
      };
      expect(redact(args)).toEqual(args);
    });

    it('masks at any depth, inside nested objects and arrays of objects', () => {
      const args = {
        user: { name: 'ada', credentials: { password: 'p', code: 123456 } },
        headers: [{ authorization: 'Bearer x', accept: 'json' }],
        matrix: [[{ apiKey: 'k', id: 1 }]],
      };
      expect(redact(args)).toEqual({
        user: { name: 'ada', credentials: { password: REDACTED, code: 123456 } },
        headers: [{ authorization: REDACTED, accept: 'json' }],
        matrix: [[{ apiKey: REDACTED, id: 1 }]],
      });
    });

    it('masks a secret key whose value is an object as a whole', () => {
      expect(redact({ secret: { nested: 'value' } })).toEqual({ secret: REDACTED });
    });

    it('returns a copy and leaves the original arguments untouched', () => {
      const args = { password: 'p', nested: { token: 't' }, list: [{ secret: 's' }] };
      const copy = redact(args) as typeof args;
      expect(copy).not.toBe(args);
      expect(args).toEqual({ password: 'p', nested: { token: 't' }, list: [{ secret: 's' }] });
    });

    it('walks objects with a null prototype', () => {
      const args = Object.assign(Object.create(null), { password: 'p', id: 2 });
      expect(redact(args)).toEqual({ password: REDACTED, id: 2 });
    });

    it('returns primitives, null and undefined as they are', () => {
      expect(redact('password')).toBe('password');
      expect(redact(42)).toBe(42);
      expect(redact(null)).toBeNull();
      expect(redact(undefined)).toBeUndefined();
    });
  });

  describe('depth', () => {
    it('shows a marker past REDACT_MAX_DEPTH levels instead of overflowing the stack (200,000 levels)', () => {
      let deep: unknown = { password: 'x' };
      for (let i = 0; i < 200_000; i++) deep = { next: deep };
      let shown = createRedactor(DEFAULT_REDACT_KEYS)(deep) as { next: unknown };
      let levels = 0;
      while (typeof shown === 'object') {
        shown = shown.next as { next: unknown };
        levels++;
      }
      expect(levels).toBe(32);
      expect(REDACT_MAX_DEPTH).toBe(32);
      expect(shown).toBe('[nested deeper than 32 levels]');
    });
  });

  describe('cycles', () => {
    it('replaces a reference back to an ancestor by "[Circular]" instead of recursing forever', () => {
      const args: Record<string, unknown> = { id: 1, token: 't' };
      args.self = args;
      expect(redact(args)).toEqual({ id: 1, token: REDACTED, self: '[Circular]' });
    });

    it('detects cycles through arrays', () => {
      const list: unknown[] = [1];
      list.push({ back: list });
      expect(redact({ list })).toEqual({ list: [1, { back: '[Circular]' }] });
    });

    it('prints an object reached twice without a cycle both times', () => {
      const shared = { password: 'p', id: 3 };
      expect(redact({ a: shared, b: shared, c: [shared] })).toEqual({
        a: { password: REDACTED, id: 3 },
        b: { password: REDACTED, id: 3 },
        c: [{ password: REDACTED, id: 3 }],
      });
    });
  });

  describe('class instances', () => {
    it('walks their fields (a DTO logs like a plain object), secrets masked', () => {
      class LoginDto {
        constructor(
          readonly email: string,
          readonly password: string,
        ) {}
      }
      expect(redact({ login: new LoginDto('a@b.co', 'hunter2') })).toEqual({
        login: { email: 'a@b.co', password: REDACTED },
      });
    });

    it('keeps Dates, Maps and Sets as they are', () => {
      const when = new Date('2026-01-01T00:00:00Z');
      const lookup = new Map([['k', 'v']]);
      const tags = new Set(['a']);
      const result = redact({ when, lookup, tags }) as Record<string, unknown>;
      expect(result.when).toBe(when);
      expect(result.lookup).toBe(lookup);
      expect(result.tags).toBe(tags);
    });
  });

  it('ignores case and separators in key names: x-api-key, api_key, API Key', () => {
    expect(redact({ 'x-api-key': 'k1', api_key: 'k2', 'API Key': 'k3', apiKeyId: 'k4', keys: 'kept' })).toEqual({
      'x-api-key': REDACTED,
      api_key: REDACTED,
      'API Key': REDACTED,
      apiKeyId: REDACTED,
      keys: 'kept',
    });
  });

  describe('with custom keys', () => {
    it('replaces the default list: only the given keys are masked', () => {
      const custom = createRedactor(['ssn']);
      expect(custom({ ssn: '123-45-6789', customerSsn: 'x', password: 'p' })).toEqual({
        ssn: REDACTED,
        customerSsn: REDACTED,
        password: 'p',
      });
    });

    it('accepts regular expressions', () => {
      const custom = createRedactor([/^card/i, /pin$/]);
      expect(custom({ cardNumber: '4242', CARDholder: 'Ada', pin: '1234', pinned: true, discard: 1 })).toEqual({
        cardNumber: REDACTED,
        CARDholder: REDACTED,
        pin: REDACTED,
        pinned: true,
        discard: 1,
      });
    });

    it('masks every match with a global or sticky regular expression (no lastIndex carried over)', () => {
      const custom = createRedactor([/secret/g, /key/y]);
      const args = { secret1: 'a', secret2: 'b', secret3: 'c', key1: 'd', key2: 'e' };
      expect(custom(args)).toEqual({
        secret1: REDACTED,
        secret2: REDACTED,
        secret3: REDACTED,
        key1: REDACTED,
        key2: REDACTED,
      });
      expect(custom(args)).toEqual({
        secret1: REDACTED,
        secret2: REDACTED,
        secret3: REDACTED,
        key1: REDACTED,
        key2: REDACTED,
      });
    });

    it('matches string keys literally, not as patterns', () => {
      const custom = createRedactor(['a.b', 'x+']);
      expect(custom({ 'a.b': 1, axb: 2, 'x+': 3, xx: 4 })).toEqual({ 'a.b': REDACTED, axb: 2, 'x+': REDACTED, xx: 4 });
    });

    it('masks nothing with an empty list', () => {
      expect(createRedactor([])({ password: 'p' })).toEqual({ password: 'p' });
    });
  });

  describe('values that look like secrets, under any key', () => {
    it.each([
      ['a card number in one run', 'paid with 4111111111111111 today', 'paid with [REDACTED] today'],
      ['a card number in groups of four', 'card 4242 4242 4242 4242', 'card [REDACTED]'],
      ['a dashed card number', '5555-5555-5555-4444', '[REDACTED]'],
      ['an American Express number', '3782 822463 10005', '[REDACTED]'],
      ['a Discover number', '6011000990139424', '[REDACTED]'],
      ['a bearer token', 'Authorization: Bearer eyJhbGciOi.eyJzdWIiOi.SflKxw', 'Authorization: Bearer [REDACTED]'],
      ['basic credentials', 'sent Basic dXNlcjpodW50ZXIy', 'sent Basic [REDACTED]'],
      ['a password in a URL', 'postgres://app:hunter2@db:5432/app', 'postgres://[REDACTED]@db:5432/app'],
      ['a token in a URL', 'https://ghp_abc123@github.com/x.git', 'https://[REDACTED]@github.com/x.git'],
    ])('masks %s', (_, value, expected) => {
      expect(redact({ note: value })).toEqual({ note: expected });
      expect(redact([value])).toEqual([expected]);
    });

    it.each([
      ['a number failing the Luhn check', 'order 4111111111111112'],
      ['a longer run of digits', 'trace 41111111111111110000000'],
      ['a date range', '2026-11-01 2026-11-30'],
      ['a phone number', '+1 415 555 2671'],
      ['a URL without credentials', 'https://example.com/a@b'],
      ['the word token', 'token expired'],
    ])('keeps %s', (_, value) => {
      expect(redact({ note: value })).toEqual({ note: value });
    });
  });

  it('stops at a depth limit instead of walking (and overflowing on) a value nested 200,000 levels', () => {
    let deep: unknown = { password: 'p' };
    for (let i = 0; i < 200_000; i++) deep = { next: deep };
    const shown = JSON.stringify(redact(deep));
    expect(shown).toContain(`"[nested deeper than ${REDACT_MAX_DEPTH} levels]"`);
    expect(shown.length).toBeLessThan(1000);
  });
});

describe('the module redactor and the logged arguments', () => {
  it('adds logging.redact keys to the defaults (a user list never turns the defaults off)', () => {
    const redactor = new Redactor({ logging: { redact: ['nickname', /^dob$/] } });
    expect(redactor.redact({ nickname: 'ace', dob: '1990-01-01', password: 'p', cvv: '123', name: 'Ada' })).toEqual({
      nickname: REDACTED,
      dob: REDACTED,
      password: REDACTED,
      cvv: REDACTED,
      name: 'Ada',
    });
  });

  it("cuts a call's logged arguments past maxArgsLength (a 20 MB argument is not one 20 MB log line)", () => {
    const debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    try {
      const logger = (options: ConstructorParameters<typeof Redactor>[0]) =>
        new ServiceLogger(options, new Redactor(options));
      const big = logger({});
      big.begin();
      big.called('big.upload', undefined, { blob: 'x'.repeat(20 * 1024 * 1024) });
      const small = logger({ logging: { maxArgsLength: 100 } });
      small.begin();
      small.called('small', undefined, { blob: 'y'.repeat(500) });
      const [first, second] = debug.mock.calls.map(([line]) => String(line));
      expect(first.length).toBeLessThan(2200);
      expect(first).toMatch(/^big\.upload called with \{"blob":"x+\.\.\.\(\d+ more characters\)$/);
      expect(second.length).toBeLessThan(200);
    } finally {
      debug.mockRestore();
    }
  });
});
