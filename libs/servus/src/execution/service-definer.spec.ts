import { ServiceUnavailableError } from '../response/http-errors';
import { RescueConfig } from '../rescue/rescue-from.decorator';
import { Contract } from '../service/contract.interface';
import { EmitConfig } from '../service/emit-config';
import { ServiceBase } from '../service/service-base';
import { ServiceOptions } from '../service/service-options.interface';
import { ServusMetadataAccessor } from '../service/servus-metadata.accessor';
import { ClassRef } from '../util/class-ref';
import { ContractCompiler } from '../validation/contract-compiler';
import { ServiceDefiner } from './service-definer';

/*
 * The definer built by hand: an accessor that answers from a table (what the decorators would
 * have written) and a compiler that hands back the contracts it is given.
 */

class Report extends ServiceBase<unknown, unknown> {
  call() {
    return this.success(null);
  }
  payloadOf() {
    return {};
  }
}

interface Metadata {
  name?: string;
  options?: ServiceOptions;
  rescues?: RescueConfig[];
  emits?: EmitConfig[];
}

function build(metadata: Map<ClassRef, Metadata>, contracts: { arguments?: Contract; result?: Contract } = {}) {
  const accessor = {
    isService: (type: ClassRef) => metadata.has(type),
    getServiceName: (type: ClassRef) => metadata.get(type)?.name ?? type.name,
    getServiceOptions: (type: ClassRef) => metadata.get(type)?.options ?? {},
    getRescueConfigs: (type: ClassRef) => metadata.get(type)?.rescues ?? [],
    getEmits: (type: ClassRef) => metadata.get(type)?.emits ?? [],
  } as unknown as ServusMetadataAccessor;
  const compiled: unknown[][] = [];
  const compiler = {
    compile: (name: string, options: ServiceOptions) => (compiled.push([name, options]), contracts),
  } as unknown as ContractCompiler;
  return { definer: new ServiceDefiner(accessor, compiler), compiled };
}

const contract = (): Contract => ({ validate: (value) => value, toJson: (value) => value });

describe('ServiceDefiner.isService', () => {
  it('a class the accessor knows as a service; nothing else, whatever the accessor says of it', () => {
    const plain = {};
    const { definer } = build(
      new Map<ClassRef, Metadata>([
        [Report, {}],
        [plain as ClassRef, {}],
      ]),
    );
    expect(definer.isService(Report)).toBe(true);
    expect(definer.isService(class Other {})).toBe(false);
    expect(definer.isService(plain)).toBe(false);
    expect(definer.isService(undefined)).toBe(false);
  });
});

describe('ServiceDefiner.define', () => {
  it('the definition: name, type, instance, options, compiled contracts, a rescuer for its declarations', async () => {
    class Upstream extends Error {}
    const options: ServiceOptions = { name: 'reports.generate', queue: 'low' };
    const args = contract();
    const result = contract();
    const { definer, compiled } = build(
      new Map<ClassRef, Metadata>([
        [
          Report,
          { name: 'reports.generate', options, rescues: [{ errors: [Upstream], use: ServiceUnavailableError }] },
        ],
      ]),
      { arguments: args, result },
    );
    const instance = new Report();
    const definition = definer.define(Report, instance);
    expect(definition).toMatchObject({ name: 'reports.generate', type: Report, options, arguments: args, result });
    expect(definition.instance).toBe(instance);
    expect(definition.options).toBe(options);
    expect(definition.emits).toBeUndefined();
    expect(compiled).toEqual([['reports.generate', options]]);
    expect(compiled[0][1]).toBe(options);
    expect(definition.rescuer.isEmpty).toBe(false);
    const rescued = await definition.rescuer.rescue(new Upstream('down'), {});
    expect(rescued?.error).toBeInstanceOf(ServiceUnavailableError);
    expect(rescued?.error?.message).toBe('[Upstream]: down');
  });

  it("the rescuer names the service in a handler's mistake", async () => {
    const { definer } = build(
      new Map<ClassRef, Metadata>([
        [Report, { name: 'reports.generate', rescues: [{ errors: [Error], handler: () => 'oops' as never }] }],
      ]),
    );
    await expect(definer.define(Report, new Report()).rescuer.rescue(new Error('x'), {})).rejects.toThrow(
      '@RescueFrom handler of reports.generate for Error must return ctx.success() or ctx.failure(), got string',
    );
  });

  it('refuses an instance that does not extend ServiceBase', () => {
    const { definer } = build(new Map<ClassRef, Metadata>([[Report, {}]]));
    expect(() => definer.define(Report, {})).toThrow(
      'Report is decorated with @Service() but does not extend ServiceBase.',
    );
  });

  it('groups its @Emits by trigger, in declaration order', () => {
    const done = { event: 'report.done', on: 'success' } as EmitConfig;
    const again = { event: 'report.again', on: 'success', payload: 'payloadOf' } as EmitConfig;
    const failed = { event: 'report.failed', on: 'failure', payload: () => ({}) } as EmitConfig;
    const crashed = { event: 'report.crashed', on: 'error' } as EmitConfig;
    const { definer } = build(new Map<ClassRef, Metadata>([[Report, { emits: [done, crashed, failed, again] }]]));
    expect(definer.define(Report, new Report()).emits).toEqual({
      success: [done, again],
      failure: [failed],
      error: [crashed],
    });
    const onlySuccess = build(new Map<ClassRef, Metadata>([[Report, { emits: [done] }]])).definer;
    expect(onlySuccess.define(Report, new Report()).emits).toEqual({ success: [done], failure: [], error: [] });
  });

  it('refuses an @Emits payload naming a method the service lacks, or a field that is not a method', () => {
    for (const payload of ['missing', 'name']) {
      const { definer } = build(
        new Map<ClassRef, Metadata>([
          [
            Report,
            {
              emits: [
                { event: 'report.done', on: 'success' },
                { event: 'report.failed', on: 'failure', payload },
              ],
            },
          ],
        ]),
      );
      const instance = Object.assign(new Report(), { name: 'not a method' });
      expect(() => definer.define(Report, instance)).toThrow(
        `@Emits('report.failed') on Report: payload method "${payload}" does not exist on the service.`,
      );
    }
  });
});
