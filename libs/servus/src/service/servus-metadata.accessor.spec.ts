import {
  Emits,
  InternalServerError,
  RescueFrom,
  Service,
  ServiceBase,
  ServiceUnavailableError,
  ValidationError,
} from 'nestjs-servus';
import { RescueHandler } from 'nestjs-servus/extend';
import { ServusMetadataAccessor } from './servus-metadata.accessor';

class TimeoutError extends Error {}
class ConnectionResetError extends Error {}
class RecordInvalid extends Error {}

const toValidation: RescueHandler = (error, ctx) => ctx.failure(error.message, ValidationError);

@Service({ name: 'reports.generate', queue: 'critical', async: { attempts: 5 } })
@RescueFrom(TimeoutError, { use: ServiceUnavailableError })
@RescueFrom([RecordInvalid, ConnectionResetError], toValidation)
class GenerateReport extends ServiceBase {
  call() {
    return this.success(null);
  }
}

@Service()
@RescueFrom(ConnectionResetError, { use: InternalServerError })
class GenerateMonthlyReport extends GenerateReport {}

/** Inherits from a service but is not decorated itself. */
class UndecoratedSubclass extends GenerateReport {}

class Plain {}

@Service()
@Emits('report.generated', { on: 'success' })
@Emits('report.failed', { on: 'failure', payload: 'failurePayload' })
class Notifying extends ServiceBase {
  call() {
    return this.success(null);
  }
}

@Emits('report.monthly', { on: 'error' })
class NotifyingMonthly extends Notifying {}

describe('ServusMetadataAccessor', () => {
  const accessor = new ServusMetadataAccessor();

  describe('isService', () => {
    it('is true for a class decorated with @Service()', () => {
      expect(accessor.isService(GenerateReport)).toBe(true);
      expect(accessor.isService(GenerateMonthlyReport)).toBe(true);
    });

    it('is false for undecorated classes, even subclasses of a service, and for undefined', () => {
      expect(accessor.isService(Plain)).toBe(false);
      expect(accessor.isService(UndecoratedSubclass)).toBe(false);
      expect(accessor.isService(undefined)).toBe(false);
    });
  });

  describe('getServiceOptions', () => {
    it('returns the options given to @Service()', () => {
      expect(accessor.getServiceOptions(GenerateReport)).toEqual({
        name: 'reports.generate',
        queue: 'critical',
        async: { attempts: 5 },
      });
    });

    it("returns the subclass's own (empty) options, not the parent's", () => {
      expect(accessor.getServiceOptions(GenerateMonthlyReport)).toEqual({});
    });

    it('returns undefined for a class that is not a service', () => {
      expect(accessor.getServiceOptions(Plain)).toBeUndefined();
      expect(accessor.getServiceOptions(UndecoratedSubclass)).toBeUndefined();
    });
  });

  describe('getServiceName', () => {
    it('is the name given to @Service()', () => {
      expect(accessor.getServiceName(GenerateReport)).toBe('reports.generate');
    });

    it('defaults to the class name, not an inherited name', () => {
      expect(accessor.getServiceName(GenerateMonthlyReport)).toBe('GenerateMonthlyReport');
    });

    it('is the class name of a class that is not a service', () => {
      expect(accessor.getServiceName(Plain)).toBe('Plain');
    });
  });

  describe('getEmits', () => {
    it('lists own @Emits declarations in declaration order, then the inherited ones', () => {
      expect(accessor.getEmits(Notifying)).toEqual([
        { event: 'report.generated', on: 'success', payload: undefined },
        { event: 'report.failed', on: 'failure', payload: 'failurePayload' },
      ]);
      expect(accessor.getEmits(NotifyingMonthly).map((config) => config.event)).toEqual([
        'report.monthly',
        'report.generated',
        'report.failed',
      ]);
    });

    it('is empty for a class with no declarations', () => {
      expect(accessor.getEmits(Plain)).toEqual([]);
    });
  });

  describe('getRescueConfigs', () => {
    it('lists declarations top-most first, with their errors and use type or handler', () => {
      const configs = accessor.getRescueConfigs(GenerateReport);
      expect(configs).toEqual([
        { errors: [TimeoutError], use: ServiceUnavailableError },
        { errors: [RecordInvalid, ConnectionResetError], handler: toValidation },
      ]);
    });

    it("puts a subclass's own declarations before the inherited ones", () => {
      const configs = accessor.getRescueConfigs(GenerateMonthlyReport);
      expect(configs.map((c) => [c.errors, c.use ?? 'handler'])).toEqual([
        [[ConnectionResetError], InternalServerError],
        [[TimeoutError], ServiceUnavailableError],
        [[RecordInvalid, ConnectionResetError], 'handler'],
      ]);
    });

    it("does not add a subclass's declarations to its parent", () => {
      expect(accessor.getRescueConfigs(GenerateReport)).toHaveLength(2);
    });

    it('inherits through undecorated classes in between', () => {
      expect(accessor.getRescueConfigs(UndecoratedSubclass)).toEqual(accessor.getRescueConfigs(GenerateReport));
    });

    it('is empty for a class with no declarations', () => {
      expect(accessor.getRescueConfigs(Plain)).toEqual([]);
    });
  });
});
