import { Type } from 'class-transformer';
import { IsDate, IsInt, IsOptional, IsString, Min, ValidateNested } from 'class-validator';
import { ValidationError } from 'nestjs-servus/response/http-errors';
import { DtoContract } from 'nestjs-servus/validation/dto.contract';

class Line {
  @IsString()
  sku!: string;

  @IsInt({ message: 'the quantity is not a whole number' })
  qty!: number;
}

class Shipping {
  @ValidateNested({ each: true })
  @Type(() => Line)
  lines!: Line[];

  @IsOptional()
  @IsString()
  address2?: string;
}

class Order {
  @IsInt()
  @Min(1)
  id!: number;

  @ValidateNested()
  @Type(() => Shipping)
  shipping!: Shipping;

  @Type(() => Date)
  @IsDate()
  at!: Date;
}

class Odd {
  @IsString()
  '2nd'!: string;
}

class HoldsOdd {
  @ValidateNested()
  @Type(() => Odd)
  odd!: Odd;
}

class Undecorated {
  name?: string;
}

const OPTIONS = { whitelist: true, forbidNonWhitelisted: false, forbidUnknownValues: true };

async function refusal(contract: DtoContract, value: unknown): Promise<ValidationError> {
  const error: unknown = await Promise.resolve()
    .then(() => contract.validate(value, 'arguments for s.order'))
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

describe('DtoContract', () => {
  const args = new DtoContract(Order, OPTIONS, true);
  const valid = { id: 1, shipping: { lines: [{ sku: 'a', qty: 1 }] }, at: '2026-01-01T00:00:00.000Z' };

  it('names the whole path of a nested failure, array items as [i], in the path and the sentence', async () => {
    const error = await refusal(args, {
      id: 0,
      shipping: {
        lines: [
          { sku: 'a', qty: 1 },
          { sku: 7, qty: 'x' },
        ],
      },
      at: '2026-01-01T00:00:00.000Z',
    });
    expect(error.details).toEqual([
      { path: 'id', rule: 'min', message: 'id must not be less than 1' },
      { path: 'shipping.lines[1].sku', rule: 'isString', message: 'shipping.lines[1].sku must be a string' },
      // A message of its own that does not start with the property's name is left as it is.
      { path: 'shipping.lines[1].qty', rule: 'isInt', message: 'the quantity is not a whole number' },
    ]);
    expect(error.message).toBe(
      'Invalid arguments for s.order: id must not be less than 1 (min); shipping.lines[1].sku must be a string (isString); the quantity is not a whole number (isInt)',
    );
  });

  it('tells an array index from a property whose name holds digits', async () => {
    const lines = [...Array.from({ length: 10 }, () => ({ sku: 'a', qty: 1 })), { sku: 'b', qty: 1.5 }];
    const error = await refusal(args, { ...valid, shipping: { lines, address2: 7 } });
    expect(error.details).toEqual([
      { path: 'shipping.lines[10].qty', rule: 'isInt', message: 'the quantity is not a whole number' },
      { path: 'shipping.address2', rule: 'isString', message: 'shipping.address2 must be a string' },
    ]);
  });

  it('writes a nested property whose name starts with digits after a dot, not as an index', async () => {
    const error = await refusal(new DtoContract(HoldsOdd, OPTIONS, true), { odd: { '2nd': 2 } });
    expect(error.details).toEqual([{ path: 'odd.2nd', rule: 'isString', message: 'odd.2nd must be a string' }]);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['an array', [valid]],
    ['a string', 'order'],
    ['a number', 1],
  ])('refuses %s: the value must be an object, naming the DTO', async (_label, value) => {
    const error = await refusal(args, value);
    expect(error.details).toEqual([{ path: '', rule: 'type', message: 'value must be an object (Order)' }]);
    expect(error.message).toBe('Invalid arguments for s.order: value must be an object (Order) (type)');
  });

  it('hands arguments over as a new DTO instance, Dates turned into Dates', async () => {
    const validated = (await args.validate(valid, 'arguments')) as Order;
    expect(validated).toBeInstanceOf(Order);
    expect(validated.at).toEqual(new Date('2026-01-01T00:00:00.000Z'));
    expect(validated.shipping.lines[0]).toBeInstanceOf(Line);
  });

  it('hands a result back as it was given', async () => {
    const result = new DtoContract(Order, OPTIONS, false);
    const data = { ...valid, extra: true };
    expect(await result.validate(data, 'result')).toBe(data);
  });

  it('turns a DTO into JSON for a job: Dates as ISO strings', async () => {
    const validated = await args.validate(valid, 'arguments');
    expect(args.toJson(validated)).toEqual(valid);
  });

  it('refuses a class class-validator knows nothing of, with forbidUnknownValues', async () => {
    const strict = new DtoContract(Undecorated, OPTIONS, true);
    const error = await refusal(strict, { name: 'x' });
    expect(error.details).toEqual([
      { path: '', rule: 'unknownValue', message: 'an unknown value was passed to the validate function' },
    ]);
    const lax = new DtoContract(Undecorated, { ...OPTIONS, forbidUnknownValues: false }, true);
    await expect(lax.validate({ name: 'x' }, 'arguments')).resolves.toBeInstanceOf(Undecorated);
  });
});
