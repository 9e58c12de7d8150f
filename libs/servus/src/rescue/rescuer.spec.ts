import { ServiceError, ServiceUnavailableError } from 'nestjs-servus';
import { Rescuer } from 'nestjs-servus/rescue/rescuer';
import { RescueConfig } from 'nestjs-servus/rescue/rescue-from.decorator';

class CacheMiss extends Error {}

/** A rescuer whose one handler answers with `returned`, to see how a wrong answer is named. */
function answering(returned: unknown): Rescuer {
  const config: RescueConfig = { errors: [CacheMiss], handler: () => returned as never };
  return new Rescuer([config], 'rescue.unit');
}

describe('Rescuer', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'string'],
    ['a number', 42],
    ['a boolean', true],
    ['a plain object', {}],
    ['a look-alike of a response', { success: true, data: 1 }],
    ['an array', []],
    ['a Map', new Map()],
    ['an object without a prototype', Object.create(null) as unknown],
  ])('names what a handler returned instead of a response: %s', async (_label, returned) => {
    const expected: Record<string, string> = {
      undefined: 'undefined',
      null: 'null',
      'a string': 'string',
      'a number': 'number',
      'a boolean': 'boolean',
      'a plain object': 'Object',
      'a look-alike of a response': 'Object',
      'an array': 'Array',
      'a Map': 'Map',
      'an object without a prototype': 'object',
    };
    await expect(answering(returned).rescue(new CacheMiss('m'), {})).rejects.toThrow(
      new TypeError(
        `@RescueFrom handler of rescue.unit for CacheMiss must return ctx.success() or ctx.failure(), got ${expected[_label]}`,
      ),
    );
  });

  it('answers undefined (rethrow) when nothing is declared or nothing matches', async () => {
    expect(await new Rescuer([], 'rescue.unit').rescue(new CacheMiss('m'), {})).toBeUndefined();
    const config: RescueConfig = { errors: [CacheMiss], use: ServiceUnavailableError };
    expect(await new Rescuer([config], 'rescue.unit').rescue(new Error('other'), {})).toBeUndefined();
  });

  it('builds the use type with the templated message and the original error as cause', async () => {
    const original = new CacheMiss('cold');
    const config: RescueConfig = { errors: [CacheMiss], use: ServiceError };
    const response = await new Rescuer([config], 'rescue.unit').rescue(original, {});
    expect(response?.error?.message).toBe('[CacheMiss]: cold');
    expect(response?.error?.cause).toBe(original);
  });
});
