import { luhn, maskSecretValues } from './redact-values';

const MASK = '[REDACTED]';

describe('maskSecretValues', () => {
  it.each([
    ['a card number in one run', 'card 4111111111111111 ok', `card ${MASK} ok`],
    ['a 13-digit card', '4222222222222', MASK],
    ['a 19-digit card', '4111111111111111110', MASK],
    ['spaced in fours', 'pay 4111 1111 1111 1111.', `pay ${MASK}.`],
    ['dashed in fours', '4111-1111-1111-1111', MASK],
    ['American Express 4-6-5, spaced', 'amex 3782 822463 10005', `amex ${MASK}`],
    ['American Express 4-6-5, dashed', '3782-822463-10005', MASK],
    ['two cards', '4111111111111111 and 5500 0000 0000 0004', `${MASK} and ${MASK}`],
  ])('masks %s', (_, text, masked) => {
    expect(maskSecretValues(text)).toBe(masked);
  });

  it.each([
    ['digits failing the Luhn check', 'order 4111111111111112'],
    ['12 digits', 'id 411111111111'],
    ['20 digits', '41111111111111111111'],
    ['a card after more digits', '124111111111111111'],
    ['a card before more digits', '411111111111111112'],
    ['mixed separators', '4111 1111-1111 1111'],
    ['groups of three', '411 111 111 111 111'],
    ['no digits at all', 'hello world'],
    ['a URL without user info', 'see https://example.com/a@b'],
    ['a scheme word with a short value', 'Token abc1234'],
    ['an empty string', ''],
  ])('leaves %s alone', (_, text) => {
    expect(maskSecretValues(text)).toBe(text);
  });

  it.each([
    ['user and password', 'redis://ada:hunter2@cache:6379/0', `redis://${MASK}@cache:6379/0`],
    ['a token alone', 'https://t0k3n@api.example.com/x', `https://${MASK}@api.example.com/x`],
    ['an upper-case scheme', 'connect to AMQP://guest:guest@rabbit', `connect to AMQP://${MASK}@rabbit`],
    ['two URLs', 'a=postgres://u:p@db b=redis://x@r', `a=postgres://${MASK}@db b=redis://${MASK}@r`],
  ])('masks the user info of a URL: %s', (_, text, masked) => {
    expect(maskSecretValues(text)).toBe(masked);
  });

  it.each([
    ['Bearer', 'Authorization: Bearer abc.def-ghi_jkl', `Authorization: Bearer ${MASK}`],
    ['Basic', 'Basic dXNlcjpwdw==', `Basic ${MASK}`],
    ['token, any case', 'token AAAAAAAAAAAA', `token ${MASK}`],
    ['Digest', 'DIGEST username1234', `DIGEST ${MASK}`],
    ['several spaces', 'Bearer    abcdefgh', `Bearer ${MASK}`],
  ])('masks the credentials of an Authorization scheme: %s', (_, text, masked) => {
    expect(maskSecretValues(text)).toBe(masked);
  });

  it('masks all three kinds in one text', () => {
    expect(maskSecretValues('4111111111111111 https://u:p@h Bearer abcdefgh')).toBe(
      `${MASK} https://${MASK}@h Bearer ${MASK}`,
    );
  });
});

describe('luhn', () => {
  it.each([
    ['79927398713', true],
    ['79927398710', false],
    ['4111111111111111', true],
    ['4111111111111112', false],
    // A doubled digit above 9 counts its digits' sum (5 -> 10 -> 1): 1 + 9 = 10.
    ['59', true],
    ['91', true],
    ['18', true],
    ['81', false],
    ['0', true],
    ['1', false],
    ['', true],
  ])('%s -> %s', (digits, valid) => {
    expect(luhn(digits)).toBe(valid);
  });
});
