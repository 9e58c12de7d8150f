import { Logger } from '@nestjs/common';
import { Contract } from 'nestjs-servus/service/contract.interface';
import { checkContractCoverage, ContractCoverage } from 'nestjs-servus/validation/contract-coverage';

const contract = {} as Contract;

function logger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(new Logger('test'), { lines, log: (line: string) => void lines.push(line) });
}

describe('checkContractCoverage', () => {
  const covered: ContractCoverage[] = [
    { name: 'a', arguments: contract },
    { name: 'b', arguments: contract },
  ];
  const mixed: ContractCoverage[] = [
    { name: 'a', arguments: contract },
    { name: 'reports.open' },
    { name: 'reports.free', arguments: undefined },
  ];

  it.each([
    ['optional', 'optional'],
    ['required', 'required'],
    ['the default', undefined],
  ] as const)('says nothing when every service has an arguments contract (%s)', (_label, mode) => {
    const log = logger();
    expect(() => checkContractCoverage(covered, mode, '/app/schemas', true, log)).not.toThrow();
    expect(() => checkContractCoverage([], mode, '/app/schemas', true, log)).not.toThrow();
    expect(log.lines).toEqual([]);
  });

  it.each([
    ['optional', 'optional'],
    ['the default', undefined],
  ] as const)('lists the services without one and where files were looked for (%s)', (_label, mode) => {
    const log = logger();
    checkContractCoverage(mixed, mode, '/app/schemas', true, log);
    expect(log.lines).toEqual([
      '2 service(s) run without an arguments contract (not validated): reports.open, reports.free; file schemas are read from /app/schemas',
    ]);
  });

  it('logs nothing with logging off', () => {
    const log = logger();
    checkContractCoverage(mixed, 'optional', '/app/schemas', false, log);
    expect(log.lines).toEqual([]);
  });

  it("fails with contracts: 'required', naming each service and how to give it a contract, logging or not", () => {
    for (const logs of [true, false]) {
      const log = logger();
      expect(() => checkContractCoverage(mixed, 'required', '/app/schemas', logs, log)).toThrow(
        new Error(
          "ServusModule: contracts: 'required', but 2 service(s) have no arguments contract: reports.open, reports.free (declare @Service({ arguments }) or add /app/schemas/<service path>/arguments.json)",
        ),
      );
      expect(log.lines).toEqual([]);
    }
  });

  it("logs through Nest's Logger under the Servus context by default", () => {
    const seen: Array<[string | undefined, unknown]> = [];
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(function (this: Logger, message: unknown) {
      seen.push([(this as unknown as { context?: string }).context, message]);
    });
    try {
      checkContractCoverage([{ name: 'x' }], 'optional', '/s', true);
    } finally {
      log.mockRestore();
    }
    expect(seen).toEqual([
      ['Servus', '1 service(s) run without an arguments contract (not validated): x; file schemas are read from /s'],
    ]);
  });
});
